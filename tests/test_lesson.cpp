// The lesson format (core/lesson/): the strict parser refuses a catalogue of
// malformed lessons, each with its field's path; each kind of check fails on
// a wrong state or answer and passes on the right one; the measures agree
// with numbers worked out here from the trace's q and k.
#include <doctest/doctest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "io/export.h"
#include "layer/attention.h"
#include "lesson/check.h"
#include "lesson/lesson.h"
#include "readme.h"

namespace {

using nlohmann::json;
namespace lesson = ap::lesson;

// A one-step lesson around a check (and more step fields).
std::string with_step(const json& step) {
  return json{{"format", "attention-playground-lesson/1"}, {"id", "t"}, {"title", "T"}, {"steps", {step}}}.dump();
}
lesson::Lesson parse(const json& step) {
  const lesson::Parsed p = lesson::parse_lesson(with_step(step));
  INFO(p.error);
  REQUIRE(p.lesson);
  return *p.lesson;
}

struct Fixture {
  ap::Config config;
  ap::Trace trace;
  ap::HeadAnalysis heads;
  explicit Fixture(const ap::Config& c) : config(c), trace(ap::run(c, ap::make_inputs(c))) {
    heads = ap::analyse_heads(trace);
  }
  lesson::Live live(int head = 0) const { return {config, trace, &heads, head, nullptr}; }
};

ap::Config small(const std::string& text = "the cat sat") {
  ap::Config c;
  c.text = text;
  c.d_model = 16;
  c.n_heads = 2;
  return c;
}

}  // namespace

