// The web app's state: the applied Config, the Trace computed from it, and the
// panels that draw them. No Emscripten here, so the same code could run in a
// native window or a headless test.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "attention.h"
#include "config.h"
#include "controls_panel.h"
#include "heads_panel.h"

namespace web {

struct App {
  ap::Config config;      // applied and valid
  ap::Trace trace;        // computed from config
  uint64_t generation = 0;  // bumps with every new trace; views re-upload then
  double compute_ms = 0;  // wall time of the last make_inputs + run
  ControlsPanel controls;
  HeadsPanel heads;
};

// Validates `next`; if valid and different, makes it current and recomputes
// the trace at once (so the JS API reads the new numbers right after).
// Returns the validation errors; on errors the app is unchanged.
std::vector<std::string> apply_config(App& app, const ap::Config& next);

// Draws every window into a canvas of width x height pixels; `scale` is the
// device pixel ratio (all ImGui sizes are in device pixels, for crisp text).
void draw_app(App& app, float width, float height, float scale);

}  // namespace web
