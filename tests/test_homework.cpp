// The homework check (analysis/homework.h) against homework done in NumPy:
// a script of the tests (tests/reference/homework_numpy.py), independent of the core, computes each tensor from
// the page's exported inputs the way a learner would, right and with each
// usual mistake, in float32 (and float64); the check must call the right ones
// right and name each mistake.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "analysis/homework.h"
#include "io/export.h"
#include "io/npz.h"
#include "layer/attention.h"
#include "numpy_helpers.h"
#include "readme.h"

namespace fs = std::filesystem;
using namespace testing_numpy;

namespace {

// tests/reference/homework_numpy.py, run as a script with its arguments.
int run_learner(const std::vector<std::string>& args) {
  std::vector<std::string> all = {std::string(AP_SOURCE_DIR) + "/tests/reference/homework_numpy.py"};
  all.insert(all.end(), args.begin(), args.end());
  return run_python("import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name=\"__main__\")",
                    all);
}

struct Case {
  const char* name;
  ap::Config config;
};

ap::Config with(void (*edit)(ap::Config&)) {
  ap::Config c;
  edit(c);
  return c;
}

const Case kCases[] = {
    {"the default layer", ap::Config{}},
    {"causal, padded to 14 with the key mask", with([](ap::Config& c) {
       c.causal = true;
       c.pad_to = 14;
     })},
    {"grouped-query heads with dropout 0.2", with([](ap::Config& c) {
       c.n_heads = 8;
       c.n_kv_heads = 2;
       c.dropout = 0.2;
       c.causal = true;
     })},
    {"cross-attention, a custom mask with a fully masked row, uniform policy", with([](ap::Config& c) {
       ap::set_cross_attention(c, true);
       c.fully_masked = ap::FullyMasked::Uniform;
       const ap::Sequences sq = ap::make_sequences(c);
       c.custom_mask.assign(size_t(sq.n_q()), std::vector<uint8_t>(size_t(sq.n_kv()), 1));
       for (auto& cell : c.custom_mask[2]) cell = 0;
       c.custom_mask[0][1] = 0;
     })},
};

ap::Array load(const fs::path& p) {
  auto r = ap::read_npy(p.string());
  if (auto* e = std::get_if<std::string>(&r)) FAIL(*e);
  return std::get<ap::Array>(r);
}

bool close(const ap::Array& a, const ap::Array& b) {
  return a.values.size() == b.values.size() && ap::compare_values(a.values, b.values, ap::kHomeworkTolerance).match();
}

}  // namespace

