// The controls: text, sizes, masks and seed. Edits go to a draft Config; the
// app applies the draft when it is valid, and otherwise the panel shows why
// not while the last valid config stays on screen.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "session/session.h"

namespace web {

struct ControlsPanel {
  ap::Config draft;                      // what the widgets show
  std::vector<std::string> errors;       // why the draft is not applied (empty = it is)
  uint64_t synced_edits = ~uint64_t{0};  // the session's outside_edits the draft was loaded at
};

// Returns the draft when the user changed something this frame.
std::optional<ap::Config> draw_controls(ControlsPanel& panel, const Session& s);

}  // namespace web
