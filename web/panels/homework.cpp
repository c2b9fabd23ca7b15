// The homework check's buttons and report: see homework.h.
#include "panels/homework.h"

#include "imgui.h"
#include "panels/app.h"
#include "render/widgets.h"

namespace web {

void draw_homework_tools(const Session& s, const PanelFrame& f, PanelEdit& edit) {
  const bool ready = s.trace.outputs_ready;
  if (!ready) ImGui::BeginDisabled();
  if (ImGui::Button("inputs (.npz)")) edit.download = "homework";
  mark(f, "homework-inputs");
  if (!ready) ImGui::EndDisabled();
  ImGui::SameLine();
  if (ImGui::Button("check an .npy…")) edit.pick_homework = true;
  mark(f, "homework-check");
  help(
      "inputs (.npz): x, x_kv, w_q, b_q, ... w_o, b_o, attn_mask (True = may attend), bias (its additive form) "
      "and dropout_keep, without the page's results. Compute the weights (heads, n_q, n_kv), each head's "
      "context (heads, n_q, d_head) or the output (n_q, d_model) with your own code, np.save it, and drop the "
      ".npy here (any name but x, q, k or v).");
}

void draw_homework_report(const Session& s) {
  const Homework& h = s.homework;
  if (!h.error.empty()) message(h.error, kErrorColour);
  if (!h.theirs) return;
  const ap::HomeworkReport& r = h.report;
  ImGui::TextDisabled("%s", h.file.c_str());
  if (h.checked != s.generation) {
    note("checking against the new state…");
    return;
  }
  message(r.verdict, r.correct ? ImVec4(0.45f, 0.85f, 0.5f, 1) : kNoteColour);
  for (const std::string& line : r.details) note(line.c_str());
}

void draw_homework_section(App& app) {
  Session& s = app.session;
  const bool arrived = s.homework.arrivals != app.homework_seen && homework_target(s).empty();
  app.homework_seen = s.homework.arrivals;
  if (arrived) ImGui::SetNextItemOpen(true);
  if (!ImGui::CollapsingHeader("Check my homework")) return;
  if (arrived) ImGui::SetScrollHereY(0);  // the controls scroll to the report
  note(
      "Download the inputs, write attention yourself in NumPy or PyTorch, save your result with np.save and drop "
      "the .npy here: it is compared with the page's numbers, and a usual mistake is named.");
  PanelEdit edit;
  draw_homework_tools(s, PanelFrame{1, &app.drawn, &app.grids, &app.widgets}, edit);
  apply_edit(app, edit);
  draw_homework_report(s);
}

}  // namespace web
