// The web app's state: the applied Config, the Trace computed from it, the
// derived numbers the panels show, and the panels themselves. No Emscripten
// here, so the same code could run in a native window or a headless test.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "layer/attention.h"
#include "config/config.h"
#include "controls_panel.h"
#include "io/export.h"
#include "kernels/plan.h"
#include "heads_panel.h"
#include "panels.h"
#include "train_panel.h"

namespace web {

// Everything the core derives from the trace for the panels (see analysis.h).
struct Derived {
  uint64_t generation = 0;  // the trace generation `heads` belongs to (computed on demand)
  ap::HeadAnalysis heads;   // per-head statistics and similarity
  std::unique_ptr<ap::Plan> heads_plan;  // fills `heads` (a large trace takes several frames)
  ap::LayerCosts costs;
  ap::ScalingSamples scaling_samples;  // drawn once (fixed seed): the slow part
  std::vector<ap::ScalingPoint> scaling;
  double scaling_temperature = 0;      // the temperature `scaling` was computed for
};

enum class Panel { Heads, Compare, Pipeline, Tensors, Masks, Scaling, Sizes, Memory, Train, Count };
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

// A recompute too large for one frame, spread over frames (plan.h): the
// page keeps drawing the current trace until this one is done.
struct Pending {
  ap::Config config;          // what is being computed
  bool attention_only = false;
  ap::Inputs inputs;          // made by the plan (full recomputes)
  const ap::Inputs* in = nullptr;  // &inputs, or the app's current inputs (attention only)
  ap::Trace trace;
  ap::Plan plan;
  double ms = 0;              // compute time so far, summed over slices
  double longest_slice_ms = 0;  // the longest a frame spent on it
};

struct App {
  ap::Config config;        // applied and valid: the config of `trace`
  ap::Inputs inputs;        // made from config (and imports): what export_arrays needs
  ap::Trace trace;          // computed from config
  std::unique_ptr<Pending> pending;  // a larger config under way, if any
  // The shown trace's contexts, concat and output, after its weights were
  // shown (plan_outputs on trace; trace.outputs_ready tells when done).
  std::unique_ptr<ap::Plan> finishing;
  double weights_ms = 0;    // of the last trace: from the edit to its weights shown (summed over slices)
  uint64_t frame = 0;       // frames drawn
  uint64_t swap_frame = 0;  // the frame during or after which the shown trace came in
  Derived derived;
  uint64_t generation = 0;  // bumps with every new trace; views re-upload then
  double compute_ms = 0;    // compute time of the last trace (summed over its slices), outputs included
  double longest_slice_ms = 0;  // of the last pending recompute
  double longest_piece_ms = 0;  // its slowest piece of work (plan.h)
  double longest_frame_ms = 0;  // the most draw_app (compute slices, panels, uploads) took in a frame; computing() resets it
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
  TrainPanel train;
};

// Validates `next`; if valid and different, recomputes the trace and the
// derived numbers: at once when that is quick (so the JS API reads them right
// after), else over the next frames (app.pending; see advance_pending).
// Returns the validation errors; on errors the app is unchanged.
std::vector<std::string> apply_config(App& app, const ap::Config& next);
// The config the app is heading for: the pending one, or the applied one.
const ap::Config& target_config(const App& app);
// Advances a pending recompute by about budget_ms: a new trace up to its
// weights, swapped in when they are done; then the shown trace's outputs.
void advance_pending(App& app, double budget_ms);
// Whether anything is still being computed (a pending trace or the outputs of the shown one).
bool busy(const App& app);

// Forgets every GPU object (after a lost WebGL context); the panels make and
// fill new ones on their next frame.
void drop_gpu_resources(App& app);

// Computes the scaling lab's curves if they are missing or stale (lazy: they are slow to start).
void ensure_scaling(App& app);
// Computes the per-head statistics and similarity of the current trace for
// about budget_ms, starting them for a new trace (lazy: O(heads²·n²),
// needed only by the Compare panel and analysis()). True when done.
bool advance_head_analysis(App& app, double budget_ms);

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

// Imports an .npy file's bytes for role "x", "q", "k" or "v", or a .npz of trained weights for
// role "npz" (the training lab). Returns "" or the reason it was refused.
std::string import_npy(App& app, const std::string& role, const std::string& bytes);

// A file to download: kind "npy" or "csv" (of tensor/head), "config", "pytorch", "npz",
// or "weights" (the training lab's parameters as .npz).
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
