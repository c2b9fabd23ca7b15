// The controls: text, sizes, masks and seed. Edits go to a draft Config; the
// app applies every edited field that keeps the config valid, and a field
// that does not is framed in red with the reason beside it, its last valid
// value still applied, until it is mended.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "panels/panel.h"
#include "session/session.h"

namespace web {

struct ControlsPanel {
  ap::Config draft;                                           // what the widgets show
  std::vector<std::string> errors;                            // why an edit from a panel was refused
  std::vector<std::pair<std::string, std::string>> rejected;  // [field, why]: draft edits not applied
  uint64_t synced_edits = ~uint64_t{0};                       // the session's outside_edits the draft was loaded at
  // Where a field's widgets were drawn this frame, and its first widget alone (without its label: a
  // stepper's +/- buttons are the two squares at that box's right end).
  struct Placed {
    std::string field;
    Box box, item;
  };
  std::vector<Placed> placed;
  std::string editing;         // the id of the text box being typed in, if any (the others show wrapped text)
  bool focus_editing = false;  // give it the keyboard focus this frame (the frame after the click)
  int choose_layer = -1;       // a model's layer picked this frame, for the app to choose
};

// Which build of the page runs (start.js chooses before anything is
// fetched) and why; the thread count itself is the core's (ap::threads()).
struct Runtime {
  bool threaded = false;  // playground-threads.js: wasm pthreads
  bool isolated = false;  // crossOriginIsolated
  int most_threads = 1;   // the main thread and the helpers Emscripten made before main
  int cores = 1;          // navigator.hardwareConcurrency
  std::string reason;     // why the page runs on one thread; empty when threaded
};

// Returns the config to apply when the user changed something this frame
// (valid: the draft's fields that fit, see ap::salvage_edit).
std::optional<ap::Config> draw_controls(ControlsPanel& panel, const Session& s, const Runtime& rt);

}  // namespace web
