// Lessons: the list of lessons, the open lesson's step with what it asks for
// (a state to reach in the controls, a number, a shape, a head, a cell or an
// option), its hint and "show me", and the summary at the end. The checks
// are the session's (session/lessons.h); this panel only draws them.
#include "panels/lessons.h"

#include <cstdio>

#include "imgui.h"
#include "misc/cpp/imgui_stdlib.h"
#include "panels/homework.h"
#include "panels/panel.h"
#include "render/widgets.h"

namespace web {
namespace {

using ap::lesson::CheckKind;

const ImVec4 kDone(0.45f, 0.85f, 0.5f, 1), kAsk(1, 0.85f, 0.35f, 1);

class LessonsPanel : public Panel {
 public:
  PanelEdit draw(Session& s, const PanelFrame& f) override;

 private:
  std::string typed;   // the number or shape being typed
  int typed_for = -1;  // the step it was typed for
  std::string typed_lesson;
};

// Text wrapped at the window's edge, dimmed or not (a lesson's text is drawn as text, whatever it holds: no
// format string).
void wrapped(const std::string& text, bool dim = false) {
  if (dim) ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
  ImGui::PushTextWrapPos(0);
  ImGui::TextUnformatted(text.c_str(), text.c_str() + text.size());
  ImGui::PopTextWrapPos();
  if (dim) ImGui::PopStyleColor();
}

void draw_list(Session& s, const PanelFrame& f) {
  note(
      "Short lessons that ask you to do something and check it from the live computation. Progress is kept on "
      "this device.");
  for (const nlohmann::json& l : lessons_json(s)) {
    const std::string id = l["id"], title = l["title"];
    ImGui::PushID(id.c_str());
    const int done = l["done"], steps = l["steps"];
    ImGui::Separator();
    ImGui::PushStyleColor(ImGuiCol_Text, done == steps ? kDone : ImGui::GetStyleColorVec4(ImGuiCol_Text));
    wrapped(title);
    ImGui::PopStyleColor();
    char progress[48];
    std::snprintf(progress, sizeof progress, "%d of %d done", done, steps);
    ImGui::TextDisabled("%s%s", progress, l["needsModel"] == true ? " · needs GPT-2 loaded" : "");
    same_line_if_fits(ImGui::CalcTextSize("open").x + 2 * ImGui::GetStyle().FramePadding.x);
    if (ImGui::Button(done > 0 && done < steps ? "go on" : "open")) {
      if (std::string e = open_lesson(s, id); !e.empty()) s.lessons.feedback = e;
    }
    const Box b{ImGui::GetItemRectMin().x, ImGui::GetItemRectMin().y, ImGui::GetItemRectSize().x,
                ImGui::GetItemRectSize().y};
    if (f.widgets) f.widgets->emplace_back("lesson-open-" + id, b);
    const std::string about = l["about"];
    if (!about.empty()) note(about.c_str());
    ImGui::PopID();
  }
  if (s.lessons.open.empty() && !s.lessons.feedback.empty()) message(s.lessons.feedback, kErrorColour);
}

}  // namespace

bool draw_lesson_strip(Session& s, std::vector<std::pair<std::string, Box>>* widgets) {
  const ap::lesson::Lesson* l = open_lesson(s);
  if (!l) return false;
  const nlohmann::json st = lesson_state_json(s);
  const int step = st["step"];
  const bool done = st["steps"][step]["done"];
  const std::string text = l->steps[size_t(step)].text;
  char head[160];
  std::snprintf(head, sizeof head, "%s · step %d of %zu%s", l->title.c_str(), step + 1, l->steps.size(),
                done ? " · done ✓" : "");
  ImGui::PushStyleColor(ImGuiCol_Text, done ? kDone : kAsk);
  wrapped(head);
  ImGui::PopStyleColor();
  wrapped(text);
  if (!done && !s.lessons.feedback.empty()) wrapped(s.lessons.feedback, true);
  const bool go = ImGui::SmallButton("to the lesson");
  if (done && step + 1 < int(l->steps.size())) {
    ImGui::SameLine();
    if (ImGui::SmallButton("next step →")) go_to_step(s, step + 1);
    if (widgets) {
      const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
      widgets->emplace_back("lesson-strip-next", Box{a.x, a.y, b.x - a.x, b.y - a.y});
    }
  }
  ImGui::Separator();
  return go;
}

PanelEdit LessonsPanel::draw(Session& s, const PanelFrame& f) {
  PanelEdit edit;
  const ap::lesson::Lesson* l = open_lesson(s);
  if (!l) {
    draw_list(s, f);
    return edit;
  }
  const nlohmann::json st = lesson_state_json(s);
  const int step = st["step"], n = int(l->steps.size());
  const ap::lesson::Step& cur = l->steps[size_t(step)];
  const bool done = st["steps"][step]["done"];
  if (typed_for != step || typed_lesson != l->id) typed.clear(), typed_for = step, typed_lesson = l->id;

  ImGui::PushStyleColor(ImGuiCol_Text, kAsk);
  wrapped(l->title);
  ImGui::PopStyleColor();
  // The steps as dots: done ones filled, the current one outlined; a click goes there.
  for (int i = 0; i < n; ++i) {
    if (i) ImGui::SameLine(0, ImGui::GetStyle().ItemSpacing.x * 0.5f);
    char label[16];
    std::snprintf(label, sizeof label, "%s%d##step", st["steps"][i]["done"] == true ? "✓" : "", i + 1);
    const bool here = i == step;
    if (here) ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyleColorVec4(ImGuiCol_ButtonActive));
    if (ImGui::Button(label)) go_to_step(s, i);
    if (here) ImGui::PopStyleColor();
    mark(f, "lesson-step-" + std::to_string(i));
    if (i + 1 < n) same_line_if_fits(ImGui::GetFrameHeight() * 1.6f);
  }
  ImGui::Separator();
  wrapped(cur.text);

