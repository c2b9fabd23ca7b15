// Lessons in the session: see lessons.h.
#include "session/lessons.h"

#include <algorithm>

#include "config/fields.h"
#include "config/json.h"
#include "session/session.h"

// Generated from web/lessons/*.json by scripts/embed.cmake.
extern const char* const builtin_lessons[];
extern const std::size_t builtin_lessons_count;

namespace web {
namespace {

using ap::lesson::CheckKind;
using ap::lesson::Lesson;
using nlohmann::json;

const char* kind_name(CheckKind k) {
  switch (k) {
    case CheckKind::Config:
      return "config";
    case CheckKind::Condition:
      return "condition";
    case CheckKind::Enter:
      return "enter";
    case CheckKind::Shape:
      return "shape";
    case CheckKind::PickHead:
      return "pick_head";
    case CheckKind::PickCell:
      return "pick_cell";
    case CheckKind::Choose:
      return "choose";
    case CheckKind::Homework:
      return "homework";
  }
  return "";
}

ap::lesson::Live live_of(const Session& s) {
  const bool stats = s.derived.generation == s.generation && s.derived.head_stats.done;
  const bool homework = s.homework.theirs && s.homework.checked == s.generation;
  return {s.config,
          s.trace,
          stats ? &s.derived.head_stats : nullptr,
          s.view.head,
          s.model ? &s.model->tokens : nullptr,
          homework ? &s.homework.report : nullptr};
}

LessonProgress& progress_of(Session& s, const Lesson& l) {
  LessonProgress& p = s.lessons.progress[l.id];
  const size_t n = l.steps.size();
  p.done.resize(n);
  p.hints.resize(n);
  p.shown.resize(n);
  p.step = std::clamp(p.step, 0, int(n) - 1);
  return p;
}

// A state's config over a base: the defaults (a start) or the current config ("show me").
std::string apply_state(Session& s, const ap::lesson::State& st, bool over_defaults) {
  if (!st.config.empty()) {
    const ap::ConfigUpdate up = ap::apply_config_json(over_defaults ? ap::Config{} : s.config, st.config);
    if (!up.ok()) return up.errors.front();
    const std::vector<std::string> errors = apply_outside_edit(s, up.config);
    if (!errors.empty()) return errors.front();
  }
  if (!st.panel.empty()) open_panel(s, st.panel);
  if (st.head >= 0) s.view.head = std::min(st.head, std::max(0, s.trace.n_heads - 1));
  return "";
}

// "Show me" for a config check without one of its own: the values it asks for.
std::optional<ap::lesson::State> show_me_of(const ap::lesson::Step& step) {
  if (step.show_me) return step.show_me;
  if (step.check.kind != CheckKind::Config) return std::nullopt;
  json fields = json::object();
  for (const auto& fc : step.check.config) {
    if (fc.bounds.equals) fields[fc.field] = json::parse(*fc.bounds.equals);
    else if (fc.bounds.at_least) fields[fc.field] = *fc.bounds.at_least;
    else if (fc.bounds.at_most) fields[fc.field] = *fc.bounds.at_most;
  }
  return ap::lesson::State{fields.dump(), "", -1};
}

}  // namespace

std::vector<std::string> builtin_lesson_texts() {
  return std::vector<std::string>(builtin_lessons, builtin_lessons + builtin_lessons_count);
}

std::vector<std::string> load_builtin_lessons(Session& s) {
  std::vector<std::string> errors;
  s.lessons.builtin.clear();
  for (const std::string& t : builtin_lesson_texts()) {
    ap::lesson::Parsed p = ap::lesson::parse_lesson(t, s.panel_keys);
    if (p.lesson) s.lessons.builtin.push_back(std::move(*p.lesson));
    else errors.push_back(p.error);
  }
  return errors;
}

const Lesson* find_lesson(const Session& s, const std::string& id) {
  if (s.lessons.teacher && s.lessons.teacher->id == id) return &*s.lessons.teacher;
  for (const Lesson& l : s.lessons.builtin)
    if (l.id == id) return &l;
  return nullptr;
}

const Lesson* open_lesson(const Session& s) {
  return s.lessons.open.empty() ? nullptr : find_lesson(s, s.lessons.open);
}

std::string open_lesson(Session& s, const std::string& id_or_json, int step, bool set_state) {
  const Lesson* l = nullptr;
  if (!id_or_json.empty() && id_or_json.front() == '{') {
    ap::lesson::Parsed p = ap::lesson::parse_lesson(id_or_json, s.panel_keys);
    if (!p.lesson) return "this lesson cannot be used: " + p.error;
    for (const Lesson& b : s.lessons.builtin)
      if (b.id == p.lesson->id) return "a built-in lesson is already called \"" + b.id + "\"; choose another id";
    s.lessons.teacher = std::move(*p.lesson);
    s.lessons.teacher_json = json::parse(id_or_json).dump();
    l = &*s.lessons.teacher;
  } else if (!(l = find_lesson(s, id_or_json))) {
    std::string known;
    for (const Lesson& b : s.lessons.builtin) known += (known.empty() ? "" : ", ") + b.id;
    return "no lesson is called \"" + id_or_json + "\"; known: " + known;
  }
  if (l->needs_model && !s.model) return "\"" + l->title + "\" needs a real model: load GPT-2 in its tab first";
  if (step >= int(l->steps.size())) return "\"" + l->title + "\" has " + std::to_string(l->steps.size()) + " steps";
  s.lessons.open = l->id;
  const int at = step >= 0 ? step : progress_of(s, *l).step;
  // Every lesson starts from the defaults and its own changes, so its checks see what its text describes
  // (a model's lesson from the loaded model as it is).
  ap::lesson::State start = l->start;
  if (start.config.empty() && !l->needs_model) start.config = "{}";
  if (set_state)
    if (std::string e = apply_state(s, start, true); !e.empty()) return e;
  return go_to_step(s, at, set_state);
}

void close_lesson(Session& s) {
  s.lessons.open.clear();
  s.lessons.feedback.clear();
}

std::string go_to_step(Session& s, int step, bool set_state) {
  const Lesson* l = open_lesson(s);
  if (!l) return "no lesson is open";
  if (step < 0 || step >= int(l->steps.size()))
    return "the lesson has steps 0 to " + std::to_string(l->steps.size() - 1);
  LessonProgress& p = progress_of(s, *l);
  p.step = step;
  ++s.lessons.changes;
  s.lessons.feedback.clear();
  s.lessons.checked = ~0ull;
  // A step's start is over the lesson's, so that a learner who jumps to it finds what it builds on.
  if (const auto& start = l->steps[step].start; start && set_state) {
    ap::lesson::State st = *start;
    if (!l->start.config.empty() && !st.config.empty()) {
      json merged = json::parse(l->start.config);
      merged.update(json::parse(st.config));
      st.config = merged.dump();
    }
    return apply_state(s, st, true);
  }
  return "";
}

void check_lesson(Session& s) {
  const Lesson* l = open_lesson(s);
  if (!l) return;
  LessonProgress& p = progress_of(s, *l);
  const ap::lesson::Step& step = l->steps[p.step];
  if (p.done[p.step] || step.check.needs_answer()) return;
  // Checked again on every new trace, and while its numbers are being computed.
  if (s.lessons.checked == s.generation && !s.lessons.waiting) return;
  if (ap::lesson::needs_head_stats(step)) advance_head_analysis(s, 4);
  s.lessons.checked = s.generation;
  const ap::lesson::Verdict v = ap::lesson::evaluate(step.check, live_of(s));
  // A homework held but not yet checked against this trace (its outputs are still being computed).
  const bool homework_waits =
      step.check.kind == CheckKind::Homework && s.homework.theirs && !v.done && s.homework.checked != s.generation;
  s.lessons.waiting = v.waiting || homework_waits;
  if (v.done) {
    p.done[p.step] = 1;
    ++s.lessons.changes;
    s.lessons.feedback.clear();
  } else {
    s.lessons.feedback = v.feedback;
  }
}

ap::lesson::Verdict answer_lesson(Session& s, const json& answer) {
  const Lesson* l = open_lesson(s);
  if (!l) return {false, false, "no lesson is open"};
  LessonProgress& p = progress_of(s, *l);
  const ap::lesson::Step& step = l->steps[p.step];
  if (ap::lesson::needs_head_stats(step)) advance_head_analysis(s, 1e300);  // an answer waits for them
  const ap::lesson::Verdict v = ap::lesson::evaluate_answer(step, live_of(s), answer);
  if (v.done && !p.done[p.step]) {
    p.done[p.step] = 1;
    ++s.lessons.changes;
  }
  s.lessons.feedback = v.done ? "" : v.feedback;
  return v;
}

const ap::lesson::Step* open_step(const Session& s) {
  const Lesson* l = open_lesson(s);
  return l ? &l->steps[size_t(s.lessons.progress.at(l->id).step)] : nullptr;
}

bool lesson_asks(const Session& s, CheckKind kind) {
  const Lesson* l = open_lesson(s);
  if (!l) return false;
  const LessonProgress& p = s.lessons.progress.at(l->id);
  return l->steps[p.step].check.kind == kind && !p.done[p.step];
}

void lesson_hint(Session& s) {
  if (const Lesson* l = open_lesson(s)) {
    LessonProgress& p = progress_of(s, *l);
    if (!p.hints[p.step]) ++s.lessons.changes;
    p.hints[p.step] = 1;
  }
}

std::string lesson_show_me(Session& s) {
  const Lesson* l = open_lesson(s);
  if (!l) return "no lesson is open";
  LessonProgress& p = progress_of(s, *l);
  const std::optional<ap::lesson::State> st = show_me_of(l->steps[p.step]);
  if (!st) return "this step has no \"show me\"";
  if (!p.shown[p.step]) ++s.lessons.changes;
  p.shown[p.step] = 1;
  s.lessons.checked = ~0ull;
  return apply_state(s, *st, false);
}

// [SECTION] the JS API's answers

json lessons_json(const Session& s) {
  json out = json::array();
  const auto add = [&](const Lesson& l, bool builtin) {
    int done = 0;
    if (auto it = s.lessons.progress.find(l.id); it != s.lessons.progress.end())
      for (uint8_t d : it->second.done) done += d;
    out.push_back({{"id", l.id},
                   {"title", l.title},
                   {"about", l.about},
                   {"steps", l.steps.size()},
                   {"done", done},
                   {"needsModel", l.needs_model},
                   {"builtin", builtin}});
  };
  for (const Lesson& l : s.lessons.builtin) add(l, true);
  if (s.lessons.teacher) add(*s.lessons.teacher, false);
  return out;
}

json lesson_state_json(const Session& s) {
  const Lesson* l = open_lesson(s);
  if (!l) return {{"lesson", nullptr}};
  const LessonProgress& p = s.lessons.progress.at(l->id);
  json steps = json::array();
  int done = 0, hints = 0, shown = 0;
  for (size_t i = 0; i < l->steps.size(); ++i) {
    const ap::lesson::Step& st = l->steps[i];
    json j = {{"text", st.text},
              {"kind", kind_name(st.check.kind)},
              {"done", bool(p.done[i])},
              {"hintUsed", bool(p.hints[i])},
              {"showMeUsed", bool(p.shown[i])},
              {"hasHint", !st.hint.empty()},
              {"hasShowMe", show_me_of(st).has_value()}};
    if (st.check.kind == CheckKind::Choose) j["options"] = st.check.options;
    steps.push_back(j);
    done += p.done[i], hints += p.hints[i], shown += p.shown[i];
  }
  return {{"lesson", l->id},
          {"title", l->title},
          {"step", p.step},
          {"steps", steps},
          {"done", done},
          {"complete", done == int(l->steps.size())},
          {"hintsUsed", hints},
          {"showMeUsed", shown},
          {"feedback", s.lessons.feedback},
          {"waiting", s.lessons.waiting},
          {"summary", lesson_summary(s)}};
}

json lesson_request(Session& s, const std::string& request) {
  const json r = json::parse(request, nullptr, false);
  const auto fail = [](const std::string& e) { return json{{"ok", false}, {"error", e}}; };
  if (!r.is_object() || !r.contains("action") || !r["action"].is_string()) return fail("a request needs an action");
  const std::string action = r["action"];
  const auto step_of = [&](int fallback) {
    return r.contains("step") && r["step"].is_number_integer() ? int(r["step"].get<long long>()) : fallback;
  };
  std::string error;
  json out = {{"ok", true}};
  if (action == "list") return {{"ok", true}, {"lessons", lessons_json(s)}};
  if (action == "open") {
    if (!r.contains("lesson") || !r["lesson"].is_string()) return fail("open needs a lesson: an id or a lesson's JSON");
    // The page could not read it (a fetch refused, a file too large): said as its reason.
    error = r.contains("error") && r["error"].is_string() ? r["error"].get<std::string>().substr(0, 300)
                                                          : open_lesson(s, r["lesson"], step_of(-1));
    // A dropped file or a fetched URL: the page says what was wrong, and keeps what was open.
    if (r.contains("from") && r["from"].is_string()) {
      if (!error.empty()) s.notes.push_back(r["from"].get<std::string>().substr(0, 200) + ": " + error);
      else open_panel(s, "lessons");
    }
  } else if (action == "answer") {
    if (!r.contains("value")) return fail("answer needs a value");
    const ap::lesson::Verdict v = answer_lesson(s, r["value"]);
    if (!open_lesson(s)) return fail("no lesson is open");
    out["correct"] = v.done;
    out["feedback"] = v.feedback;
  } else if (action == "next" || action == "go") {
    const Lesson* l = open_lesson(s);
    if (!l) return fail("no lesson is open");
    const int at = action == "next" ? s.lessons.progress[l->id].step + 1 : step_of(-1);
    error = go_to_step(s, at);
  } else if (action == "hint") {
    if (!open_lesson(s)) return fail("no lesson is open");
    lesson_hint(s);
    out["hint"] = open_lesson(s)->steps[size_t(s.lessons.progress[s.lessons.open].step)].hint;
  } else if (action == "showMe") {
    error = lesson_show_me(s);
  } else if (action == "close") {
    close_lesson(s);
  } else if (action != "state") {
    return fail("unknown action \"" + action + "\"; known: list, open, state, answer, next, go, hint, showMe, close");
  }
  if (!error.empty()) return fail(error);
  check_lesson(s);
  out["state"] = lesson_state_json(s);
  return out;
}

std::string lesson_summary(const Session& s) {
  const Lesson* l = open_lesson(s);
  if (!l) return "";
  const LessonProgress& p = s.lessons.progress.at(l->id);
  int done = 0, hints = 0, shown = 0;
  std::string lines;
  for (size_t i = 0; i < l->steps.size(); ++i) {
    done += p.done[i], hints += p.hints[i], shown += p.shown[i];
    std::string first = l->steps[i].text.substr(0, l->steps[i].text.find('\n'));
    if (first.size() > 80) first = first.substr(0, 77) + "...";
    lines += std::string(p.done[i] ? "[x] " : "[ ] ") + std::to_string(i + 1) + ". " + first +
             (p.hints[i] ? "  (hint)" : "") + (p.shown[i] ? "  (show me)" : "") + "\n";
  }
  return "Attention Playground lesson: " + l->title + "\nSteps done: " + std::to_string(done) + " of " +
         std::to_string(l->steps.size()) + "; hints read: " + std::to_string(hints) +
         "; \"show me\" used: " + std::to_string(shown) + "\n" + lines;
}

std::string progress_json(const Session& s) {
  json out = json::object();
  for (const auto& [id, p] : s.lessons.progress)
    out[id] = {{"step", p.step}, {"done", p.done}, {"hints", p.hints}, {"shown", p.shown}};
  return out.dump();
}

void restore_progress(Session& s, const std::string& text) {
  const json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& id = it.key();
    const json& v = it.value();  // (not a structured binding: the lambda below captures it)
    if (!v.is_object() || id.size() > 60 || s.lessons.progress.size() >= 500) continue;
    const Lesson* l = find_lesson(s, id);
    const size_t n =
        l ? l->steps.size() : std::min(v.value("done", json::array()).size(), ap::lesson::Limits::max_steps);
    if (n == 0) continue;
    LessonProgress p;
    const auto flags = [&](const char* key, std::vector<uint8_t>& out) {
      out.assign(n, 0);
      if (!v.contains(key) || !v[key].is_array()) return;
      for (size_t i = 0; i < std::min(n, v[key].size()); ++i) out[i] = v[key][i] == 1 || v[key][i] == true;
    };
    flags("done", p.done);
    flags("hints", p.hints);
    flags("shown", p.shown);
    if (v.contains("step") && v["step"].is_number_integer())
      p.step = int(std::clamp<long long>(v["step"].get<long long>(), 0, (long long)n - 1));
    s.lessons.progress[id] = p;
  }
}

}  // namespace web
