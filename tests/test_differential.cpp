// Differential test: 10,000 seeded random configs, every option of the Config
// and the edges (one token, d_head = 1, fully masked rows, logits near ±1e4,
// tiny scores), against the float64 reference in reference.h.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "base/rng.h"
#include "config/json.h"
#include "layer/attention.h"
#include "reference.h"

namespace {

constexpr int kConfigs = 10000;

ap::Config random_config(ap::Rng& rng) {
  const auto pick = [&](int n) { return int(rng.next() % uint64_t(n)); };
  const auto chance = [&](double p) { return rng.uniform() < p; };
  const char* words[] = {"the", "cat", "sat", "on", "mat", ",", "it", "was", "tired", ".", "é", "日", "👍"};
  const auto sentence = [&](int n) {
    std::string s;
    for (int w = 0; w < n; ++w) s += std::string(w ? " " : "") + words[pick(13)];
    return s;
  };
  ap::Config c;
  // Sizes: d_head from 1 up; heads and kv heads dividing evenly.
  const int heads_options[] = {1, 2, 3, 4, 6};
  c.n_heads = heads_options[pick(5)];
  const int d_head = 1 + pick(8);
  c.d_model = c.n_heads * d_head;
  int kv_choices[6], n_choices = 0;
  for (int k = 1; k <= c.n_heads; ++k)
    if (c.n_heads % k == 0) kv_choices[n_choices++] = k;
  c.n_kv_heads = chance(0.4) ? kv_choices[pick(n_choices)] : 0;

  const int n_text = 1 + pick(chance(0.1) ? 1 : 10);  // one token now and then
  c.text = sentence(n_text);
  if (chance(0.3)) c.cross_text = sentence(1 + pick(10));
  else if (n_text > 1 && chance(0.25)) c.kv_cache = 1 + pick(n_text - 1);
  if (chance(0.3)) c.pad_to = n_text + pick(4);
  c.seed = uint32_t(rng.next());
  c.bias = chance(0.5);
  c.positional = chance(0.8);

  c.causal = chance(0.5);
  c.causal_align = chance(0.5) ? ap::CausalAlign::TopLeft : ap::CausalAlign::BottomRight;
  c.window = chance(0.25) ? 1 + pick(4) : 0;
  c.mask_pad_keys = chance(0.8);
  c.mask_pad_queries = chance(0.3);
  const ap::Sequences s = ap::make_sequences(c);
  const int n_q = s.n_q(), n_kv = s.n_kv();
  if (chance(0.25)) {
    c.custom_mask.assign(size_t(n_q), std::vector<uint8_t>(size_t(n_kv)));
    const double keep = chance(0.2) ? 0.05 : 0.7;  // sometimes nearly everything blocked
    for (auto& row : c.custom_mask)
      for (auto& v : row) v = chance(keep);
  }
  if (chance(0.25)) {
    c.float_mask.assign(size_t(n_q), std::vector<float>(size_t(n_kv)));
    for (auto& row : c.float_mask)
      for (auto& v : row) v = chance(0.15) ? -std::numeric_limits<float>::infinity() : float(rng.uniform(3.0));
  }
  c.fully_masked = ap::FullyMasked(pick(3));

  // Score magnitudes from tiny to huge: scale up to 1e3 gives logits near ±1e4.
  const double scales[] = {0, 0, 0, 1e-6, 0.01, 1.0, 30.0, 1e3};
  c.scale = scales[pick(8)];
  c.temperature = chance(0.2) ? 0.25 + 4 * rng.uniform() : 1.0;
  c.softcap = chance(0.2) ? 0.5 + 5 * rng.uniform() : 0.0;
  c.dropout = chance(0.15) ? 0.5 * rng.uniform() : 0.0;
  return c;
}

bool same(double core, double expected, double tol) {
  if (std::isnan(expected)) return std::isnan(core);
  return std::abs(core - expected) <= tol;
}

}  // namespace

TEST_CASE("differential: the core matches the float64 reference on 10,000 random configs") {
  // Tolerances. The core computes in float32 (unit roundoff u = 6e-8). A
  // logit L is a dot product of d_head <= 8 terms, times a scale: its error
  // is a few u·|L|, and softmax passes an error δ in the logits on to the
  // weights as at most δ/2 (|∂w/∂L| <= 1/4 per logit, summed over two). So
  // weights get 2e-6 + 1e-6·max|L| absolute: ~1e-2 at logits of 1e4, where a
  // weight can only be ~0 or ~1 anyway. An output element sums the errors of
  // up to n_kv <= 14 weights times |v|, then goes through W_o, and dropout
  // scales by up to 1/(1-p) = 2: 16x the weight bound, relative to the
  // largest output magnitude. Measured worst cases are printed below (~3e-6
  // of the 1.6e-5 allowed for outputs, 7e-8 of 1e-6 for weights).
  ap::Rng rng(20261123);
  double worst_w = 0, worst_o = 0;
  int fully_masked = 0, huge = 0, one_token = 0;
  for (int n = 0; n < kConfigs; ++n) {
    const ap::Config c = random_config(rng);
    const auto errors = ap::validate(c);
    CAPTURE(n);
    CAPTURE(errors.empty() ? std::string() : errors[0]);
    REQUIRE(errors.empty());
    const ap::Inputs in = ap::make_inputs(c);
    const ap::Trace t = ap::run(c, in);
    const ref::Result r = ref::attention(c, in);

    const double tol_w = 2e-6 + 1e-6 * r.max_abs_logit;
    for (int h = 0; h < c.n_heads; ++h)
      for (int i = 0; i < t.n_q; ++i)
        for (int j = 0; j < t.n_kv; ++j) {
          const double want = r.weights[size_t(h)][size_t(i)][size_t(j)], got = t.heads[size_t(h)].weights(i, j);
          if (!same(got, want, tol_w)) {
            CAPTURE(h);
            CAPTURE(i);
            CAPTURE(j);
            CAPTURE(ap::config_to_json(c));
            FAIL_CHECK("weight " << got << " vs reference " << want);
            return;
          }
          if (!std::isnan(want)) worst_w = std::max(worst_w, std::abs(got - want) / (1 + r.max_abs_logit));
        }
    double out_scale = 1e-30;
    for (const auto& row : r.output)
      for (double v : row)
        if (!std::isnan(v)) out_scale = std::max(out_scale, std::abs(v));
    const double tol_o = (1e-6 + 1e-6 * r.max_abs_logit) * 16 * out_scale;
    for (int i = 0; i < t.n_q; ++i)
      for (int e = 0; e < t.d_model; ++e) {
        const double want = r.output[size_t(i)][size_t(e)], got = t.output(i, e);
        if (!same(got, want, tol_o)) {
          CAPTURE(i);
          CAPTURE(e);
          CAPTURE(ap::config_to_json(c));
          FAIL_CHECK("output " << got << " vs reference " << want);
          return;
        }
        if (!std::isnan(want)) worst_o = std::max(worst_o, std::abs(got - want) / out_scale / (1 + r.max_abs_logit));
      }
    fully_masked += !t.fully_masked_rows.empty();
    huge += r.max_abs_logit > 1e3;
    one_token += t.n_kv == 1;
  }
  MESSAGE(kConfigs << " configs: " << fully_masked << " with fully masked rows, " << huge << " with logits above 1e3, "
                   << one_token << " with a single key; worst weight error / (1 + max|logit|) = " << worst_w
                   << ", worst output error / max|output| / (1 + max|logit|) = " << worst_o);
  CHECK(fully_masked > 100);  // the edges were really visited
  CHECK(huge > 100);
  CHECK(one_token > 50);
}