TEST_CASE("homework: NumPy's right results are right, and each usual mistake is named") {
  if (!have_numpy()) {
    MESSAGE("SKIPPED homework: no " << kPython << " with NumPy");
    return;
  }
  double largest_float32 = 0, largest_float64 = 0;
  int named = 0;
  std::set<std::string> keys;  // the mistakes named at least once
  for (const Case& k : kCases) {
    CAPTURE(k.name);
    REQUIRE(ap::validate(k.config).empty());
    const ap::Inputs in = ap::make_inputs(k.config);
    const ap::Trace t = ap::run(k.config, in);
    std::vector<std::pair<std::string, ap::Array>> inputs;
    for (auto& a : ap::export_arrays(in, t))
      if (a.first.rfind("expected_", 0) != 0) inputs.push_back(a);
    const fs::path dir = temp_dir("ap-homework");
    std::ofstream(dir / "inputs.npz", std::ios::binary) << ap::npz_bytes(inputs);
    for (const char* dtype : {"float32", "float64"}) {
      CAPTURE(dtype);
      const nlohmann::json sizes = {{"dtype", dtype},
                                    {"n_heads", t.n_heads},
                                    {"n_kv_heads", t.n_kv_heads},
                                    {"d_head", t.d_head},
                                    {"scale", t.scale},
                                    {"dropout", k.config.dropout},
                                    {"fully_masked", ap::to_string(k.config.fully_masked)}};
      REQUIRE(run_learner({(dir / "inputs.npz").string(), dir.string(), sizes.dump()}) == 0);
      for (const ap::HomeworkTarget& target : ap::homework_targets()) {
        CAPTURE(target.name);
        const ap::Array right = load(dir / (std::string(target.name) + "-right.npy"));
        const ap::HomeworkReport r = ap::check_homework(k.config, in, t, right);
        CHECK(r.correct);
        CHECK(r.target == target.name);
        CHECK(r.verdict.rfind("Right:", 0) == 0);
        double& largest = std::string(dtype) == "float32" ? largest_float32 : largest_float64;
        largest = std::max(largest, r.comparison.max_abs);
        // With the batch axis PyTorch keeps, and asked for by name.
        CHECK(ap::check_homework(k.config, in, t, load(dir / (std::string(target.name) + "-batched.npy")), target.name)
                  .correct);

        for (const ap::HomeworkMistake& m : ap::homework_mistakes()) {
          const fs::path file = dir / (std::string(target.name) + "-" + m.key + ".npy");
          if (!fs::exists(file)) continue;  // not a mistake of this step
          CAPTURE(m.key);
          const ap::Array wrong = load(file);
          const ap::HomeworkReport w = ap::check_homework(k.config, in, t, wrong, target.name);
          if (close(wrong, right)) {  // this config gives the mistake nothing to change (no mask to misplace)
            CHECK(w.correct);
            continue;
          }
          CHECK_FALSE(w.correct);
          // Far outside the tolerance: some value moves by more than 1e-2 (or becomes NaN).
          CHECK_FALSE(ap::compare_values(right.values, wrong.values, {1e-2, 0}).match());
          CHECK(w.mistake == m.key);
          CHECK(w.verdict.find(m.what) != std::string::npos);
          ++named;
          keys.insert(m.key);
        }
      }
    }
    fs::remove_all(dir);
  }
  for (const ap::HomeworkMistake& m : ap::homework_mistakes()) CHECK_MESSAGE(keys.count(m.key), m.key);
  // The tolerance's reason (homework.h): float32 code that sums in its own order stays far inside it.
  CHECK(largest_float32 < 1e-5);
  CHECK(largest_float64 < 1e-5);
  MESSAGE("NumPy against the page: largest difference " << largest_float32 << " (float32), " << largest_float64
                                                        << " (float64); " << named << " mistakes named");
}

TEST_CASE("homework: a result no mistake explains says where it first differs; shapes that fit nothing say so") {
  const ap::Config c;
  const ap::Inputs in = ap::make_inputs(c);
  const ap::Trace t = ap::run(c, in);
  ap::Array out = ap::to_array(*ap::find_tensor(t, "output", -1, nullptr));
  REQUIRE(ap::check_homework(c, in, t, out).correct);

  // One value off by 0.01: the first mismatch is that element, the errors are measured.
  ap::Array nudged = out;
  const int64_t at = 3 * t.d_model + 5;
  nudged.values[size_t(at)] += 0.01;
  ap::HomeworkReport r = ap::check_homework(c, in, t, nudged);
  CHECK_FALSE(r.correct);
  CHECK(r.target == "output");
  CHECK(r.mistake.empty());
  CHECK(r.comparison.mismatches == 1);
  CHECK(r.comparison.first_mismatch == at);
  CHECK(r.comparison.max_abs == doctest::Approx(0.01).epsilon(1e-3));
  CHECK(r.verdict.find("the first at (3, 5)") != std::string::npos);

  // A NaN where the page has a number is a mismatch, not a match.
  ap::Array with_nan = out;
  with_nan.values[0] = std::nan("");
  CHECK(ap::check_homework(c, in, t, with_nan).comparison.first_mismatch == 0);

  // A shape of nothing: the verdict lists what the homework can be.
  const ap::Array odd{ap::DType::F32, {5, 7}, std::vector<double>(35, 0.0)};
  r = ap::check_homework(c, in, t, odd);
  CHECK_FALSE(r.correct);
  CHECK(r.target.empty());
  CHECK(r.verdict.find("(5, 7)") != std::string::npos);
  CHECK(r.verdict.find("weights (4, 11, 11)") != std::string::npos);
  CHECK(r.verdict.find("output (11, 64)") != std::string::npos);

  // Asked for the weights, given the output: the shapes are named.
  r = ap::check_homework(c, in, t, out, "weights");
  CHECK_FALSE(r.correct);
  CHECK(r.target == "weights");
  CHECK(r.verdict.find("(11, 64)") != std::string::npos);
  CHECK(r.verdict.find("(4, 11, 11)") != std::string::npos);
  r = ap::check_homework(c, in, t, out, "scores");
  CHECK(r.verdict.find("no tensor called scores") != std::string::npos);

  // The transposed output has another shape, and is still named.
  ap::Array swapped{ap::DType::F32, {t.d_model, t.n_q}, {}};
  for (int j = 0; j < t.d_model; ++j)
    for (int i = 0; i < t.n_q; ++i) swapped.values.push_back(out.values[size_t(i * t.d_model + j)]);
  r = ap::check_homework(c, in, t, swapped);
  CHECK(r.mistake == "transposed");
  CHECK(r.target == "output");
}

