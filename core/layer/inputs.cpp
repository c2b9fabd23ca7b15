// Seeded token embeddings, positional encoding and PyTorch-style weight init.
#include "layer/inputs.h"

#include <algorithm>
#include <cmath>

#include "base/rng.h"
#include "kernels/gemm.h"

namespace ap {

// nn.Linear initialises weight and bias uniform in ±1/√fan_in (kaiming_uniform
// with a = √5 works out to that bound); it also keeps softmax inputs O(1).
Mat sinusoidal_encoding(int n, int d_model, int first) {
  Mat pe(n, d_model);
  for (int c = 0; c < d_model; ++c) {
    const int i2 = c - (c % 2);  // the even index 2i this column pairs with
    const double inv_freq = std::pow(10000.0, -double(i2) / d_model);
    for (int row = 0; row < n; ++row) {
      const int pos = first + row;
      pe(row, c) = float(c % 2 == 0 ? std::sin(pos * inv_freq) : std::cos(pos * inv_freq));
    }
  }
  return pe;
}

Mat embed_tokens(const std::vector<std::string>& tokens, int d_model, uint32_t seed) {
  Mat e(int(tokens.size()), d_model);
  for (int t = 0; t < e.rows(); ++t) {
    // One stream per distinct token text: "cat" at any position gets the same row.
    Rng rng(hash_bytes(tokens[t], hash_bytes("embedding")) ^ (uint64_t(seed) << 32 | seed));
    for (int c = 0; c < d_model; ++c) e(t, c) = float(rng.normal());
  }
  return e;
}

namespace {

// Writes head h's rows of W_q, W_k (and b_q) for Weights::Constructed; see inputs.h.
void construct_head(int h, int d_model, int d_head, Linear& wq, Linear& wk) {
  const int half = d_model / 2, pairs_total = half / 2, pairs = std::min(d_head / 2, pairs_total);
  const int r0 = h * d_head;
  wq.weight.middleRows(r0, d_head).setZero();
  wk.weight.middleRows(r0, d_head).setZero();
  wq.bias.segment(r0, d_head).setZero();
  wk.bias.segment(r0, d_head).setZero();
  const double omega0 = 1.0;  // the highest frequency: ω_f = 10000^(−2f/half)
  double margin = 0;          // score gap between the best key and its neighbour, per unit of c
  for (int f = 0; f < pairs; ++f) margin += 1 - std::cos(omega0 * std::pow(10000.0, -2.0 * f / half));
  const double target = 8.0 * std::sqrt(double(d_head));  // the scaled (÷√d_head) gap becomes 8
  const int kind = h % 4;
  if (kind == 1) {  // same token: compare the first d_head embedding columns
    // e·e of a repeated token is about d_head ± √(2·d_head), of two others about ±√d_head: twice the
    // target keeps the gap near 8 after that noise.
    const double c = 2 * target / d_head;
    for (int e = 0; e < d_head; ++e) {
      wq.weight(r0 + e, e) = float(c);
      wk.weight(r0 + e, e) = 1.0f;
    }
    return;
  }
  const double c = target / margin;
  const int delta = kind == 0 ? 1 : 2;
  for (int f = 0; f < pairs; ++f) {
    const int col = half + 2 * f;  // (sin, cos) of frequency f in the positional half
    const double w = std::pow(10000.0, -2.0 * f / half), cd = std::cos(w * delta), sd = std::sin(w * delta);
    const int a = r0 + 2 * f, b = a + 1;
    wk.weight(a, col) = 1.0f;  // k_j = (sin ωj, cos ωj)
    wk.weight(b, col + 1) = 1.0f;
    if (kind == 2) {  // first token: q = c·(sin 0, cos 0) for every query
      wq.bias(b) = float(c);
    } else {  // q_i = c·(sin ω(i−δ), cos ω(i−δ)): a rotation of (sin ωi, cos ωi) by −ωδ
      wq.weight(a, col) = float(c * cd);
      wq.weight(a, col + 1) = float(-c * sd);
      wq.weight(b, col) = float(c * sd);
      wq.weight(b, col + 1) = float(c * cd);
    }
  }
}

}  // namespace

namespace {

// Rows [r0, r1) of a sequence's token vectors: embedding + positional encoding.
void fill_vectors(const Config& cfg, const std::vector<std::string>& tokens, int r0, int r1, Mat& x) {
  const int d = cfg.d_model, n = r1 - r0;
  auto rows = x.middleRows(r0, n);
  rows = embed_tokens(std::vector<std::string>(tokens.begin() + r0, tokens.begin() + r1), d, cfg.seed);
  if (cfg.weights == Weights::Constructed) {  // embedding in the first half, position in the second
    rows.rightCols(d / 2).setZero();
    if (cfg.positional) rows.rightCols(d / 2) = sinusoidal_encoding(n, d / 2, r0);
  } else if (cfg.positional) {
    rows += sinusoidal_encoding(n, d, r0);
  }
}

// Rows [r0, r1) of a weight, from its place in init_linear's stream.
void fill_weight_rows(uint32_t seed, const char* name, int r0, int r1, Linear& l) {
  Rng rng = stream(seed, name);
  rng.skip(uint64_t(r0) * uint64_t(l.weight.cols()));
  const double bound = 1.0 / std::sqrt(double(l.weight.cols()));
  for (int r = r0; r < r1; ++r)
    for (int c = 0; c < l.weight.cols(); ++c) l.weight(r, c) = float(rng.uniform(bound));
}

// The bias, drawn after every weight, as init_linear does.
void fill_bias(uint32_t seed, const char* name, bool bias, Linear& l) {
  l.bias = RowVec::Zero(l.weight.rows());
  if (!bias) return;
  Rng rng = stream(seed, name);
  rng.skip(uint64_t(l.weight.rows()) * uint64_t(l.weight.cols()));
  const double bound = 1.0 / std::sqrt(double(l.weight.cols()));
  for (int r = 0; r < l.bias.size(); ++r) l.bias(r) = float(rng.uniform(bound));
}

std::vector<uint8_t> pad_flags(const Sequence& seq) {
  std::vector<uint8_t> f(seq.tokens.size(), 0);
  for (size_t i = size_t(seq.n_text); i < f.size(); ++i) f[i] = 1;
  return f;
}

// Rough costs per item (plan.h): a normal draw, a uniform draw.
constexpr double kNormalCost = 40, kUniformCost = 10;

}  // namespace

Linear init_linear(uint32_t seed, const char* name, int d_out, int d_in, bool bias) {
  Linear l{Mat(d_out, d_in), {}, {}};
  fill_weight_rows(seed, name, 0, d_out, l);
  fill_bias(seed, name, bias, l);
  return l;
}

void plan_inputs(const Config& cfg, Inputs& in, Plan& plan) {
  const Sequences s = make_sequences(cfg);
  const int d = cfg.d_model;
  in.cross = s.cross;
  in.kv_tokens = s.kv.tokens;
  in.kv_pad = pad_flags(s.kv);
  in.q_position0 = s.first_query;
  if (s.cross) {
    in.q_tokens = s.q_source.tokens;
    in.q_pad = pad_flags(s.q_source);
  } else {
    // Self-attention: the queries are the text's rows from the first non-cached token on.
    in.q_tokens.assign(s.q_source.tokens.begin() + s.first_query, s.q_source.tokens.end());
    in.q_pad.assign(in.kv_pad.begin() + s.first_query, in.kv_pad.end());
  }
  in.x_kv.resize(s.n_kv(), d);
  for_ranges(s.n_kv(), d * kNormalCost, [&](int r0, int r1) {
    plan.add((r1 - r0) * d * kNormalCost, [&cfg, &in, r0, r1] { fill_vectors(cfg, in.kv_tokens, r0, r1, in.x_kv); });
  });
  if (s.cross) {
    in.x_q.resize(s.n_q(), d);
    for_ranges(s.n_q(), d * kNormalCost, [&](int r0, int r1) {
      plan.add((r1 - r0) * d * kNormalCost, [&cfg, &in, r0, r1] { fill_vectors(cfg, in.q_tokens, r0, r1, in.x_q); });
    });
  }
  const int dh = d_head(cfg), n_kv_heads = kv_heads(cfg);
  const std::pair<Linear*, const char*> weights[] = {
      {&in.w_q, "w_q"}, {&in.w_k, "w_k"}, {&in.w_v, "w_v"}, {&in.w_o, "w_o"}};
  for (auto [l, name] : weights) {
    const int d_out = l == &in.w_k || l == &in.w_v ? n_kv_heads * dh : d;
    l->weight.resize(d_out, d);
    for_ranges(d_out, d * kUniformCost, [&, l = l, name = name](int r0, int r1) {
      plan.add((r1 - r0) * d * kUniformCost, [&cfg, l, name, r0, r1] { fill_weight_rows(cfg.seed, name, r0, r1, *l); });
    });
  }
  plan.add(4.0 * d * kUniformCost, [&cfg, &in, dh] {
    for (auto [l, name] : {std::pair{&in.w_q, "w_q"}, {&in.w_k, "w_k"}, {&in.w_v, "w_v"}, {&in.w_o, "w_o"}})
      fill_bias(cfg.seed, name, cfg.bias, *l);
    if (cfg.weights == Weights::Constructed)
      for (int h = 0; h < cfg.n_heads; ++h) construct_head(h, cfg.d_model, dh, in.w_q, in.w_k);
  });
  if (!s.cross) plan_copy_rows(plan, in.x_kv, s.first_query, s.n_q(), in.x_q);
  for (Linear* l : {&in.w_q, &in.w_k, &in.w_v, &in.w_o}) {
    const size_t size = panels_size(l->weight);
    if (size == 0) continue;
    plan.add(0, [l, size] { l->panels.clear(), l->panels.reserve(size); });  // memory untouched until packed
    const double per_panel = double(kPanel) * d * kCopyCost;
    for_ranges(int(size / (size_t(kPanel) * size_t(d))), per_panel, [&, l = l](int p0, int p1) {
      plan.add((p1 - p0) * per_panel, [l, p0, p1] { pack_panel_range(l->weight, p0, p1, l->panels); });
    });
  }
}

Inputs make_inputs(const Config& cfg) {
  Inputs in;
  Plan plan;
  plan_inputs(cfg, in, plan);
  plan.finish();
  return in;
}

}  // namespace ap