TEST_CASE("lesson: malformed lessons are refused with the field's path and a reason") {
  const json ok_step = {{"text", "Turn causal on."}, {"check", {{"config", {{"causal", true}}}}}};
  struct Bad {
    std::string text, error;
  };
  const std::vector<Bad> catalogue = {
      {"", "the lesson is not valid JSON"},
      {"[1, 2", "the lesson is not valid JSON"},
      {std::string(200, '[') + std::string(200, ']'), "the lesson nests deeper than 8 levels"},
      {std::string(lesson::Limits::max_bytes + 1, ' '), "the lesson is larger than 128 KiB"},
      {"[]", ": must be an object, not an array"},
      {json{{"id", "x"}}.dump(), "format: must be \"attention-playground-lesson/1\""},
      {json{{"format", "attention-playground-lesson/2"}}.dump(), "format: must be"},
      {json{{"format", "attention-playground-lesson/1"}, {"id", "a b"}, {"title", "T"}, {"steps", {ok_step}}}.dump(),
       "id: may hold only letters, digits, - and _"},
      {json{{"format", "attention-playground-lesson/1"}, {"id", "a"}, {"steps", {ok_step}}}.dump(),
       "title: is required"},
      {json{{"format", "attention-playground-lesson/1"}, {"id", "a"}, {"title", "T"}, {"steps", json::array()}}.dump(),
       "steps: must be a list of 1 to 40 steps"},
      {json{{"format", "attention-playground-lesson/1"},
            {"id", "a"},
            {"title", "T"},
            {"colour", 1},
            {"steps", {ok_step}}}
           .dump(),
       "colour: unknown field"},
      {json{{"format", "attention-playground-lesson/1"},
            {"id", "a"},
            {"title", "T"},
            {"start", {{"config", {{"n_heads", 5}}}}},
            {"steps", {ok_step}}}
           .dump(),
       "start.config: d_model 64 is not divisible by 5 heads"},
      {with_step({{"check", ok_step["check"]}}), "steps[0].text: is required"},
      {with_step({{"text", "x"}}), "steps[0].check: is required"},
      {with_step({{"text", std::string(2001, 'x')}, {"check", ok_step["check"]}}),
       "steps[0].text: is longer than 2000 bytes"},
      {with_step({{"text", "x"}, {"check", {{"config", {{"causall", true}}}}}}),
       "steps[0].check.config.causall: no config field is called that"},
      {with_step({{"text", "x"}, {"check", {{"config", {{"causal", 1}}}}}}),
       "steps[0].check.config.causal: causal must be true or false, not a number"},
      {with_step({{"text", "x"}, {"check", {{"config", {{"causal", {{"at_least", 1}}}}}}}}),
       "steps[0].check.config.causal: bounds apply to number fields only"},
      {with_step({{"text", "x"}, {"check", {{"measure", {{"of", "weight"}}}}}}),
       "steps[0].check.measure.row: is required for this measure"},
      {with_step({{"text", "x"}, {"check", {{"measure", {{"of", "happiness"}}}, {"at_least", 1}}}}),
       "steps[0].check.measure.of: no measure is called \"happiness\""},
      {with_step({{"text", "x"}, {"check", {{"measure", {{"of", "d_head"}}}}}}),
       "steps[0].check: needs at_least or at_most"},
      {with_step({{"text", "x"}, {"check", {{"measure", {{"of", "d_head"}}}, {"at_least", 2}, {"at_most", 1}}}}),
       "steps[0].check: at_least is above at_most"},
      {with_step({{"text", "x"}, {"check", {{"enter", {{"of", "d_head"}}}}}}), "steps[0].check.tolerance: is required"},
      {with_step({{"text", "x"}, {"check", {{"enter", {{"of", "d_head"}}}, {"tolerance", -1}}}}),
       "steps[0].check.tolerance: must be a number of at least 0"},
      {with_step({{"text", "x"}, {"check", {{"enter", {{"of", "entropy"}}}, {"tolerance", 0.1}}}}),
       "steps[0].check.enter.head: is required for entropy"},
      {with_step({{"text", "x"}, {"check", {{"enter", {{"of", "d_head"}, {"head", 1}}}, {"tolerance", 0.1}}}}),
       "steps[0].check.enter.head: does not apply to d_head"},
      {with_step({{"text", "x"}, {"check", {{"shape_of", "qq"}}}}), "steps[0].check.shape_of: no tensor is called"},
      {with_step({{"text", "x"}, {"check", {{"pick_head", {{"of", "entropy"}, {"head", 0}}}}}}),
       "steps[0].check.pick_head.head: is the learner's pick here"},
      {with_step({{"text", "x"}, {"check", {{"pick_head", {{"of", "d_head"}}}}}}),
       "steps[0].check.pick_head.of: must be a measure of one head"},
      {with_step({{"text", "x"}, {"check", {{"pick_cell", "purple"}}}}),
       "steps[0].check.pick_cell: must be blocked, allowed, largest_in_row or zero"},
      {with_step({{"text", "x"}, {"check", {{"choose", {"only one"}}, {"correct", 0}}}}),
       "steps[0].check.choose: must be a list of 2 to 8 options"},
      {with_step({{"text", "x"}, {"check", {{"choose", {"a", "b"}}, {"correct", 2}}}}),
       "steps[0].check.correct: must be a whole number from 0 to 1"},
      {with_step({{"text", "x"}, {"check", {{"choose", {"a", "b"}}}}}), "steps[0].check.correct: is required"},
      {with_step({{"text", "x"}, {"check", json::object()}}),
       "steps[0].check: needs one of config, measure, enter, shape_of, pick_head, pick_cell, choose, homework"},
      {with_step({{"text", "x"}, {"check", {{"homework", "scores"}}}}),
       "steps[0].check.homework: must be one of weights, context, output"},
      {with_step({{"text", "x"}, {"check", {{"homework", "output"}, {"tolerance", 1}}}}),
       "steps[0].check.tolerance: unknown field"},
      {with_step({{"text", "x"}, {"check", {{"choose", {"a", "b"}}, {"correct", 0}, {"extra", 1}}}}),
       "steps[0].check.extra: unknown field"},
      {with_step({{"text", "x"}, {"check", ok_step["check"]}, {"mistakes", {{{"say", "no"}}}}}),
       "steps[0].mistakes: apply to entered numbers only"},
      {with_step({{"text", "x"},
                  {"check", {{"enter", {{"of", "d_head"}}}, {"tolerance", 0}}},
                  {"mistakes", {{{"say", "no"}}}}}),
       "steps[0].mistakes[0].measure: is required"},
      {with_step({{"text", "x"}, {"check", ok_step["check"]}, {"show_me", {{"panel", 3}}}}),
       "steps[0].show_me.panel: must be a string, not a number"},
      {with_step({{"text", "x"}, {"check", ok_step["check"]}, {"start", {{"head", 64}}}}),
       "steps[0].start.head: must be a whole number from 0 to 63"},
  };
  CHECK(catalogue.size() == 41);  // the README's count
  for (const Bad& b : catalogue) {
    const lesson::Parsed p = lesson::parse_lesson(b.text);
    INFO(b.text.substr(0, 200));
    CHECK_FALSE(p.lesson);
    CHECK(p.error.rfind(b.error, 0) == 0);
    if (p.error.rfind(b.error, 0) != 0) MESSAGE(p.error);
  }
  // A panel the page does not have, when the page says which it has.
  const lesson::Parsed p = lesson::parse_lesson(
      with_step({{"text", "x"}, {"check", ok_step["check"]}, {"start", {{"panel", "nowhere"}}}}), {"heads", "masks"});
  CHECK(p.error == "steps[0].start.panel: no panel is called \"nowhere\"");
}

