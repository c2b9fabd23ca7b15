// A lesson step's check against the live state (lesson.h): the config, the
// trace and the numbers derived from it, never a stored answer (a multiple
// choice aside). A wrong answer gets feedback that says where to look.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "analysis/homework.h"
#include "config/config.h"
#include "layer/trace.h"
#include "lesson/lesson.h"

namespace ap::lesson {

// What a check reads.
struct Live {
  const Config& config;
  const Trace& trace;
  const HeadAnalysis* heads = nullptr;          // per-head statistics, once computed (for entropy)
  int shown_head = 0;                           // the head on screen: a cell without a head is in it
  const std::vector<int>* token_ids = nullptr;  // the text's token ids (a model's); else equal texts, equal ids
  const HomeworkReport* homework = nullptr;     // the learner's last dropped result, checked against this trace
};

struct Verdict {
  bool done = false;
  bool waiting = false;  // a number it needs is still being computed
  std::string feedback;  // when not done: what is missing, or where to look
};

// A measure's value now; nullopt with *why (one sentence) when it cannot be
// had: a token the text does not hold, a head out of range, statistics not
// computed yet (*waiting set).
std::optional<double> measure(const Quantity& q, const Live& live, std::string* why, bool* waiting = nullptr);
// Whether a check needs the per-head statistics (the caller computes them).
bool needs_head_stats(const Step& s);

// A condition check (config, measure) against the state.
Verdict evaluate(const Check& c, const Live& live);
// An answer to a step that asks for one: a number, a shape as text ("(1, 4, 11, 16)"), a head, a cell
// [row, col] or an option's index, as JSON.
Verdict evaluate_answer(const Step& s, const Live& live, const nlohmann::json& answer);

// The whole numbers of a typed shape, in order: "(1, 4, 11, 16)", "[1,4,11,16]", "torch.Size([1, 4, 11, 16])",
// "1x4x11x16"; empty when it holds none or a number too large.
std::vector<int> parse_shape(const std::string& text);

}  // namespace ap::lesson
