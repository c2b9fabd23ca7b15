// The open lesson's step as a strip above every other tab, so that the
// learner reads it while working there (lessons.cpp draws the Lessons tab).
#pragma once
#include "panels/panel.h"

namespace web {

// Draws the strip when a lesson is open, recording its buttons in `widgets` for layout(); true when
// "to the lesson" was pressed.
bool draw_lesson_strip(Session& s, std::vector<std::pair<std::string, Box>>* widgets);

}  // namespace web
