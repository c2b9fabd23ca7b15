// The web app's state: the applied Config, the Trace computed from it, the
// derived numbers the panels show, and the panels themselves. No Emscripten
// here, so the same code could run in a native window or a headless test.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis.h"
#include "attention.h"
#include "config.h"
#include "controls_panel.h"
#include "heads_panel.h"
#include "panels.h"

namespace web {

// Everything the core derives from the trace for the panels (see analysis.h).
struct Derived {
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

struct App {
  ap::Config config;        // applied and valid
  ap::Trace trace;          // computed from config
  Derived derived;
  uint64_t generation = 0;  // bumps with every new trace; views re-upload then
  double compute_ms = 0;    // wall time of the last make_inputs + run + analysis
  Panel panel = Panel::Heads;
  bool panel_requested = false;  // select `panel` on the next frame (openPanel, pipeline clicks)
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

// Selects a panel (as if its tab were clicked).
void open_panel(App& app, Panel p);

// Draws every window into a canvas of width x height pixels; `scale` is the
// device pixel ratio (all ImGui sizes are in device pixels, for crisp text).
void draw_app(App& app, float width, float height, float scale);

}  // namespace web