TEST_CASE("lesson: a config check fails on the wrong state and passes on the right one") {
  const lesson::Lesson l =
      parse({{"text", "x"},
             {"check", {{"config", {{"causal", true}, {"pad_to", {{"at_least", 12}}}, {"fully_masked", "nan"}}}}}});
  ap::Config c = small();
  Fixture off(c);
  lesson::Verdict v = lesson::evaluate(l.steps[0].check, off.live());
  CHECK_FALSE(v.done);
  CHECK(v.feedback == "Not yet: causal is false.");
  c.causal = true;  // (the fields are checked in the order of their names)
  CHECK(lesson::evaluate(l.steps[0].check, Fixture(c).live()).feedback == "Not yet: fully_masked is \"zero\".");
  c.fully_masked = ap::FullyMasked::NaN;
  c.pad_to = 11;
  CHECK(lesson::evaluate(l.steps[0].check, Fixture(c).live()).feedback == "Not yet: pad_to is 11.");
  c.pad_to = 12;
  CHECK(lesson::evaluate(l.steps[0].check, Fixture(c).live()).done);
}

TEST_CASE("lesson: measures agree with q, k and a softmax worked out here") {
  Fixture f(small());
  const ap::Trace& t = f.trace;
  // Row "sat" (2), column "cat" (1), head 1: q · k, then · 1/√d_head, then the row's softmax.
  double score = 0;
  for (int d = 0; d < t.d_head; ++d) score += double(t.q[1](2, d)) * double(t.k[1](1, d));
  double row[3], sum = 0;
  for (int j = 0; j < 3; ++j) {
    double s = 0;
    for (int d = 0; d < t.d_head; ++d) s += double(t.q[1](2, d)) * double(t.k[1](j, d));
    row[j] = std::exp(s / std::sqrt(double(t.d_head)));
    sum += row[j];
  }
  std::string why;
  const auto m = [&](lesson::Measure of, int head, const char* r, const char* c) {
    lesson::Quantity q;
    q.of = of;
    q.head = head;
    q.row_token = r;
    q.col_token = c;
    const auto v = lesson::measure(q, f.live(), &why);
    REQUIRE(v);
    return *v;
  };
  // float32 products against float64 here: 16 terms of order 1, relative 1e-5 is far above their rounding.
  CHECK(m(lesson::Measure::Score, 1, "sat", "cat") == doctest::Approx(score).epsilon(1e-5));
  CHECK(m(lesson::Measure::ScaledScore, 1, "sat", "cat") == doctest::Approx(score / std::sqrt(8.0)).epsilon(1e-5));
  CHECK(m(lesson::Measure::Weight, 1, "sat", "cat") == doctest::Approx(row[1] / sum).epsilon(1e-5));
  // A token the text does not hold, and a head past n_heads.
  lesson::Quantity q;
  q.of = lesson::Measure::Weight;
  q.head = 0;
  q.row_token = "dog";
  q.col_token = "cat";
  CHECK_FALSE(lesson::measure(q, f.live(), &why));
  CHECK(why == "the text has no token \"dog\" among the queries");
  q.row_token = "sat";
  q.head = 2;
  CHECK_FALSE(lesson::measure(q, f.live(), &why));
  CHECK(why == "there is no head 2: n_heads is 2");
  // The scores' memory at twice the lengths: 4 bytes × 2 heads × (2·3)².
  q = {};
  q.of = lesson::Measure::ScoreBytes;
  q.times = 2;
  CHECK(*lesson::measure(q, f.live(), &why) == 4.0 * 2 * 6 * 6);
  // Dropout's factor for the survivors is 1/(1 − p).
  ap::Config c = small();
  c.dropout = 0.25;
  q.of = lesson::Measure::DropoutScale;
  CHECK(*lesson::measure(q, Fixture(c).live(), &why) == doctest::Approx(1 / 0.75).epsilon(1e-6));
}

