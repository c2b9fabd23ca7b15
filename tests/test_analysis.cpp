// Derived numbers for the panels, against values worked out by hand, and the
// constructed heads' patterns.
#include <doctest/doctest.h>

#include <limits>

#include <algorithm>
#include <cmath>

#include "analysis/analysis.h"
#include "layer/attention.h"

TEST_CASE("entropy and the softmax Jacobian norm, by hand") {
  const float uniform[4] = {0.25f, 0.25f, 0.25f, 0.25f}, one_hot[4] = {0, 1, 0, 0}, half[2] = {0.5f, 0.5f};
  CHECK(ap::row_entropy(uniform, 4) == doctest::Approx(std::log(4.0)));
  CHECK(ap::row_entropy(one_hot, 4) == 0.0);
  // J = diag(p) − p pᵀ. Uniform over n: ‖J‖² = 1/n − 1/n². One-hot: J = 0.
  CHECK(ap::softmax_jacobian_norm(uniform, 4) == doctest::Approx(std::sqrt(0.25 - 0.0625)));
  CHECK(ap::softmax_jacobian_norm(one_hot, 4) == 0.0);
  // p = (½, ½): J = [[¼, −¼], [−¼, ¼]], whose Frobenius norm is ½.
  CHECK(ap::softmax_jacobian_norm(half, 2) == doctest::Approx(0.5));
}

TEST_CASE("head statistics and similarity on a hand-made trace") {
  ap::Trace t;
  t.n_q = t.n_kv = 2;
  t.n_heads = 2;
  t.heads.resize(2);
  t.heads[0].weights.resize(2, 2);
  t.heads[0].weights << 1, 0, 0.5f, 0.5f;
  t.heads[1].weights = t.heads[0].weights;
  const auto s = ap::analyse_heads(t).stats;
  CHECK(s[0].entropy == doctest::Approx(std::log(2.0) / 2));  // rows: 0 and ln 2
  CHECK(s[0].max_weight == doctest::Approx(0.75));            // rows: 1 and ½
  CHECK(s[0].distance == doctest::Approx(0.25));              // row 1 puts ½ on the key 1 back
  t.heads[1].weights << 0, 1, 0.5f, 0.5f;
  const ap::Mat sim = ap::analyse_heads(t).similarity;
  CHECK(sim(0, 0) == doctest::Approx(1.0));
  // <[1,0,½,½], [0,1,½,½]> / (‖·‖‖·‖) = ½ / 1.5
  CHECK(sim(0, 1) == doctest::Approx(0.5 / 1.5));
  t.fully_masked_rows = {0};  // rows with no key are left out of the means
  CHECK(ap::analyse_heads(t).stats[0].max_weight == doctest::Approx(0.5));
}

TEST_CASE("head analysis over slices of rows: the same as at once, NaN weights counted as 0") {
  ap::Config c;  // 300 tokens: several slices of rows
  c.text.clear();
  for (int i = 0; i < 300; ++i) c.text += "w" + std::to_string(i % 37) + " ";
  c.causal = true;
  c.fully_masked = ap::FullyMasked::NaN;
  c.custom_mask = std::vector<std::vector<uint8_t>>(300, std::vector<uint8_t>(300, 1));
  c.custom_mask[3] = std::vector<uint8_t>(300, 0);  // query 3 sees nothing: NaN weights
  REQUIRE(ap::validate(c).empty());
  const ap::Trace t = ap::run(c, ap::make_inputs(c));
  REQUIRE(t.fully_masked_rows == std::vector<int>{3});
  const ap::HeadAnalysis whole = ap::analyse_heads(t);
  CHECK(whole.done);
  ap::HeadAnalysis sliced;
  ap::Plan plan;
  ap::plan_head_analysis(t, sliced, plan);
  int pieces = 0;
  while (!plan.advance(0)) {
    ++pieces;
    CHECK_FALSE(sliced.done);
  }
  CHECK(pieces >= 3);
  CHECK(sliced.done);
  // The similarity against a direct cosine in double, NaN as 0.
  for (int a = 0; a < t.n_heads; ++a)
    for (int b = 0; b < t.n_heads; ++b) {
      double ab = 0, aa = 0, bb = 0;
      for (int i = 0; i < t.n_q; ++i)
        for (int j = 0; j < t.n_kv; ++j) {
          const double x = std::isnan(t.heads[size_t(a)].weights(i, j)) ? 0 : t.heads[size_t(a)].weights(i, j);
          const double y = std::isnan(t.heads[size_t(b)].weights(i, j)) ? 0 : t.heads[size_t(b)].weights(i, j);
          ab += x * y, aa += x * x, bb += y * y;
        }
      CHECK(sliced.similarity(a, b) == doctest::Approx(ab / std::sqrt(aa * bb)).epsilon(1e-5));
      CHECK(sliced.similarity(a, b) == whole.similarity(a, b));
    }
  for (int h = 0; h < t.n_heads; ++h) CHECK(sliced.stats[size_t(h)].entropy == whole.stats[size_t(h)].entropy);
}

