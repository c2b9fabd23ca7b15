// The built-in lessons in the session: each parses, and each is solved step by
// step as a learner would, with answers worked out here from the trace's
// tensors (a softmax, a dot product, shapes from the sizes), after a wrong
// answer that must be refused; progress survives a round trip through the
// device's storage.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "io/npy.h"
#include "reference.h"
#include "session/homework.h"
#include "session/lessons.h"
#include "session/link.h"
#include "session/session.h"

namespace {

using ap::lesson::CheckKind;
using ap::lesson::Measure;
using nlohmann::json;

web::Session started() {
  web::Session s;
  s.panel_keys = {"heads", "lessons", "model", "compare", "pipeline", "tensors",
                  "masks", "scaling", "sizes", "memory",  "train"};
  REQUIRE(web::apply_config(s, {}).empty());
  REQUIRE(web::load_builtin_lessons(s).empty());
  return s;
}

void settle(web::Session& s) {
  while (web::busy(s)) web::advance(s, 1e9);
}

int token(const std::vector<std::string>& tokens, const std::string& text, int index) {
  if (text.empty()) return index;
  for (size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i] == text) return int(i);
  FAIL("no token " << text);
  return -1;
}

// q · k of one head, in float64, from the trace's Q and K.
double dot(const ap::Trace& t, int head, int row, int col) {
  double s = 0;
  for (int d = 0; d < t.d_head; ++d) s += double(t.q[head](row, d)) * double(t.k[head / t.group](col, d));
  return s;
}

// The answer to an "enter" step, worked out here.
double worked_out(const web::Session& s, const ap::lesson::Quantity& q) {
  const ap::Trace& t = s.trace;
  const int head = q.head >= 0 ? q.head : s.view.head;
  const int r = token(t.q_tokens, q.row_token, q.row), c = token(t.kv_tokens, q.col_token, q.col);
  switch (q.of) {
    case Measure::Score:
      return dot(t, head, r, c);
    case Measure::ScaledScore:
      return dot(t, head, r, c) * t.scale / t.temperature;
    case Measure::Weight: {  // the row's softmax over its allowed keys
      double sum = 0, mine = 0;
      for (int j = 0; j < t.n_kv; ++j) {
        if (!t.allowed(r, j)) continue;
        const double e = std::exp(dot(t, head, r, j) * t.scale / t.temperature);
        sum += e;
        if (j == c) mine = e;
      }
      return mine / sum;
    }
    case Measure::DropoutScale:
      return 1 / (1 - s.config.dropout);
    case Measure::ScoreBytes:
      return 4.0 * t.n_heads * (q.times * t.n_q) * (q.times * t.n_kv);
    default:
      FAIL("no worked-out answer for this measure");
      return 0;
  }
}

std::string shape_text(std::vector<int> dims) {
  std::string s = "(";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + ")";
}

// The shape of a step of the pipeline, from the sizes alone.
std::vector<int> worked_out_shape(const ap::Trace& t, const std::string& name, bool view) {
  if (name == "q_proj")
    return view ? std::vector<int>{1, t.n_q, t.n_heads, t.d_head} : std::vector<int>{1, t.n_q, t.d_model};
  if (name == "q" || name == "context") return {1, t.n_heads, t.n_q, t.d_head};
  if (name == "scores" || name == "weights") return {1, t.n_heads, t.n_q, t.n_kv};
  if (name == "concat" || name == "output") return {1, t.n_q, t.d_model};
  FAIL("no worked-out shape for " << name);
  return {};
}

