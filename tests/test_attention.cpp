// The forward pass: agreement with the float64 reference, and the invariants
// every attention layer must keep.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "attention.h"
#include "config.h"
#include "reference.h"
#include "rng.h"

namespace {

ap::Trace trace_of(const ap::Config& c) {
  REQUIRE(ap::validate(c).empty());
  return ap::run(c, ap::make_inputs(c));
}

// A random config drawn from a seeded stream: sizes, masks and text vary.
ap::Config random_config(uint32_t i) {
  ap::Rng rng(1000 + i);
  const char* words[] = {"the", "cat", "sat", "on", "mat", ",", "it", "was", "tired", "."};
  const int dims[][2] = {{8, 1}, {8, 2}, {12, 3}, {16, 4}, {48, 6}, {64, 4}, {64, 8}, {96, 12}, {128, 2}};
  ap::Config c;
  const int n_words = 1 + int(rng.next() % 24);
  c.text.clear();
  for (int w = 0; w < n_words; ++w) c.text += std::string(w ? " " : "") + words[rng.next() % 10];
  const auto& dm = dims[rng.next() % 9];
  c.d_model = dm[0];
  c.n_heads = dm[1];
  c.causal = rng.next() % 2;
  c.bias = rng.next() % 2;
  c.positional = rng.next() % 4 != 0;
  c.pad_to = rng.next() % 3 == 0 ? n_words + int(rng.next() % 5) : 0;
  c.seed = uint32_t(rng.next());
  return c;
}

}  // namespace

TEST_CASE("the core matches the float64 reference on 60 seeded random configs") {
  // Tolerance: the core computes in float32 (unit roundoff 6e-8). Scores are
  // dot products of d_head <= 64 terms of size O(1), so their error is a few
  // ulps of their magnitude; softmax turns that into an absolute error of the
  // same order on weights in [0, 1], and the output adds two d_model-long
  // products. Measured worst case over these configs: ~1e-7 on weights and
  // ~1.5e-7 of max|output| (printed below). 2e-6 leaves a 10x margin, while a
  // real bug (wrong scale, mask or head split) is off by more than 1e-2.
  double worst_w = 0, worst_o = 0;
  for (uint32_t i = 0; i < 60; ++i) {
    const ap::Config c = random_config(i);
    CAPTURE(c.text);
    CAPTURE(c.d_model);
    CAPTURE(c.n_heads);
    CAPTURE(c.causal);
    CAPTURE(c.pad_to);
    const ap::Inputs in = ap::make_inputs(c);
    const ap::Trace t = ap::run(c, in);
    const auto r = ref::attention(in, c.n_heads, [&](size_t q, size_t k) {
      return k >= size_t(in.n_text) || (c.causal && k > q);
    });
    for (int h = 0; h < c.n_heads; ++h)
      for (int q = 0; q < t.n_q; ++q)
        for (int k = 0; k < t.n_kv; ++k) worst_w = std::max(worst_w, std::abs(t.weights[h](q, k) - r.weights[h][q][k]));
    double out_scale = 0, out_err = 0;
    for (int q = 0; q < t.n_q; ++q)
      for (int c2 = 0; c2 < t.d_model; ++c2) {
        out_scale = std::max(out_scale, std::abs(r.output[q][c2]));
        out_err = std::max(out_err, std::abs(t.output(q, c2) - r.output[q][c2]));
      }
    worst_o = std::max(worst_o, out_err / out_scale);
    REQUIRE(worst_w <= 2e-6);
    REQUIRE(worst_o <= 2e-6);
  }
  MESSAGE("worst |weight error| = " << worst_w << ", worst output error / max|output| = " << worst_o);
}

TEST_CASE("every weight row sums to 1 and blocked weights are exactly 0") {
  for (uint32_t i = 0; i < 30; ++i) {
    const ap::Trace t = trace_of(random_config(i));
    for (int h = 0; h < t.n_heads; ++h)
      for (int q = 0; q < t.n_q; ++q) {
        // 1e-5: n_kv <= 30 float32 terms in [0, 1], each rounded once.
        CHECK(std::abs(t.weights[h].row(q).sum() - 1.0f) <= 1e-5f);
        for (int k = 0; k < t.n_kv; ++k)
          if (!t.allowed(q, k)) {
            CHECK(t.weights[h](q, k) == 0.0f);
            CHECK(std::isinf(t.masked_scores[h](q, k)));
          } else {
            CHECK(t.masked_scores[h](q, k) == t.scaled_scores[h](q, k));
          }
      }
  }
}