TEST_CASE("lesson: an entered number is right within the tolerance; a near miss gets the mistake's words") {
  const lesson::Lesson l = parse(
      {{"text", "Enter the weight."},
       {"check", {{"enter", {{"of", "weight"}, {"head", 0}, {"row", "sat"}, {"col", "cat"}}}, {"tolerance", 0.002}}},
       {"mistakes",
        {{{"measure", {{"of", "scaled_score"}, {"head", 0}, {"row", "sat"}, {"col", "cat"}}},
          {"say", "That is the scaled score."}}}}});
  Fixture f(small());
  const double w = f.trace.heads[0].weights(2, 1), s = f.trace.heads[0].scaled(2, 1);
  CHECK(lesson::evaluate_answer(l.steps[0], f.live(), w + 0.0015).done);
  CHECK(lesson::evaluate_answer(l.steps[0], f.live(), std::to_string(w)).done);  // typed text
  const lesson::Verdict far = lesson::evaluate_answer(l.steps[0], f.live(), w + 0.1);
  CHECK_FALSE(far.done);
  CHECK(far.feedback.find("Not quite") == 0);
  REQUIRE(std::abs(s - w) > 0.01);
  CHECK(lesson::evaluate_answer(l.steps[0], f.live(), s).feedback == "That is the scaled score.");
  CHECK(lesson::evaluate_answer(l.steps[0], f.live(), "a lot").feedback == "Enter a number, such as 0.25.");
}

TEST_CASE("lesson: a typed shape is read whatever its brackets; a wrong one says where to look") {
  CHECK(lesson::parse_shape("(1, 4, 11, 16)") == std::vector<int>{1, 4, 11, 16});
  CHECK(lesson::parse_shape("torch.Size([1, 4, 11, 16])") == std::vector<int>{1, 4, 11, 16});
  CHECK(lesson::parse_shape("1x4x11x16") == std::vector<int>{1, 4, 11, 16});
  CHECK(lesson::parse_shape("no digits").empty());
  CHECK(lesson::parse_shape("99999999999").empty());
  const lesson::Lesson l = parse({{"text", "Heads first."}, {"check", {{"shape_of", "q"}}}});
  ap::Config c;  // 11 tokens, d_model 64, 4 heads
  Fixture f(c);
  CHECK(lesson::evaluate_answer(l.steps[0], f.live(), "(1, 4, 11, 16)").done);
  // Before the transpose: the shape of another step, named.
  const lesson::Verdict before = lesson::evaluate_answer(l.steps[0], f.live(), "(1, 11, 4, 16)");
  CHECK_FALSE(before.done);
  CHECK(before.feedback.find("Q.view(1, n_q, heads, d_head)") != std::string::npos);
  CHECK(lesson::evaluate_answer(l.steps[0], f.live(), "(4, 11, 16)").feedback ==
        "This tensor has 4 axes: (batch, heads, seq, head_dim).");
  CHECK(lesson::evaluate_answer(l.steps[0], f.live(), "(1, 4, 11, 15)").feedback.find("Not quite") == 0);
}

TEST_CASE("lesson: picking a head, a cell and an option") {
  ap::Config c;
  c.weights = ap::Weights::Constructed;  // head h % 4: previous, same, first, two back (inputs.h)
  Fixture f(c);
  const lesson::Lesson prev =
      parse({{"text", "x"}, {"check", {{"pick_head", {{"of", "behaviour"}, {"behaviour", "previous"}}}}}});
  CHECK(lesson::evaluate_answer(prev.steps[0], f.live(), 0).done);
  const lesson::Verdict wrong = lesson::evaluate_answer(prev.steps[0], f.live(), 1);
  CHECK_FALSE(wrong.done);
  CHECK(wrong.feedback.find("Not head 1") == 0);
  CHECK(lesson::evaluate_answer(prev.steps[0], f.live(), 7).feedback == "Pick a head from 0 to 3.");
  // The lowest entropy, worked out here from the weights.
  int lowest = 0;
  double best = 1e9;
  for (int h = 0; h < f.trace.n_heads; ++h) {
    double e = 0;
    for (int i = 0; i < f.trace.n_q; ++i)
      for (int j = 0; j < f.trace.n_kv; ++j) {
        const double p = f.trace.heads[h].weights(i, j);
        if (p > 0) e -= p * std::log(p);
      }
    if (e / f.trace.n_q < best) best = e / f.trace.n_q, lowest = h;
  }
  const lesson::Lesson focused =
      parse({{"text", "x"}, {"check", {{"pick_head", {{"of", "entropy"}}}, {"highest", false}}}});
  CHECK(lesson::evaluate_answer(focused.steps[0], f.live(), lowest).done);
  CHECK_FALSE(lesson::evaluate_answer(focused.steps[0], f.live(), (lowest + 1) % 4).done);

  ap::Config causal = small();
  causal.causal = true;
  Fixture g(causal);
  const lesson::Lesson blocked = parse({{"text", "x"}, {"check", {{"pick_cell", "blocked"}}}});
  CHECK(lesson::evaluate_answer(blocked.steps[0], g.live(), json{0, 2}).done);  // "the" cannot see "sat"
  const lesson::Verdict seen = lesson::evaluate_answer(blocked.steps[0], g.live(), json{2, 0});
  CHECK_FALSE(seen.done);
  CHECK(seen.feedback.find("query \"sat\" may see key \"the\"") != std::string::npos);
  CHECK(lesson::evaluate_answer(blocked.steps[0], g.live(), json{5, 0}).feedback == "Pick a cell of the map.");

  const lesson::Lesson mc = parse({{"text", "x"}, {"check", {{"choose", {"0", "1"}}, {"correct", 1}}}});
  CHECK(lesson::evaluate_answer(mc.steps[0], g.live(), 1).done);
  CHECK(lesson::evaluate_answer(mc.steps[0], g.live(), 0).feedback.find("Not that one") == 0);
}