  // What the step asks for.
  const auto send = [&](const nlohmann::json& answer) { answer_lesson(s, answer); };
  switch (cur.check.kind) {
    case CheckKind::Config:
    case CheckKind::Condition:
      if (!done) note("Do it in the controls or the tabs: this step is done the moment it holds.");
      break;
    case CheckKind::Enter:
    case CheckKind::Shape: {
      ImGui::SetNextItemWidth(std::min(ImGui::GetContentRegionAvail().x * 0.6f, 260 * f.scale));
      const bool enter = ImGui::InputText("##answer", &typed, ImGuiInputTextFlags_EnterReturnsTrue);
      mark(f, "lesson-answer");
      ImGui::SameLine();
      if ((ImGui::Button("check") || enter) && !typed.empty()) send(typed);
      mark(f, "lesson-check");
      break;
    }
    case CheckKind::PickHead:
      ImGui::TextDisabled("Click a head's map in the Heads tab, or pick it here:");
      for (int h = 0; h < s.trace.n_heads; ++h) {
        char label[24];
        std::snprintf(label, sizeof label, "head %d", h);
        if (h) same_line_if_fits(ImGui::CalcTextSize(label).x + 2 * ImGui::GetStyle().FramePadding.x);
        if (ImGui::Button(label)) send(h);
        mark(f, "lesson-head-" + std::to_string(h));
      }
      break;
    case CheckKind::PickCell:
      ImGui::TextDisabled("Click the cell in the Heads tab's large map (head %d).", s.view.head);
      if (ImGui::Button("to the Heads tab")) open_panel(s, "heads");
      break;
    case CheckKind::Choose:
      for (size_t i = 0; i < cur.check.options.size(); ++i) {
        // The option's text wraps beside its button (a radio button's label would not), and takes a tap too.
        ImGui::PushID(int(i));
        bool chosen = ImGui::RadioButton("##option", false);
        mark(f, "lesson-option-" + std::to_string(i));
        ImGui::SameLine();
        wrapped(cur.check.options[i]);
        chosen |= ImGui::IsItemClicked();
        if (chosen) send(int(i));
        ImGui::PopID();
      }
      break;
    case CheckKind::Homework:
      draw_homework_tools(s, f, edit);
      draw_homework_report(s);
      break;
  }
  if (done) {
    ImGui::TextColored(kDone, "Done ✓");
    if (!cur.explain.empty()) {
      ImGui::PushStyleColor(ImGuiCol_Text, kDone);
      wrapped(cur.explain);
      ImGui::PopStyleColor();
    }
  } else if (!s.lessons.feedback.empty() && !(cur.check.kind == CheckKind::Homework && s.homework.theirs)) {
    message(s.lessons.feedback, kNoteColour);  // (a homework's report above says it)
  }
  const LessonProgress& p = s.lessons.progress.at(l->id);
  if (!cur.hint.empty()) {
    if (p.hints[size_t(step)]) {
      wrapped("Hint: " + cur.hint, true);
    } else if (!done && ImGui::Button("hint")) {
      lesson_hint(s);
    }
  }
  if (st["steps"][step]["hasShowMe"] == true && !done) {
    if (!cur.hint.empty() && !p.hints[size_t(step)]) ImGui::SameLine();
    if (ImGui::Button("show me")) lesson_show_me(s);
    mark(f, "lesson-show-me");
  }

  ImGui::Separator();
  if (step > 0 && ImGui::Button("← back")) go_to_step(s, step - 1);
  if (step > 0) ImGui::SameLine();
  if (step + 1 < n) {
    if (ImGui::Button(done ? "next →" : "skip →")) go_to_step(s, step + 1);
    mark(f, "lesson-next");
    ImGui::SameLine();
  }
  if (ImGui::Button("all lessons")) close_lesson(s);
  mark(f, "lesson-close");

  // The end: what was done, to copy.
  if (step + 1 == n && (done || st["complete"] == true)) {
    ImGui::Separator();
    ImGui::TextColored(kAsk, "Summary");
    const std::string summary = lesson_summary(s);
    wrapped(summary);
    if (ImGui::Button("copy the summary")) edit.copy_text = summary;
    mark(f, "lesson-copy-summary");
  }
  return edit;
}

std::unique_ptr<Panel> make_lessons_panel() { return std::make_unique<LessonsPanel>(); }

}  // namespace web