// The head a pick_head step wants, worked out here from the weights.
int worked_out_head(const ap::Trace& t, const ap::lesson::Check& c) {
  int best = -1;
  double best_value = 0;
  for (int h = 0; h < t.n_heads; ++h) {
    const ap::Mat& w = t.heads[h].weights;
    double v = 0;
    if (c.quantity.of == Measure::Behaviour) {  // the previous token: mean weight on key i - 1
      REQUIRE(c.quantity.behaviour == ap::Behaviour::PreviousToken);
      for (int i = 1; i < t.n_q; ++i) v += w(i, i - 1) / (t.n_q - 1);
    } else {  // entropy: the mean over rows of -Σ p log p
      REQUIRE(c.quantity.of == Measure::Entropy);
      for (int i = 0; i < t.n_q; ++i)
        for (int j = 0; j < t.n_kv; ++j)
          if (w(i, j) > 0) v -= double(w(i, j)) * std::log(double(w(i, j))) / t.n_q;
    }
    if (best < 0 || (c.highest ? v > best_value : v < best_value)) best = h, best_value = v;
  }
  return best;
}

// A right answer to a step that asks for one, and a wrong one.
std::pair<json, json> answers(const web::Session& s, const ap::lesson::Step& step) {
  const ap::Trace& t = s.trace;
  const ap::lesson::Check& c = step.check;
  switch (c.kind) {
    case CheckKind::Enter: {
      const double x = worked_out(s, c.quantity);
      return {x, x + 10 * c.tolerance + 1};
    }
    case CheckKind::Shape: {
      std::vector<int> dims = worked_out_shape(t, c.tensor, c.after_view);
      std::vector<int> wrong = dims;
      wrong.back() += 1;
      return {shape_text(dims), shape_text(wrong)};
    }
    case CheckKind::PickHead: {
      const int h = worked_out_head(t, c);
      return {h, (h + 1) % t.n_heads};
    }
    case CheckKind::PickCell:
      REQUIRE(c.cell == ap::lesson::CellRule::Blocked);
      for (int i = 0; i < t.n_q; ++i)
        for (int j = 0; j < t.n_kv; ++j)
          if (!t.allowed(i, j)) return {json{i, j}, json{i, i}};  // the diagonal is always allowed here
      FAIL("no blocked cell");
      return {};
    case CheckKind::Choose:
      return {c.correct, (c.correct + 1) % int(c.options.size())};
    default:
      FAIL("not a step with an answer");
      return {};
  }
}

// A learner's homework, done here with the float64 reference (tests/reference.h): the tensor as .npy bytes,
// right, or with its last two axes swapped.
std::string homework(const web::Session& s, const std::string& target, bool transposed) {
  const ref::Result r = ref::attention(s.config, s.inputs);
  std::vector<ref::Matrix> blocks = target == "output" ? std::vector<ref::Matrix>{r.output} : r.weights;
  ap::Array a{ap::DType::F64, {}, {}};
  if (target != "output") a.shape.push_back(int64_t(blocks.size()));
  const size_t rows = blocks[0].size(), cols = blocks[0][0].size();
  a.shape.push_back(int64_t(transposed ? cols : rows));
  a.shape.push_back(int64_t(transposed ? rows : cols));
  for (const ref::Matrix& m : blocks)
    for (size_t i = 0; i < (transposed ? cols : rows); ++i)
      for (size_t j = 0; j < (transposed ? rows : cols); ++j) a.values.push_back(transposed ? m[j][i] : m[i][j]);
  return ap::npy_bytes(a);
}

}  // namespace

