// A lesson: a short sequence of steps, each with a text and a check that the
// live state (config, trace) satisfies, or that the learner's answer matches
// a number the core computes from that state. The built-in lessons and a
// teacher's are one JSON format (README, "Lessons"), parsed strictly: limits
// on sizes and counts, unknown fields and bad checks refused with the field's
// path. Nothing in a lesson is executed; its text is drawn as text.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/behaviour.h"

namespace ap::lesson {

struct Limits {
  static constexpr size_t max_bytes = 128 * 1024;  // one lesson file
  static constexpr int max_depth = 8;              // nesting of [ and {
  static constexpr size_t max_steps = 40;
  static constexpr size_t max_text = 2000;  // bytes of a step's text, hint or explanation
  static constexpr size_t max_title = 120;
  static constexpr size_t max_options = 8;   // of a multiple choice
  static constexpr size_t max_mistakes = 8;  // per step
};

// [SECTION] numbers computed from the live state
enum class Measure {
  Weight,           // weights[head][row][col]
  Score,            // scores (q·k) [head][row][col]
  ScaledScore,      // scaled_scores [head][row][col]
  Entropy,          // the head's mean row entropy (nats), as Compare heads shows it
  LargestWeight,    // the head's largest weight (head -1: of every head)
  RowMaxWeight,     // the mean over the head's rows of each row's largest weight (head -1: the most of any head)
  PadKeyWeight,     // the largest weight on a [PAD] key, over every head and row that has a real key
  FullyMaskedRows,  // queries with no key left
  NanWeights,       // weights that are NaN, over every head
  DropoutScale,     // what dropout multiplies a surviving weight by, read off the trace
  DHead,            // d_head
  NQ,               // n_q
  ScoreBytes,       // bytes of the [n_heads, n_q, n_kv] float32 scores, at `times` the lengths
  Behaviour,        // a head's behaviour score (analysis/behaviour.h)
};
// The measures by name, written once: the parser, the README and the tests read this.
struct MeasureInfo {
  Measure of;
  const char* name;
  bool cell;      // addresses a cell (row and col)
  bool per_head;  // takes a head (-1 allowed where `any_head`)
  bool any_head;
  const char* what;  // in words, for feedback: "the weight"
};
const std::vector<MeasureInfo>& measures();
const MeasureInfo& info(Measure m);
// The README's table of measures, as Markdown (tests/test_lesson.cpp compares).
std::string measures_markdown();

struct Quantity {
  Measure of = Measure::Weight;
  int head = -1;  // -1: every head (where the measure allows it); for a cell, the shown head
  // A cell: an index, or a token's text ("sat": its first occurrence), found when checked.
  int row = -1, col = -1;
  std::string row_token, col_token;
  int times = 1;  // ScoreBytes
  ap::Behaviour behaviour = ap::Behaviour::PreviousToken;
};

// [SECTION] checks
enum class CheckKind {
  Config,     // fields of the config have these values (or lie in these bounds)
  Condition,  // a measure lies in bounds
  Enter,      // the learner enters a number: the measure, within a tolerance
  Shape,      // the learner types the shape of a step of the pipeline
  PickHead,   // the learner picks the head with the highest (or lowest) measure
  PickCell,   // the learner picks a cell of the map that obeys a rule
  Choose,     // a multiple choice
  Homework,   // the learner's own code computes a tensor; its .npy, dropped on the page, matches the page's
};
struct Bounds {
  std::optional<double> at_least, at_most;
  std::optional<std::string> equals;  // a field's JSON value, compact (config checks)
};
struct FieldCondition {
  std::string field;
  Bounds bounds;
};
enum class CellRule { Blocked, Allowed, LargestInRow, Zero };
struct Check {
  CheckKind kind = CheckKind::Config;
  std::vector<FieldCondition> config;  // Config
  Quantity quantity;                   // Condition, Enter, PickHead
  Bounds bounds;                       // Condition
  double tolerance = 0;                // Enter: |answer − measure| ≤ tolerance
  std::string tensor;                  // Shape: a pipeline step's tensor name; Homework: a homework target
  bool after_view = false;             // Shape: the step that views it split into heads
  bool highest = true;                 // PickHead
  CellRule cell = CellRule::Blocked;   // PickCell, in the shown head
  std::vector<std::string> options;    // Choose
  int correct = -1;                    // Choose
  // Whether the learner answers through answer() (a homework's answer is a file, checked as it arrives).
  bool needs_answer() const {
    return kind != CheckKind::Config && kind != CheckKind::Condition && kind != CheckKind::Homework;
  }
};
// An answer close to another quantity gets its own words ("that is the score before the softmax").
struct Mistake {
  Quantity quantity;
  std::string say;
};

// [SECTION] lessons
// A state to start from (a config over the defaults) or to set for "show me" (over the current one).
struct State {
  std::string config;  // a JSON object of config fields, checked when parsed; "" for none
  std::string panel;   // a panel key, "" to leave it
  int head = -1;       // the head to show, -1 to leave it
};
struct Step {
  std::string text, hint, explain;  // explain: shown once the step is done
  std::optional<State> start;       // set when the step is entered
  std::optional<State> show_me;     // "show me": for those who are stuck
  Check check;
  std::vector<Mistake> mistakes;
};
struct Lesson {
  std::string id, title, about;
  State start;               // the lesson's first state (over the defaults)
  bool needs_model = false;  // for a loaded GPT-2 only
  std::vector<Step> steps;
};

struct Parsed {
  std::optional<Lesson> lesson;
  std::string error;  // "steps[2].check.tolerance: must be a number of at least 0"
};
// Parses a lesson. `panels` are the panel keys a state may open (the panel
// registry's); empty: any name is accepted (the core's own tests).
Parsed parse_lesson(std::string_view json, const std::vector<std::string>& panels = {});
}  // namespace ap::lesson
