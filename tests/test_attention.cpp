// The forward pass: the invariants every attention layer must keep, and the
// behaviour of each variant (cross-attention, masks, policies, GQA, cache).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "base/rng.h"
#include "config/config.h"
#include "layer/attention.h"

namespace {

ap::Trace trace_of(const ap::Config& c) {
  const auto errors = ap::validate(c);
  CAPTURE(errors.empty() ? std::string() : errors[0]);
  REQUIRE(errors.empty());
  return ap::run(c, ap::make_inputs(c));
}

float max_diff(const ap::Mat& a, const ap::Mat& b) { return (a - b).cwiseAbs().maxCoeff(); }

}  // namespace

TEST_CASE("every weight row sums to 1 and blocked weights are exactly 0") {
  ap::Config c;
  c.causal = true;
  c.pad_to = 14;
  c.window = 4;
  const ap::Trace t = trace_of(c);
  for (int h = 0; h < t.n_heads; ++h)
    for (int q = 0; q < t.n_q; ++q) {
      // 1e-5: at most 14 float32 terms in [0, 1], each rounded once.
      CHECK(std::abs(t.heads[h].weights.row(q).sum() - 1.0f) <= 1e-5f);
      for (int k = 0; k < t.n_kv; ++k) {
        CHECK(bool(t.allowed(q, k)) == (t.blocked_by(q, k) == 0));
        if (!t.allowed(q, k)) {
          CHECK(t.heads[h].weights(q, k) == 0.0f);
          CHECK(std::isinf(t.heads[h].masked(q, k)));
        } else {
          CHECK(t.heads[h].masked(q, k) == t.heads[h].softcapped()(q, k));
        }
      }
    }
}

TEST_CASE("causal skipping: the upper triangle is not computed, and nothing else changes") {
  ap::Config c;
  c.causal = true;
  c.pad_to = 21;
  c.mask_pad_keys = false;  // only the causal mask blocks keys
  c.n_heads = 2;
  c.dropout = 0.2;
  const ap::Inputs in = ap::make_inputs(c);
  ap::Trace t;
  ap::project(c, in, t);
  ap::attend_all(c, in, t);  // for its bias
  const ap::Mat q = t.q[1], k = t.k[1], v = t.v[1];
  ap::AttendOptions o;
  o.scale = 0.5f;
  o.dropout = 0.2f;
  ap::HeadTrace fast, slow;
  ap::attend(q, k, v, t.bias, o, fast);
  o.skip_blocked = false;
  ap::attend(q, k, v, t.bias, o, slow);
  int skipped = 0;
  for (int r = 0; r < t.n_q; ++r) {
    CHECK(fast.key_limit[size_t(r)] == r + 1);
    for (int j = 0; j < t.n_kv; ++j)
      if (j > r) {
        skipped += std::isnan(fast.scores(r, j)) && std::isinf(fast.masked(r, j)) && fast.weights(r, j) == 0.0f;
        CHECK(!std::isnan(slow.scores(r, j)));
      }
  }
  CHECK(skipped == t.n_q * (t.n_q - 1) / 2);
  // The same kernel on the same prefixes: equal up to the order of the sums.
  CHECK(max_diff(fast.weights, slow.weights) <= 1e-6f);
  CHECK(max_diff(fast.dropped, slow.dropped) <= 1e-5f);
  CHECK(max_diff(fast.context, slow.context) <= 1e-5f);
}

TEST_CASE("causal: output row i does not depend on the tokens after i") {
  ap::Config a;
  a.text = "the cat sat on the mat";
  a.causal = true;
  ap::Config b = a;
  b.text = "the cat sat under a tree";  // same length, tokens 3.. differ
  const ap::Trace ta = trace_of(a), tb = trace_of(b);
  // Rows 0..2 see the same keys through the same code path: bit-identical.
  for (int i = 0; i < 3; ++i) CHECK((ta.output.row(i).array() == tb.output.row(i).array()).all());
  CHECK((ta.output.row(3) - tb.output.row(3)).cwiseAbs().maxCoeff() > 1e-3f);

  // A longer continuation: equal up to float rounding (products of another size may sum in another order).
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
  CHECK(padded.kv_tokens[6] == ap::kPadToken);
  for (int h = 0; h < padded.n_heads; ++h) CHECK(padded.heads[h].weights.rightCols(4).cwiseAbs().maxCoeff() == 0.0f);
  for (int i = 0; i < 3; ++i) CHECK((plain.output.row(i) - padded.output.row(i)).cwiseAbs().maxCoeff() <= 1e-5f);
  CHECK(padded.blocked_by(0, 5) == ap::kBlockKeyPad);
  // Off, the [PAD] keys take weight: the mask is what keeps them out.
  c.mask_pad_keys = false;
  CHECK(trace_of(c).heads[0].weights.rightCols(4).minCoeff() > 0.0f);
}

