// The input queue's actions given to Dear ImGui 1.86 (platform/input.h), and
// the one way text enters: a real <textarea> of the page (platform/input.js)
// kept in step with the active ImGui text field, so phones open their
// keyboard, desktops their input method, and paste and undo are the browser's.
// ImGui and no browser: main.cpp carries the textarea's state across.
#pragma once
#include <string>
#include <vector>

#include "platform/input.h"

namespace web {

// Once, after ImGui's context exists: the key map (input::Key is numbered as ImGuiKey_).
void feed_init();
// Before ImGui::NewFrame: the frame's actions into ImGui's io (scrolls and zooms where they point).
void feed(const std::vector<input::Action>& actions);
// After the frame: whether the widget made active this frame takes a finger's drag
// (a slider, a zoomed map) rather than letting it scroll.
bool press_took_drag();

// The page's textarea as input.js reports it: positions in code points.
struct Textarea {
  bool focused = false;
  std::string value;
  int sel_start = 0, sel_end = 0;
  bool backward = false;  // the caret is at sel_start
  std::string preedit;    // an input method's composition, not yet committed
};
// The active ImGui text field as the page must mirror it (canvas pixels, code points).
struct TextField {
  bool active = false;
  float x = 0, y = 0;  // the caret's top
  std::string text;
  int sel_start = 0, sel_end = 0;
  bool operator==(const TextField&) const = default;
};

// Before NewFrame: the textarea's text and selection into the active field.
// `blurred`: the textarea lost the focus by itself (the field is let go).
void apply_textarea(const Textarea& t, bool blurred);
// After the frame: the active field, if any.
TextField active_text_field();
// Draws an input method's preedit at the active field's caret (it is not in the field until committed).
void draw_preedit(const std::string& preedit);

}  // namespace web