TEST_CASE("lesson: a homework step is done by a right result for its tensor, and says what the last one was") {
  const lesson::Lesson l = parse({{"text", "x"}, {"check", {{"homework", "weights"}}}});
  const ap::Config c = small();
  const ap::Inputs in = ap::make_inputs(c);
  const ap::Trace t = ap::run(c, in);
  lesson::Live live{c, t, nullptr, 0, nullptr, nullptr};
  CHECK_FALSE(lesson::evaluate(l.steps[0].check, live).done);
  CHECK(lesson::evaluate(l.steps[0].check, live).feedback.find("drop the .npy") != std::string::npos);
  const ap::Array weights = ap::to_array(*ap::find_tensor(t, "weights", -1, nullptr));
  const ap::HomeworkReport right = ap::check_homework(c, in, t, weights, "weights");
  live.homework = &right;
  CHECK(lesson::evaluate(l.steps[0].check, live).done);
  // The right output is not the weights this step asks for.
  const ap::HomeworkReport other =
      ap::check_homework(c, in, t, ap::to_array(*ap::find_tensor(t, "output", -1, nullptr)));
  REQUIRE(other.correct);
  live.homework = &other;
  CHECK_FALSE(lesson::evaluate(l.steps[0].check, live).done);
  const ap::HomeworkReport wrong =
      ap::check_homework(c, in, t, ap::to_array(*ap::find_tensor(t, "scaled_scores", -1, nullptr)), "weights");
  live.homework = &wrong;
  const lesson::Verdict v = lesson::evaluate(l.steps[0].check, live);
  CHECK_FALSE(v.done);
  CHECK(v.feedback == wrong.verdict);
  CHECK(wrong.mistake == "no_softmax");
}

TEST_CASE("lesson: a condition on a measure holds only when it is met") {
  const lesson::Lesson l = parse({{"text", "x"}, {"check", {{"measure", {{"of", "pad_key_weight"}}}, {"at_most", 0}}}});
  ap::Config c = small();
  CHECK(lesson::evaluate(l.steps[0].check, Fixture(c).live()).feedback ==
        "Not yet: the keys hold no [PAD] token: pad the text first.");
  c.pad_to = 6;
  c.mask_pad_keys = false;
  const lesson::Verdict open = lesson::evaluate(l.steps[0].check, Fixture(c).live());
  CHECK_FALSE(open.done);
  CHECK(open.feedback.find("Not yet: the largest weight on a [PAD] key is 0.") == 0);
  c.mask_pad_keys = true;
  CHECK(lesson::evaluate(l.steps[0].check, Fixture(c).live()).done);
}

TEST_CASE("lesson: the README's table of measures is the measure table's") {
  const std::string table =
      readme_between("<!-- measures: begin (generated from core/lesson/lesson.cpp; tests/test_lesson.cpp) -->\n",
                     "<!-- measures: end -->");
  // On a mismatch, the expected table is printed: paste it between the markers.
  INFO("expected:\n" << lesson::measures_markdown());
  CHECK(table == lesson::measures_markdown());
}