TEST_CASE("query padding blocks whole rows; the fully-masked policy decides what they become") {
  ap::Config c;
  c.text = "two words";
  c.pad_to = 4;
  c.mask_pad_queries = true;
  const ap::Trace zero = trace_of(c);
  CHECK(zero.fully_masked_rows == std::vector<int>{2, 3});
  CHECK(zero.heads[1].weights.bottomRows(2).cwiseAbs().maxCoeff() == 0.0f);
  CHECK(zero.heads[1].context.bottomRows(2).cwiseAbs().maxCoeff() == 0.0f);  // ONNX: exactly 0
  CHECK(zero.blocked_by(3, 0) == ap::kBlockQueryPad);

  c.fully_masked = ap::FullyMasked::NaN;
  const ap::Trace nan = trace_of(c);
  CHECK(nan.heads[0].weights.row(2).array().isNaN().all());  // what PyTorch's SDPA gives
  CHECK(nan.output.row(3).array().isNaN().all());
  CHECK(nan.output.topRows(2).allFinite());  // the real rows are untouched

  c.fully_masked = ap::FullyMasked::Uniform;
  const ap::Trace uni = trace_of(c);
  CHECK((uni.heads[0].weights.row(2).array() == 0.25f).all());  // masked_fill(-1e9): 1/n_kv each
  CHECK(max_diff(uni.output.topRows(2), zero.output.topRows(2)) == 0.0f);
}

TEST_CASE("causal alignment when there are more keys than queries") {
  ap::Config c;
  c.text = "one two three";
  c.cross_text = "a b c d e";
  c.causal = true;
  const ap::Trace tl = trace_of(c);
  CHECK(tl.causal_offset == 0);
  CHECK(tl.allowed.row(0).cast<int>().sum() == 1);  // top-left: query 0 sees key 0 only
  c.causal_align = ap::CausalAlign::BottomRight;
  const ap::Trace br = trace_of(c);
  CHECK(br.causal_offset == 2);
  CHECK(br.allowed.row(2).cast<int>().sum() == 5);  // bottom-right: the last query sees every key
}

TEST_CASE("cross-attention: queries from one text, keys and values from another") {
  ap::Config c;
  c.text = "Le chat dort";
  c.cross_text = "The cat is sleeping on the mat";
  const ap::Trace t = trace_of(c);
  CHECK(t.n_q == 3);
  CHECK(t.n_kv == 7);
  CHECK(t.heads[0].weights.rows() == 3);
  CHECK(t.heads[0].weights.cols() == 7);
  CHECK(t.output.rows() == 3);
  CHECK(t.kv_tokens[1] == "cat");
  // Changing the key text changes the output; the queries' own vectors stay.
  ap::Config d = c;
  d.cross_text = "A dog barks at the moon tonight";
  const ap::Trace u = trace_of(d);
  CHECK(max_diff(t.x_q, u.x_q) == 0.0f);
  CHECK(max_diff(t.output, u.output) > 1e-3f);
}

TEST_CASE("KV cache: the new tokens' outputs equal the full causal pass's last rows") {
  ap::Config full;
  full.text = "the model writes one token at a time";
  full.causal = true;
  ap::Config cached = full;
  cached.kv_cache = 5;
  const ap::Trace f = trace_of(full), k = trace_of(cached);
  CHECK(k.n_q == f.n_q - 5);
  CHECK(k.n_kv == f.n_kv);
  CHECK(k.causal_offset == 5);
  CHECK(k.q_tokens[0] == f.q_tokens[5]);
  // Same keys, same values, bottom-right causal: the same numbers up to rounding.
  CHECK(max_diff(k.output, f.output.bottomRows(k.n_q)) <= 1e-5f);
  CHECK(max_diff(k.heads[2].weights, f.heads[2].weights.bottomRows(k.n_q)) <= 1e-6f);
}

