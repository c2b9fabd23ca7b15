// The homework check's parts of the page (session/homework.h does the
// work): the buttons that start one and the report. Drawn in the controls'
// "Check my homework" section and in a lesson's homework step.
#pragma once
#include "panels/panel.h"

namespace web {

struct App;

// "inputs (.npz)" and "check an .npy…": what they ask for goes into `edit`.
void draw_homework_tools(const Session& s, const PanelFrame& f, PanelEdit& edit);
// The report on the last file against the state now: its verdict in colour, then the numbers.
void draw_homework_report(const Session& s);
// The controls' "Check my homework" section: opens by itself when a file arrives (unless a lesson's
// homework step, which shows the report, is open).
void draw_homework_section(App& app);

}  // namespace web
