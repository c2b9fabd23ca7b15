// Lessons in the session: the built-in ones (web/lessons/*.json, embedded at
// build time) and a teacher's, the open lesson and step, each step's check
// against the live state, and the learner's progress, kept on the device by
// the page (progress_json / restore_progress). No ImGui: tested natively.
#pragma once
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lesson/check.h"
#include "lesson/lesson.h"

namespace web {

struct Session;

// One lesson's progress, by step.
struct LessonProgress {
  int step = 0;                // where the learner is
  std::vector<uint8_t> done;   // [steps]
  std::vector<uint8_t> hints;  // [steps] the hint was opened
  std::vector<uint8_t> shown;  // [steps] "show me" was used
};

struct Lessons {
  std::vector<ap::lesson::Lesson> builtin;
  std::optional<ap::lesson::Lesson> teacher;  // loaded from a file or a link
  std::string teacher_json;                   // its text, compact, for the link
  std::string open;                           // the open lesson's id, "" for none
  std::map<std::string, LessonProgress> progress;
  std::string feedback;      // what the last answer or check said
  bool waiting = false;      // the open step's numbers are still being computed
  uint64_t checked = ~0ull;  // the trace generation the open step was last checked on
  uint64_t changes = 0;      // bumps when progress changes: the page saves it then
};

// The built-in lessons' JSON texts, as embedded at build time.
std::vector<std::string> builtin_lesson_texts();
// Parses them into the session (after its panel keys are set); the errors of any that does not parse.
std::vector<std::string> load_builtin_lessons(Session& s);
// The lesson with this id, built-in or the teacher's; nullptr if none.
const ap::lesson::Lesson* find_lesson(const Session& s, const std::string& id);
const ap::lesson::Lesson* open_lesson(const Session& s);
// The open lesson's current step, or nullptr when no lesson is open.
const ap::lesson::Step* open_step(const Session& s);

// Opens a lesson by id, or parses one (a teacher's JSON) and opens it; the
// step the learner reached, unless `step` >= 0. With `set_state`, the lesson's
// start state (and the step's) is set; without, the state stays (a link, a
// reload). "" or one sentence.
std::string open_lesson(Session& s, const std::string& id_or_json, int step = -1, bool set_state = true);
void close_lesson(Session& s);
// Goes to a step of the open lesson (its start state, if it has one, is set).
std::string go_to_step(Session& s, int step, bool set_state = true);
// Checks the open step against the state (each new trace; once a frame is cheap:
// it returns at once when nothing changed).
void check_lesson(Session& s);
// The learner's answer to the open step: a number, a shape's text, a head, [row, col] or an option.
ap::lesson::Verdict answer_lesson(Session& s, const nlohmann::json& answer);
// Whether the open step, not yet done, waits for this kind of answer (a panel sends a click on a head
// or a cell as one).
bool lesson_asks(const Session& s, ap::lesson::CheckKind kind);
// The hint was read; "show me" sets the step's state.
void lesson_hint(Session& s);
std::string lesson_show_me(Session& s);

// [SECTION] the JS API's answers
// {"action": "list" | "open" (with "lesson": an id or a lesson's JSON text, "step") | "state" | "answer" (with
// "value") | "next" | "go" (with "step") | "hint" | "showMe" | "close"}: {ok, ..., state} or {ok: false, error}.
nlohmann::json lesson_request(Session& s, const std::string& request);
nlohmann::json lessons_json(const Session& s);       // [{id, title, steps, needsModel, done}]
nlohmann::json lesson_state_json(const Session& s);  // {lesson, title, step, steps: [{done, hint, showMe}], ...}
// A lesson's summary, for the learner to copy.
std::string lesson_summary(const Session& s);
// Progress as stored on the device, and back (bad entries are dropped; a teacher's lesson keeps its entry
// for when it is opened again).
std::string progress_json(const Session& s);
void restore_progress(Session& s, const std::string& json);

}  // namespace web