TEST_CASE("grouped-query and multi-query attention share key/value heads by contiguous groups") {
  ap::Config c;
  c.d_model = 48;
  c.n_heads = 6;
  c.n_kv_heads = 2;
  const ap::Trace t = trace_of(c);
  CHECK(t.group == 3);
  CHECK(t.k.size() == 2);
  CHECK(t.k_proj.cols() == 16);  // 2 kv heads x d_head 8
  // Head 2 uses kv head 0 and head 3 uses kv head 1 (h / group, not h % n_kv_heads).
  CHECK(max_diff(t.heads[2].scores, t.q[2] * t.k[0].transpose()) <= 1e-6f);
  CHECK(max_diff(t.heads[3].scores, t.q[3] * t.k[1].transpose()) <= 1e-6f);
  c.n_kv_heads = 1;  // multi-query
  CHECK(trace_of(c).v.size() == 1);
  c.n_kv_heads = 4;
  CHECK(ap::validate(c)[0] ==
        "n_kv_heads 4 must divide n_heads 6 (each key/value head serves a group of query heads); 0 means one per query "
        "head");
}

TEST_CASE("sliding window: each query sees at most `window` keys around its diagonal") {
  ap::Config c;
  c.text = "a b c d e f g h";
  c.window = 3;
  c.causal = true;
  const ap::Trace t = trace_of(c);
  for (int i = 0; i < t.n_q; ++i) CHECK(t.allowed.row(i).cast<int>().sum() == std::min(i + 1, 3));
  CHECK(t.blocked_by(7, 2) == ap::kBlockWindow);
  CHECK(t.blocked_by(2, 7) == ap::kBlockCausal);
  c.causal = false;  // local attention both ways: |i - j| < window
  CHECK(trace_of(c).allowed.row(4).cast<int>().sum() == 5);
}

TEST_CASE("custom and float masks") {
  ap::Config c;
  c.text = "x y z";
  c.custom_mask = {{1, 0, 1}, {0, 1, 0}, {0, 0, 0}};
  const float inf = std::numeric_limits<float>::infinity();
  c.float_mask = {{0.0f, 0.0f, -2.0f}, {5.0f, 0.0f, 0.0f}, {0.0f, -inf, 0.0f}};
  const ap::Trace t = trace_of(c);
  CHECK(t.allowed(0, 0) == 1);
  CHECK(t.allowed(0, 1) == 0);
  CHECK(t.bias(0, 2) == -2.0f);  // allowed, with the float mask's value added
  CHECK(t.heads[0].masked(0, 2) == t.heads[0].softcapped()(0, 2) - 2.0f);
  CHECK(t.fully_masked_rows == std::vector<int>{2});
  CHECK(t.blocked_by(2, 1) == (ap::kBlockCustom | ap::kBlockFloatMask));
  CHECK(t.heads[0].weights(1, 1) == 1.0f);
  c.custom_mask = {{1, 1}};
  CHECK(ap::validate(c)[0] ==
        "custom_mask must have 3 rows (queries) of 3 entries (keys); it has 1 rows of unequal or wrong length");
}

TEST_CASE("scale, temperature and softcap") {
  ap::Config c;
  const ap::Trace base = trace_of(c);
  CHECK(base.scale == doctest::Approx(0.25));
  c.scale = 1.0;  // no division by √d_head: sharper rows
  const ap::Trace raw = trace_of(c);
  CHECK(max_diff(raw.heads[0].scaled, base.heads[0].scores) == 0.0f);
  CHECK(raw.heads[0].weights.maxCoeff() > base.heads[0].weights.maxCoeff());
  c.scale = 0;
  c.temperature = 4;
  CHECK(max_diff(trace_of(c).heads[1].scaled, base.heads[1].scaled / 4) <= 1e-6f);
  c.temperature = 1;
  c.scale = 10;
  c.softcap = 2;
  const ap::Trace capped = trace_of(c);
  CHECK(capped.heads[0].capped.cwiseAbs().maxCoeff() <= 2.0f);
  CHECK(capped.heads[0].scaled.cwiseAbs().maxCoeff() > 2.0f);
  CHECK(capped.heads[0].capped(1, 1) == doctest::Approx(2 * std::tanh(capped.heads[0].scaled(1, 1) / 2)));
}