TEST_CASE("causal: output row i does not depend on the tokens after i") {
  ap::Config a;
  a.text = "the cat sat on the mat";
  a.causal = true;
  ap::Config b = a;
  b.text = "the cat sat under a tree";  // same length, tokens 3.. differ
  const ap::Trace ta = trace_of(a), tb = trace_of(b);
  REQUIRE(ta.n_q == tb.n_q);
  // Rows 0..2 see the same keys through the same code path: bit-identical.
  for (int i = 0; i < 3; ++i) CHECK((ta.output.row(i).array() == tb.output.row(i).array()).all());
  CHECK((ta.output.row(3) - tb.output.row(3)).cwiseAbs().maxCoeff() > 1e-3f);

  // A longer continuation: same rows up to float rounding (matrix products of
  // another size may sum in another order).
  ap::Config longer = a;
  longer.text = "the cat sat down and then slept all day long";
  const ap::Trace tl = trace_of(longer);
  for (int i = 0; i < 3; ++i) CHECK((ta.output.row(i) - tl.output.row(i)).cwiseAbs().maxCoeff() <= 1e-5f);

  // Without the mask the same change reaches every row: the test can fail.
  a.causal = b.causal = false;
  CHECK((trace_of(a).output.row(0) - trace_of(b).output.row(0)).cwiseAbs().maxCoeff() > 1e-3f);
}

TEST_CASE("key padding: [PAD] keys get weight 0 and do not change the real tokens' outputs") {
  ap::Config c;
  c.text = "a short sentence";
  const ap::Trace plain = trace_of(c);
  c.pad_to = 7;
  const ap::Trace padded = trace_of(c);
  REQUIRE(padded.n_q == 7);
  CHECK(padded.n_text == 3);
  CHECK(padded.tokens[6] == ap::kPadToken);
  for (int h = 0; h < padded.n_heads; ++h) CHECK(padded.weights[h].rightCols(4).cwiseAbs().maxCoeff() == 0.0f);
  for (int i = 0; i < 3; ++i) CHECK((plain.output.row(i) - padded.output.row(i)).cwiseAbs().maxCoeff() <= 1e-5f);
}

TEST_CASE("softmax is stable for large scores and zeroes fully masked rows") {
  const float inf = std::numeric_limits<float>::infinity();
  ap::Mat s(3, 3);
  s << 1000, 1001, 999,  //
      -inf, -inf, -inf,  //
      0, -inf, 0;
  std::vector<int> fully;
  const ap::Mat p = ap::softmax_rows(s, &fully);
  CHECK(p.allFinite());
  CHECK(std::abs(p(0, 1) - 0.66524096f) <= 1e-6f);  // e/(1+e+e^-1), exact to float precision
  CHECK(p.row(1).cwiseAbs().maxCoeff() == 0.0f);
  CHECK(fully == std::vector<int>{1});
  CHECK(p(2, 0) == 0.5f);
  CHECK(p(2, 1) == 0.0f);
}

TEST_CASE("shapes at every step, in (batch, heads, seq, head_dim) terms") {
  ap::Config c;
  c.text = "one two three four five";
  c.d_model = 48;
  c.n_heads = 6;
  const ap::Trace t = trace_of(c);
  CHECK(t.d_head == 8);
  CHECK(t.scale == doctest::Approx(1.0 / std::sqrt(8.0)));
  CHECK(t.q.size() == 6);
  CHECK(t.q[5].rows() == 5);
  CHECK(t.q[5].cols() == 8);
  CHECK(t.weights[0].rows() == 5);
  CHECK(t.weights[0].cols() == 5);
  CHECK(t.context[2].cols() == 8);
  CHECK(t.concat.cols() == 48);
  CHECK(t.output.rows() == 5);
  REQUIRE(t.steps.size() == 10);
  CHECK(t.steps[0].shape == std::vector<int>{1, 5, 48});
  CHECK(t.steps[2].shape == std::vector<int>{1, 6, 5, 8});
  CHECK(t.steps[6].name == "weights");
  CHECK(t.steps[6].shape == std::vector<int>{1, 6, 5, 5});
  CHECK(t.steps[6].axes == "(batch, heads, seq_q, seq_kv) = (1, 6, 5, 5)");
  // Head h is columns [h·d_head, (h+1)·d_head) of the projection: the split PyTorch's view makes.
  CHECK((t.q[3] - t.q_proj.middleCols(24, 8)).cwiseAbs().maxCoeff() == 0.0f);
  CHECK((t.concat.middleCols(8, 8) - t.context[1]).cwiseAbs().maxCoeff() == 0.0f);
}

TEST_CASE("find_tensor returns per-head and stacked tensors, and explains bad requests") {
  ap::Config c;
  c.text = "a b c";
  c.d_model = 8;
  c.n_heads = 2;
  const ap::Trace t = trace_of(c);
  std::string err;
  auto w1 = ap::find_tensor(t, "weights", 1, &err);
  REQUIRE(w1);
  CHECK(w1->shape == std::vector<int>{3, 3});
  CHECK(w1->data[3 * 2 + 1] == t.weights[1](2, 1));
  auto all = ap::find_tensor(t, "weights", -1, &err);
  REQUIRE(all);
  CHECK(all->shape == std::vector<int>{2, 3, 3});
  CHECK(all->data[9 + 5] == t.weights[1](1, 2));
  CHECK(ap::find_tensor(t, "output", 0, &err)->shape == std::vector<int>{3, 8});
  CHECK(!ap::find_tensor(t, "weights", 2, &err));
  CHECK(err == "head 2 is out of range: this config has heads 0..1 (or omit it for all heads)");
  CHECK(!ap::find_tensor(t, "attn", 0, &err));
  CHECK(err.rfind("unknown tensor \"attn\"", 0) == 0);
}