TEST_CASE("lessons: every built-in lesson is solved, each answer step refusing a wrong answer first") {
  web::Session s = started();
  const std::vector<ap::lesson::Lesson> lessons = s.lessons.builtin;
  REQUIRE(lessons.size() == web::builtin_lesson_texts().size());
  REQUIRE(lessons.size() >= 14);
  for (const ap::lesson::Lesson& l : lessons) {
    INFO("lesson " << l.id);
    if (l.needs_model) {
      CHECK(web::open_lesson(s, l.id).find("needs a real model") != std::string::npos);
      continue;
    }
    REQUIRE(web::open_lesson(s, l.id, 0) == "");
    for (size_t i = 0; i < l.steps.size(); ++i) {
      INFO("step " << i);
      REQUIRE(web::go_to_step(s, int(i)) == "");
      settle(s);
      const ap::lesson::Step& step = l.steps[i];
      const auto done = [&] { return bool(s.lessons.progress[l.id].done[i]); };
      if (step.check.kind == CheckKind::Homework) {
        web::begin_frame(s);  // re-checks a held file, then the step
        CHECK_FALSE(done());
        // Asks for a file; a file held from a step before is checked against this one's state and tensor.
        CHECK((s.homework.theirs ? s.lessons.feedback == s.homework.report.verdict
                                 : s.lessons.feedback.find("drop the .npy") != std::string::npos));
        REQUIRE(web::check_homework_file(s, "mine.npy", homework(s, step.check.tensor, true)) == "");
        web::begin_frame(s);  // re-checks a held file, then the step
        CHECK_FALSE(done());
        CHECK(s.homework.report.mistake == "transposed");
        CHECK(s.lessons.feedback == s.homework.report.verdict);
        REQUIRE(web::check_homework_file(s, "mine.npy", homework(s, step.check.tensor, false)) == "");
        web::begin_frame(s);  // re-checks a held file, then the step
        INFO(s.homework.report.verdict);
        CHECK(done());
        continue;
      }
      if (!step.check.needs_answer()) {
        web::check_lesson(s);
        CHECK_FALSE(done());  // a step starts undone: its state is the learner's to set
        CHECK_FALSE(s.lessons.feedback.empty());
        // Every state step has a "show me", which sets what it asks for.
        REQUIRE(web::lesson_show_me(s) == "");
        settle(s);
        for (int k = 0; k < 50 && !done(); ++k) web::check_lesson(s);
        INFO(s.lessons.feedback);
        CHECK(done());
        continue;
      }
      const auto [right, wrong] = answers(s, step);
      const ap::lesson::Verdict no = web::answer_lesson(s, wrong);
      CHECK_FALSE(no.done);
      CHECK_FALSE(no.feedback.empty());
      CHECK_FALSE(done());
      const ap::lesson::Verdict yes = web::answer_lesson(s, right);
      INFO(yes.feedback);
      CHECK(yes.done);
      CHECK(done());
    }
    const json state = web::lesson_state_json(s);
    CHECK(state["complete"] == true);
    CHECK(web::lesson_summary(s).find("Steps done: " + std::to_string(l.steps.size()) + " of " +
                                      std::to_string(l.steps.size())) != std::string::npos);
  }
}

TEST_CASE("lessons: progress, hints and show-me survive the device's storage; bad entries are dropped") {
  web::Session s = started();
  REQUIRE(web::open_lesson(s, "causal") == "");
  web::lesson_hint(s);
  REQUIRE(web::lesson_show_me(s) == "");
  settle(s);
  web::check_lesson(s);
  REQUIRE(s.lessons.progress["causal"].done[0]);
  REQUIRE(web::go_to_step(s, 2) == "");
  const std::string saved = web::progress_json(s);

  web::Session t = started();
  web::restore_progress(t, saved);
  REQUIRE(web::open_lesson(t, "causal") == "");
  const json state = web::lesson_state_json(t);
  CHECK(state["step"] == 2);
  CHECK(state["steps"][0]["done"] == true);
  CHECK(state["steps"][0]["hintUsed"] == true);
  CHECK(state["steps"][0]["showMeUsed"] == true);
  CHECK(state["steps"][1]["done"] == false);
  CHECK(state["hintsUsed"] == 1);

  web::Session u = started();
  web::restore_progress(u, "not json");
  web::restore_progress(u, R"({"causal": {"step": 99, "done": [1, "x", true]}, "other": 5})");
  REQUIRE(web::open_lesson(u, "causal") == "");
  CHECK(web::lesson_state_json(u)["step"] == 3);  // clamped to the last step
  CHECK(web::lesson_state_json(u)["steps"][1]["done"] == false);
}