TEST_CASE("dropout: seeded, drops about p of the weights, rescales the rest by 1/(1-p)") {
  ap::Config c;
  c.text = "one two three four five six seven eight nine ten eleven twelve";
  c.dropout = 0.25;
  const ap::Trace t = trace_of(c), again = trace_of(c);
  int dropped = 0, total = 0;
  for (const auto& h : t.heads)
    for (Eigen::Index i = 0; i < h.weights.size(); ++i, ++total) {
      const float w = h.weights.data()[i], d = h.dropped.data()[i];
      if (d == 0.0f) ++dropped;
      else CHECK(d == doctest::Approx(w / 0.75f));
    }
  // 576 coin flips with p = 0.25: the count's standard deviation is ~10.
  CHECK(std::abs(dropped - 0.25 * total) < 50);
  CHECK(max_diff(t.output, again.output) == 0.0f);  // same seed, same pattern
  c.seed = 7;
  CHECK(max_diff(trace_of(c).heads[0].dropped, trace_of(c).heads[0].weights / 0.75f) > 0.0f);
}

TEST_CASE("shapes at every step, in (batch, heads, seq, head_dim) terms") {
  ap::Config c;
  c.text = "one two three four five";
  c.d_model = 48;
  c.n_heads = 6;
  const ap::Trace t = trace_of(c);
  CHECK(t.d_head == 8);
  CHECK(t.q.size() == 6);
  CHECK(t.q[5].rows() == 5);
  CHECK(t.q[5].cols() == 8);
  CHECK(t.heads[0].weights.rows() == 5);
  CHECK(t.heads[2].context.cols() == 8);
  CHECK(t.concat.cols() == 48);
  CHECK(t.output.rows() == 5);
  REQUIRE(t.pipeline.size() == 16);
  CHECK(t.pipeline[0].shape == std::vector<int>{1, 5, 48});
  CHECK(t.pipeline[3].shape == std::vector<int>{1, 5, 6, 8});  // the view, before the transpose
  CHECK(t.pipeline[3].view);
  CHECK(t.pipeline[5].shape == std::vector<int>{1, 6, 5, 8});
  CHECK(t.pipeline[11].name == "weights");
  CHECK(t.pipeline[11].axes == "(batch, heads, seq_q, seq_kv) = (1, 6, 5, 5)");
  // Numbered as the homework's six steps, in order, each present.
  for (size_t i = 1; i < t.pipeline.size(); ++i) CHECK(t.pipeline[i].stage >= t.pipeline[i - 1].stage);
  CHECK(t.pipeline.back().stage == 6);
  // Head h is columns [h·d_head, (h+1)·d_head) of the projection: the split PyTorch's view makes.
  CHECK(max_diff(t.q[3], t.q_proj.middleCols(24, 8)) == 0.0f);
  CHECK(max_diff(t.concat.middleCols(8, 8), t.heads[1].context) == 0.0f);
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
  CHECK(w1->data[3 * 2 + 1] == t.heads[1].weights(2, 1));
  auto all = ap::find_tensor(t, "weights", -1, &err);
  REQUIRE(all);
  CHECK(all->shape == std::vector<int>{2, 3, 3});
  CHECK(all->data[9 + 5] == t.heads[1].weights(1, 2));
  CHECK(ap::find_tensor(t, "output", 0, &err)->shape == std::vector<int>{3, 8});
  for (const auto& name : ap::tensor_names()) CHECK(ap::find_tensor(t, name, -1, &err));
  CHECK(!ap::find_tensor(t, "weights", 2, &err));
  CHECK(err == "head 2 is out of range: this config has query heads 0..1 (or omit it for all heads)");
  CHECK(!ap::find_tensor(t, "attn", 0, &err));
  CHECK(err.rfind("unknown tensor \"attn\"", 0) == 0);
}