TEST_CASE("parameter and FLOP counts") {
  // GPT-2 small's attention: c_attn 768x2304 + 2304 and c_proj 768x768 + 768.
  CHECK(ap::layer_costs(1024, 1024, 768, 12, 12, true).params == 768 * 2304 + 2304 + 768 * 768 + 768);
  // n = 2, d_model = 4, 2 heads: four projections 2·2·4·4 each = 256; Q·Kᵀ and
  // weights·V 2·(2 heads·2·2·2) each = 64; softmax 5 per score = 40.
  const ap::LayerCosts c = ap::layer_costs(2, 2, 4, 2, 2, false);
  CHECK(c.params == 64);
  CHECK(c.flops_projections == 256);
  CHECK(c.flops_attention == 64 + 40);
  CHECK(c.bytes_scores == 4 * 2 * 2 * 2);
  // Grouped-query attention shrinks W_k and W_v: 8 heads sharing 2 kv heads of 64.
  CHECK(ap::layer_costs(1, 1, 512, 8, 2, false).params == 512 * 512 * 2 + 2 * 128 * 512);
}

TEST_CASE("strides of view, transpose and contiguous") {
  const auto steps = ap::head_split_layout(5, 8, 2);
  REQUIRE(steps.size() == 3);
  CHECK(steps[0].strides == std::vector<int64_t>{40, 8, 1});
  CHECK(steps[1].shape == std::vector<int64_t>{1, 5, 2, 4});
  CHECK(steps[1].strides == std::vector<int64_t>{40, 8, 4, 1});
  CHECK(steps[2].shape == std::vector<int64_t>{1, 2, 5, 4});
  CHECK(steps[2].strides == std::vector<int64_t>{40, 4, 8, 1});
  CHECK_FALSE(steps[2].contiguous);
  // n = 3, d_model = 4, 2 heads: the transposed view visits memory out of order.
  const auto t = ap::head_split_layout(3, 4, 2)[2];
  CHECK(ap::memory_offsets(t.shape, t.strides) == std::vector<int64_t>{0, 1, 4, 5, 8, 9, 2, 3, 6, 7, 10, 11});
}

TEST_CASE("merging heads: .view fails on the transposed context, .contiguous().view works") {
  const auto steps = ap::head_merge_layout(5, 8, 2);
  REQUIRE(steps.size() == 5);
  CHECK(steps[0].strides == std::vector<int64_t>{40, 20, 4, 1});
  CHECK(steps[1].shape == std::vector<int64_t>{1, 5, 2, 4});
  CHECK(steps[1].strides == std::vector<int64_t>{40, 4, 20, 1});
  CHECK_FALSE(steps[1].contiguous);
  CHECK(steps[2].strides.empty());  // PyTorch: "view size is not compatible with input tensor's size and stride"
  CHECK(steps[3].strides == std::vector<int64_t>{40, 8, 4, 1});
  CHECK(steps[4].shape == std::vector<int64_t>{1, 5, 8});
  CHECK(steps[4].strides == std::vector<int64_t>{40, 8, 1});
  CHECK(steps[4].contiguous);
  // With one head, or one token, the transposed context is still even in memory: .view works.
  CHECK_FALSE(ap::head_merge_layout(5, 8, 1)[2].strides.empty());
  CHECK_FALSE(ap::head_merge_layout(1, 8, 2)[2].strides.empty());
}

