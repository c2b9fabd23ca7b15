// The web app's state: the applied Config, the Trace computed from it, the
// derived numbers the panels show, and the panels themselves. No Emscripten
// here, so the same code could run in a native window or a headless test.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "analysis.h"
#include "attention.h"
#include "config.h"
#include "controls_panel.h"
#include "export.h"
#include "heads_panel.h"
#include "panels.h"

namespace web {

// Everything the core derives from the trace for the panels (see analysis.h).
struct Derived {
  uint64_t generation = 0;  // the trace generation stats and similarity belong to (filled on demand)
  std::vector<ap::HeadStats> stats;
  ap::Mat similarity;
  ap::LayerCosts costs;
  ap::ScalingSamples scaling_samples;  // drawn once (fixed seed): the slow part
  std::vector<ap::ScalingPoint> scaling;
  double scaling_temperature = 0;      // the temperature `scaling` was computed for
};

enum class Panel { Heads, Compare, Pipeline, Tensors, Masks, Scaling, Sizes, Memory, Count };
const char* panel_name(Panel p);
std::optional<Panel> panel_from_name(const std::string& name);

// What the app asks of the page it runs in (main.cpp fills these in), so
// that nothing here depends on the browser.
struct Platform {
  std::function<void(const std::string& name, const std::string& mime, const std::string& bytes)> download;
  std::function<void()> copy_link;
  std::function<void()> pick_file;                         // an .npy file picker; the file arrives through import_npy
  std::function<void(float x, float y, float w, float h)> save_png;  // canvas pixels of this frame
};

struct App {
  ap::Config config;        // applied and valid
  ap::Inputs inputs;        // made from config (and imports): what export_arrays needs
  ap::Trace trace;          // computed from config
  Derived derived;
  uint64_t generation = 0;  // bumps with every new trace; views re-upload then
  double compute_ms = 0;    // wall time of the last make_inputs + run + analysis
  Panel panel = Panel::Heads;
  bool panel_requested = false;  // select `panel` on the next frame (openPanel, pipeline clicks)
  ap::Imported imported;    // .npy tensors that replace X or the projections
  std::vector<std::string> notes;  // what a link or an import could not use, shown until dismissed
  bool embed = false;       // ?embed=1: the chosen view only, no controls
  bool png_requested = false;      // save the views window as PNG once this frame is drawn
  float views_rect[4] = {0, 0, 0, 0};  // x, y, w, h of the views window, canvas pixels
  std::string export_tensor = "weights";
  int export_head = 0;
  bool online = true;
  Platform platform;
  ControlsPanel controls;
  HeadsPanel heads;
  ComparePanel compare;
  TensorsPanel tensors;
  MasksPanel masks;
  ScalingPanel scaling;
};

// Validates `next`; if valid and different, makes it current and recomputes
// the trace and the derived numbers at once (so the JS API reads them right
// after). Returns the validation errors; on errors the app is unchanged.
std::vector<std::string> apply_config(App& app, const ap::Config& next);

// Forgets every GPU object (after a lost WebGL context); the panels make and
// fill new ones on their next frame.
void drop_gpu_resources(App& app);

// Computes the scaling lab's curves if they are missing or stale (lazy: they are slow to start).
void ensure_scaling(App& app);
// Computes the per-head statistics and similarity for the current trace if not yet done
// (lazy: O(heads²·n²), needed only by the Compare panel and analysis()).
void ensure_head_stats(App& app);

// Recomputes the current config (after imports change).
void refresh(App& app);

// Back to the defaults, without imported tensors or notes.
void reset(App& app);

// Loads a link's settings (the URL fragment, with or without '#'): every
// parameter that can be used is; the others become notes. Page keys: panel,
// head (focused head), tensor, embed.
void apply_link(App& app, const std::string& query);
// The fragment describing what is on screen now.
std::string current_link(const App& app);

// Imports an .npy file's bytes for role "x", "q", "k" or "v". Returns "" or the reason it was refused.
std::string import_npy(App& app, const std::string& role, const std::string& bytes);

// A file to download: kind "npy" or "csv" (of tensor/head), "config", "pytorch", "npz".
struct ExportFile {
  std::string name, mime, bytes, error;
};
ExportFile export_file(const App& app, const std::string& kind, const std::string& tensor, int head);

// The "Share and export" section of the controls (share_panel.cpp).
void draw_share_section(App& app);

// Selects a panel (as if its tab were clicked).
void open_panel(App& app, Panel p);

// Draws every window into a canvas of width x height pixels; `scale` is the
// device pixel ratio (all ImGui sizes are in device pixels, for crisp text).
void draw_app(App& app, float width, float height, float scale);

}  // namespace web
