// The controls: text, sizes, masks and seed. Edits go to a draft Config; the
// app applies the draft when it is valid, and otherwise the panel shows why
// not while the last valid config stays on screen.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "layer/trace.h"

namespace web {

struct ControlsPanel {
  ap::Config draft;                 // what the widgets show
  std::vector<std::string> errors;  // why the draft is not applied (empty = it is)
  bool synced = false;              // draft was loaded from the applied config
};

// Returns the draft when the user changed something this frame.
std::optional<ap::Config> draw_controls_panel(ControlsPanel& panel, const ap::Config& applied,
                                              const ap::Trace& trace, double weights_ms, double compute_ms);

}  // namespace web