TEST_CASE("an edit that leaves the projections alone gives the same trace when only attention is redone") {
  ap::Config a;
  a.text = "the cat sat on the mat and slept";
  a.pad_to = 10;
  const ap::Inputs in = ap::make_inputs(a);
  ap::Trace t = ap::run(a, in);
  ap::Config b = a;
  b.causal = true;
  b.window = 3;
  b.temperature = 0.5;
  b.softcap = 3;
  b.dropout = 0.2;
  b.mask_pad_queries = true;
  b.fully_masked = ap::FullyMasked::Uniform;
  REQUIRE(ap::same_projections(a, b));
  ap::attend_all(b, in, t);  // reuses t's projections
  const ap::Trace full = ap::run(b, ap::make_inputs(b));
  CHECK((t.output.array() == full.output.array()).all());
  CHECK((t.heads[3].weights.array() == full.heads[3].weights.array()).all());
  CHECK(t.fully_masked_rows == full.fully_masked_rows);
  b.seed = 7;
  CHECK_FALSE(ap::same_projections(a, b));
}

TEST_CASE("a forward pass spread over many slices equals run(), bit for bit") {
  ap::Config c;
  c.text.clear();
  for (int i = 0; i < 300; ++i) c.text += "w" + std::to_string(i % 37) + " ";
  c.d_model = 96;
  c.n_heads = 6;
  c.n_kv_heads = 3;
  c.causal = true;
  c.softcap = 5;
  c.dropout = 0.1;
  REQUIRE(ap::validate(c).empty());
  const ap::Inputs in = ap::make_inputs(c);
  const ap::Trace whole = ap::run(c, in);

  ap::Inputs in2;
  ap::Trace t;
  ap::Plan plan;
  ap::plan_inputs(c, in2, plan);
  ap::plan_projections(c, in2, t, plan);
  ap::plan_weights(c, in2, t, plan);
  ap::plan_outputs(c, in2, t, plan);
  int slices = 0;
  double last = -1;
  bool monotone = true;
  while (!plan.advance(0)) {  // one piece per slice
    ++slices;
    monotone = monotone && plan.progress() >= last;
    last = plan.progress();
  }
  CHECK(slices > 20);  // the work really was cut up
  CHECK(monotone);
  CHECK(plan.progress() == 1.0);
  CHECK(in2.w_v.weight == in.w_v.weight);
  CHECK(in2.x_q == in.x_q);
  CHECK(t.output == whole.output);
  CHECK(t.fully_masked_rows == whole.fully_masked_rows);
  // Equal, NaN ("not computed") where the other is NaN too.
  const auto same = [](const ap::Mat& a, const ap::Mat& b) {
    return ((a.array() == b.array()) || (a.array().isNaN() && b.array().isNaN())).all();
  };
  for (int h = 0; h < c.n_heads; ++h) {
    CHECK(same(t.heads[size_t(h)].softcapped(), whole.heads[size_t(h)].softcapped()));
    CHECK(t.heads[size_t(h)].after_dropout() == whole.heads[size_t(h)].after_dropout());
  }
}

TEST_CASE("weights first: plan_weights leaves the outputs marked not ready, plan_outputs completes them") {
  ap::Config c;
  c.causal = true;
  c.dropout = 0.1;
  const ap::Inputs in = ap::make_inputs(c);
  const ap::Trace whole = ap::run(c, in);
  CHECK(whole.outputs_ready);
  ap::Trace t = ap::projections_of(whole);
  ap::Plan weights, outputs;
  ap::plan_weights(c, in, t, weights);
  weights.finish();
  CHECK_FALSE(t.outputs_ready);
  for (int h = 0; h < c.n_heads; ++h)
    CHECK(t.heads[size_t(h)].after_dropout() == whole.heads[size_t(h)].after_dropout());
  std::string error;
  CHECK_FALSE(ap::find_tensor(t, "output", -1, &error));
  CHECK(error.find("still being computed") != std::string::npos);
  CHECK(ap::find_tensor(t, "weights", 0, &error));
  ap::plan_outputs(c, in, t, outputs);
  outputs.finish();
  CHECK(t.outputs_ready);
  CHECK(t.output == whole.output);
  CHECK(ap::find_tensor(t, "context", -1, &error));
}

TEST_CASE("dropout's integer test decides as uniform() >= p does") {
  int differ = 0;
  for (float p : {1e-6f, 0.1f, 0.25f, 0.5f, 0.9f, 0.999f})
    for (int64_t i = 0; i < 20000; ++i) {
      ap::Rng rng(77 ^ (uint64_t(i) * 0xD1B54A32D192ED03ull));
      differ += ap::dropout_keeps(77, i, p) != (rng.uniform() >= p);
    }
  CHECK(differ == 0);
}