TEST_CASE("view_strides follows PyTorch's rule") {
  using V = std::vector<int64_t>;
  // Splitting and merging contiguous axes: always possible.
  CHECK(ap::view_strides({2, 3, 4}, {12, 4, 1}, {6, 4}) == V{4, 1});
  CHECK(ap::view_strides({6, 4}, {4, 1}, {2, 3, 2, 2}) == V{12, 4, 2, 1});
  // A transposed matrix cannot be flattened, but its axes can each be split.
  CHECK_FALSE(ap::view_strides({4, 3}, {1, 4}, {12}));
  CHECK(ap::view_strides({4, 3}, {1, 4}, {2, 2, 3}) == V{2, 1, 4});
  // Size-1 axes have any stride and never block a view.
  CHECK(ap::view_strides({1, 5, 1, 4}, {99, 4, 7, 1}, {5, 4}) == V{4, 1});
  // Wrong element counts are refused.
  CHECK_FALSE(ap::view_strides({2, 3}, {3, 1}, {7}));
}

TEST_CASE("scaling lab: without 1/sqrt(d_head) the softmax saturates as d_head grows") {
  const ap::ScalingSamples samples = ap::scaling_samples(1, 32, 64);
  const auto pts = ap::scaling_curves(samples, 1.0);
  REQUIRE(pts.size() == 11);
  CHECK(pts.front().d_head == 1);
  CHECK(pts.back().d_head == 1024);
  // Unscaled scores have standard deviation √d_head: the rows go one-hot.
  CHECK(pts.back().max_weight_unscaled > 0.9);
  CHECK(pts.back().entropy_unscaled < 0.3);
  CHECK(pts.back().jacobian_unscaled < 0.1);  // and gradients vanish
  // Scaled scores keep unit variance at every width: the row entropy stays put.
  CHECK(std::abs(pts.back().entropy_scaled - pts.front().entropy_scaled) < 0.15 * pts.front().entropy_scaled);
  CHECK(pts.back().jacobian_scaled > 3 * pts.back().jacobian_unscaled);
  // A higher temperature flattens both.
  CHECK(ap::scaling_curves(samples, 4.0)[5].entropy_scaled > pts[5].entropy_scaled);
}

TEST_CASE("constructed heads attend where their weights say") {
  ap::Config c;
  c.text = "the cat sat on the mat and the dog sat on the rug";
  c.weights = ap::Weights::Constructed;
  const ap::Trace t = ap::run(c, ap::make_inputs(c));
  int checked = 0;
  for (int i = 0; i < t.n_q; ++i) {
    Eigen::Index best;
    if (i >= 1) {
      t.heads[0].weights.row(i).maxCoeff(&best);
      CHECK(best == i - 1);  // previous token
      CHECK(t.heads[0].weights(i, i - 1) > 0.9f);
    }
    t.heads[2].weights.row(i).maxCoeff(&best);
    CHECK(best == 0);  // first token
    if (i >= 2) {
      t.heads[3].weights.row(i).maxCoeff(&best);
      CHECK(best == i - 2);  // two back
    }
    // Same token: all of the weight on keys with the query's text.
    double same = 0;
    for (int j = 0; j < t.n_kv; ++j)
      if (t.kv_tokens[j] == t.q_tokens[i]) same += t.heads[1].weights(i, j);
    CHECK(same > 0.9);
    ++checked;
  }
  CHECK(checked == 13);
  c.d_model = 6;
  c.n_heads = 2;
  CHECK(ap::validate(c)[0].rfind("constructed heads need d_model divisible by 4", 0) == 0);
}

TEST_CASE("colour ranges skip NaN and infinities") {
  const float v[5] = {-3.0f, NAN, 2.0f, -INFINITY, 1.0f};
  CHECK(ap::max_finite(v, 5) == 2.0f);
  CHECK(ap::max_abs_finite(v, 5) == 3.0f);
  const float none[2] = {NAN, -INFINITY};
  CHECK(ap::max_finite(none, 2) == 0.0f);
}

TEST_CASE("max_weight and has_nan_weight from the row sums equal a scan of every weight") {
  for (auto policy : {ap::FullyMasked::Zero, ap::FullyMasked::NaN, ap::FullyMasked::Uniform}) {
    ap::Config c;
    c.pad_to = 16;
    c.mask_pad_queries = true;  // fully masked rows, under each policy
    c.causal = true;
    c.fully_masked = policy;
    const ap::Trace t = ap::run(c, ap::make_inputs(c));
    REQUIRE(!t.fully_masked_rows.empty());
    for (const auto& h : t.heads) {
      CHECK(ap::max_weight(h) == ap::max_finite(h.weights.data(), size_t(h.weights.size())));
      CHECK(ap::has_nan_weight(h) == h.weights.hasNaN());
    }
  }
}