TEST_CASE("lessons: a teacher's lesson opens from its JSON; a bad one is refused and the open one kept") {
  web::Session s = started();
  REQUIRE(web::open_lesson(s, "causal") == "");
  const std::string teacher = R"({"format": "attention-playground-lesson/1", "id": "mine", "title": "Mine",
    "steps": [{"text": "Four heads.", "check": {"config": {"n_heads": 4}}}]})";
  CHECK(web::open_lesson(s, R"({"format": "attention-playground-lesson/1", "id": "bad"})") ==
        "this lesson cannot be used: title: is required");
  CHECK(s.lessons.open == "causal");
  CHECK(web::open_lesson(s, "nothing").find("no lesson is called \"nothing\"; known: sdpa") == 0);
  REQUIRE(web::open_lesson(s, teacher) == "");
  CHECK(s.lessons.open == "mine");
  web::check_lesson(s);
  CHECK(s.lessons.progress["mine"].done[0]);  // 4 heads is the default
  CHECK(web::lessons_json(s).back()["id"] == "mine");
  CHECK(web::open_lesson(s, R"({"format": "attention-playground-lesson/1", "id": "causal", "title": "Fake",
    "steps": [{"text": "x", "check": {"config": {"causal": true}}}]})")
            .find("a built-in lesson is already called") == 0);
}

TEST_CASE("lessons: the link holds the lesson and its step; a teacher's lesson is packed into it") {
  web::Session s = started();
  // With a step, the link's state is kept (a reload); without, the lesson starts from its start.
  web::apply_link(s, "causal=true&lesson=padding&step=1");
  CHECK(s.lessons.open == "padding");
  CHECK(s.lessons.progress["padding"].step == 1);
  CHECK(s.config.causal);
  // Without a step: where the learner was, from that step's start state (the lesson's, padded to 14).
  web::apply_link(s, "causal=true&lesson=padding");
  CHECK(s.lessons.progress["padding"].step == 1);
  CHECK(s.config.pad_to == 14);
  CHECK_FALSE(s.config.causal);
  CHECK(web::current_link(s).find("&lesson=padding&step=1") != std::string::npos);
  web::apply_link(s, "lesson=nothing&step=x");
  CHECK(s.notes == std::vector<std::string>{"step ignored: not a step number",
                                            "lesson ignored: no lesson is called \"nothing\"; known: sdpa, qkv-roles, "
                                            "shapes, view-transpose, why-sqrt, causal, padding, fully-masked, cross, "
                                            "dropout, compare-heads, costs, sizes, your-code, gpt2-heads"});
  // A teacher's lesson goes into the link as its JSON, and comes back from it at the same step.
  REQUIRE(web::open_lesson(s, R"({"format": "attention-playground-lesson/1", "id": "mine", "title": "Mine & yours",
    "steps": [{"text": "a", "check": {"config": {"causal": true}}}, {"text": "b", "check": {"config": {"causal": false}}}]})") ==
          "");
  REQUIRE(web::go_to_step(s, 1) == "");
  const std::string link = web::current_link(s);
  CHECK(link.find("&lesson_json=%7B") != std::string::npos);
  web::Session t = started();
  web::apply_link(t, link);
  CHECK(t.notes.empty());
  CHECK(t.lessons.open == "mine");
  CHECK(t.lessons.progress["mine"].step == 1);
  CHECK(web::open_lesson(t)->title == "Mine & yours");
  web::apply_link(t, "lesson_json=%7B%22format%22%3A1%7D");
  CHECK(t.notes == std::vector<std::string>{"lesson_json ignored: this lesson cannot be used: format: must be "
                                            "\"attention-playground-lesson/1\""});
  CHECK(web::lesson_request(t, R"({"action": "open", "lesson": "{}", "from": "x.json"})")["ok"] == false);
  CHECK(t.notes.back() == "x.json: this lesson cannot be used: format: must be \"attention-playground-lesson/1\"");
}