TEST_CASE("an attention-only recompute from moved projections reuses the scores and matches a fresh run") {
  ap::Config c;
  c.text = "one two three four five six seven eight nine ten eleven twelve thirteen";
  const ap::Inputs in = ap::make_inputs(c);
  // Equal, NaN ("not computed") where the other is NaN too; close in value (natively Eigen's
  // product may round a cell differently for another block width).
  const auto close = [](const ap::Mat& a, const ap::Mat& b) {
    return ((a.array().isNaN() == b.array().isNaN()).all()) &&
           ((a.array() - b.array()).abs() <= 1e-6f * (1 + b.array().abs()) || b.array().isNaN()).all();
  };
  ap::Trace t = ap::run(c, in);
  for (bool causal : {true, false, true}) {  // scores reused, then needed beyond the old limits, then reused
    c.causal = causal;
    ap::Trace next = ap::projections_of(std::move(t));
    ap::attend_all(c, in, next);
    const ap::Trace fresh = ap::run(c, in);
    for (int h = 0; h < c.n_heads; ++h) {
      CAPTURE(causal);
      CAPTURE(h);
      CHECK(next.heads[size_t(h)].key_limit == fresh.heads[size_t(h)].key_limit);
      CHECK(close(next.heads[size_t(h)].scores, fresh.heads[size_t(h)].scores));
      CHECK(close(next.heads[size_t(h)].weights, fresh.heads[size_t(h)].weights));
    }
    CHECK(close(next.output, fresh.output));
    t = std::move(next);
  }
}

TEST_CASE("the reused scores are really the old ones (a planted score shows in the new weights)") {
  ap::Config c;
  c.text = "one two three four five six seven eight";
  const ap::Inputs in = ap::make_inputs(c);
  ap::Trace t = ap::run(c, in);
  t.heads[0].scores(5, 2) = 1e4f;  // a score no q·k here comes near
  c.causal = true;
  ap::Trace next = ap::projections_of(std::move(t));
  ap::attend_all(c, in, next);
  CHECK(next.heads[0].weights(5, 2) == doctest::Approx(1.0));
  CHECK(next.heads[1].weights(5, 2) < 0.9f);
}

TEST_CASE("scores as the homework computes them: every q·k, the keys a causal kernel skipped included") {
  ap::Config c;
  c.pad_to = 14;
  c.causal = true;
  c.temperature = 2;
  const ap::Trace t = ap::run(c, ap::make_inputs(c));
  REQUIRE(t.heads[0].key_limit[0] == 1);  // the kernel did skip keys
  for (int h = 0; h < t.n_heads; ++h) {
    const ap::HeadTrace& s = t.heads[size_t(h)];
    const ap::Mat all = ap::every_score(t, "scores", h), scaled = ap::every_score(t, "scaled_scores", h);
    const ap::Mat& q = t.q[size_t(h)];
    const ap::Mat& k = t.k[size_t(h / t.group)];
    for (int i = 0; i < t.n_q; ++i)
      for (int j = 0; j < t.n_kv; ++j) {
        if (j < s.key_limit[size_t(i)]) {  // what the kernel computed stays, bit for bit
          CHECK(std::memcmp(&all(i, j), &s.scores(i, j), sizeof(float)) == 0);
          CHECK(std::memcmp(&scaled(i, j), &s.scaled(i, j), sizeof(float)) == 0);
        }
        // float32 dot products of 16 terms of magnitude ~1: within 1e-5 of the float64 sum.
        const double ref = q.row(i).cast<double>().dot(k.row(j).cast<double>());
        CHECK(std::abs(all(i, j) - ref) < 1e-5 * (1 + std::abs(ref)));
        CHECK(scaled(i, j) == doctest::Approx(all(i, j) * t.scale / t.temperature).epsilon(1e-6));
      }
    const ap::Mat row = ap::every_score(t, "scores", h, 5, 6);  // one row, as a tooltip asks
    CHECK(std::memcmp(row.data(), all.row(5).data(), sizeof(float) * size_t(t.n_kv)) == 0);
  }
  // tensor('scores') and its exports: no NaN anywhere.
  std::string error;
  const auto td = ap::find_tensor(t, "scores", -1, &error);
  REQUIRE(td);
  CHECK(std::none_of(td->data.begin(), td->data.end(), [](float v) { return std::isnan(v); }));
  CHECK(ap::every_score(t, "weights", 0).size() == 0);
}