TEST_CASE("pool_max keeps each block's peak; pool_any keeps any allowed cell") {
  ap::Mat m = ap::Mat::Zero(5, 7);
  m(4, 6) = 3;  // in the last, partial block
  m(0, 1) = std::numeric_limits<float>::quiet_NaN();
  m(1, 0) = 0.5f;
  const ap::Mat p = ap::pool_max(m, 3, 4);
  REQUIRE(p.rows() == 3);
  REQUIRE(p.cols() == 4);
  CHECK(p(0, 0) == 0.5f);  // NaN ignored beside finite values
  CHECK(p(2, 3) == 3.0f);
  const ap::Mat same = ap::pool_max(m, 5, 7);  // fits: unchanged (NaN and all)
  CHECK(same.rows() == 5);
  CHECK(std::isnan(same(0, 1)));
  CHECK(same(4, 6) == 3.0f);
  ap::Mat all_nan = ap::Mat::Constant(4, 4, std::numeric_limits<float>::quiet_NaN());
  CHECK(std::isnan(ap::pool_max(all_nan, 2, 2)(1, 1)));
  ap::MaskMat mask = ap::MaskMat::Zero(4, 4);
  mask(3, 0) = 1;
  const ap::MaskMat q = ap::pool_any(mask, 2, 2);
  CHECK(int(q(1, 0)) == 1);
  CHECK(int(q(0, 0)) == 0);
}

TEST_CASE("pool_max by magnitude keeps each block's value farthest from zero, with its sign") {
  ap::Mat m(2, 4);
  m << 1, -5, 2, 0.5f, -0.5f, 3, -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN();
  const ap::Mat p = ap::pool_max(m, 1, 2, true);  // blocks of 2 x 2
  REQUIRE(p.rows() == 1);
  REQUIRE(p.cols() == 2);
  CHECK(p(0, 0) == -5.0f);
  CHECK(p(0, 1) == 2.0f);  // −inf and NaN are not values to show
}

TEST_CASE("weight_cells_shown: allowed cells, and every cell of a fully masked row") {
  ap::Config c;
  c.text = "a b c";
  c.pad_to = 5;
  c.mask_pad_queries = true;  // rows 3 and 4 ([PAD] queries) have no key
  c.causal = true;
  const ap::Trace t = ap::run(c, ap::make_inputs(c));
  REQUIRE(t.fully_masked_rows == std::vector<int>{3, 4});
  const ap::MaskMat shown = ap::weight_cells_shown(t);
  for (int i = 0; i < t.n_q; ++i)
    for (int j = 0; j < t.n_kv; ++j) CHECK(bool(shown(i, j)) == (i >= 3 || (j <= i && j < 3)));
}

TEST_CASE("uniform entropy: the mean log of each row's allowed keys, not log n_kv") {
  ap::Config c;
  c.text = "The cat sat on the mat because it was tired.";  // 11 tokens
  c.pad_to = 14;
  c.causal = true;
  const ap::Trace t = ap::run(c, ap::make_inputs(c));
  REQUIRE(t.n_kv == 14);
  // Row i may attend to keys 0..i that are not [PAD] (keys 11..13): min(i + 1, 11) keys.
  double expected = 0;
  for (int i = 0; i < 14; ++i) expected += std::log(double(std::min(i + 1, 11)));
  expected /= 14;
  CHECK(ap::uniform_entropy(t) == doctest::Approx(expected).epsilon(1e-12));
  CHECK(expected == doctest::Approx(1.764).epsilon(1e-3));
  CHECK(ap::analyse_heads(t).uniform_entropy == ap::uniform_entropy(t));
  // Without masks it is log n_kv; fully masked rows are left out, as the heads' entropies leave them.
  ap::Config open;
  open.text = c.text;
  CHECK(ap::uniform_entropy(ap::run(open, ap::make_inputs(open))) == doctest::Approx(std::log(11.0)));
  c.mask_pad_queries = true;  // rows 11..13 have no key now
  double kept = 0;
  for (int i = 0; i < 11; ++i) kept += std::log(double(i + 1));
  CHECK(ap::uniform_entropy(ap::run(c, ap::make_inputs(c))) == doctest::Approx(kept / 11).epsilon(1e-12));
}