TEST_CASE("homework: a layer too large to recompute every mistake quickly tries the transpose alone") {
  ap::Config c;
  c.d_model = 768;
  c.n_heads = 12;
  c.pad_to = 200;
  const ap::Inputs in = ap::make_inputs(c);
  const ap::Trace t = ap::run(c, in);
  const ap::Array out = ap::to_array(*ap::find_tensor(t, "output", -1, nullptr));
  ap::Array swapped{ap::DType::F32, {t.d_model, t.n_q}, {}};
  for (int j = 0; j < t.d_model; ++j)
    for (int i = 0; i < t.n_q; ++i) swapped.values.push_back(out.values[size_t(i * t.d_model + j)]);
  CHECK(ap::check_homework(c, in, t, swapped).mistake == "transposed");
  ap::Array nudged = out;
  nudged.values[7] += 1;
  const ap::HomeworkReport r = ap::check_homework(c, in, t, nudged);
  CHECK(r.mistake.empty());
  CHECK(r.comparison.first_mismatch == 7);
  CHECK(std::find_if(r.details.begin(), r.details.end(), [](const std::string& d) {
          return d.find("too large to try every usual mistake") != std::string::npos;
        }) != r.details.end());
}

TEST_CASE("attn check and the homework compare alike: NaN only with NaN, infinities exactly") {
  const std::vector<double> e = {1, std::nan(""), INFINITY, -INFINITY, 0};
  CHECK(ap::compare_values(e, e, {}).match());
  ap::Comparison c = ap::compare_values(e, {1, 0, INFINITY, INFINITY, 1e-9}, {1e-6, 0});
  CHECK(c.mismatches == 2);
  CHECK(c.first_mismatch == 1);
  CHECK(c.max_abs == doctest::Approx(1e-9));
  c = ap::compare_values({2, 4}, {2.2, 4}, {0, 0.2});
  CHECK(c.match());
  CHECK(c.max_rel == doctest::Approx(0.1));
  CHECK(ap::index_text({2, 3, 4}, 23) == "(1, 2, 3)");
  CHECK(ap::index_text({7}, 3) == "(3,)");
}

TEST_CASE("homework: the README's table of mistakes is the mistake table's") {
  std::string rows = "| mistake | your result is | the fix |\n| --- | --- | --- |\n";
  for (const ap::HomeworkMistake& m : ap::homework_mistakes())
    rows += std::string("| `") + m.key + "` | " + m.what + " | " + m.fix + " |\n";
  CHECK(readme_between("<!-- mistakes: begin (the table of core/analysis/homework.cpp; tests/test_homework.cpp) -->\n",
                       "<!-- mistakes: end -->") == rows);
}
