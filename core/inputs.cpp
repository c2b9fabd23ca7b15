// Seeded token embeddings, positional encoding and PyTorch-style weight init.
#include "inputs.h"

#include <algorithm>
#include <cmath>

#include "gemm.h"
#include "rng.h"

namespace ap {

// nn.Linear initialises weight and bias uniform in ±1/√fan_in (kaiming_uniform
// with a = √5 works out to that bound); it also keeps softmax inputs O(1).
Linear init_linear(uint32_t seed, const char* name, int d_out, int d_in, bool bias) {
  Rng rng = stream(seed, name);
  const double bound = 1.0 / std::sqrt(double(d_in));
  Linear l{Mat(d_out, d_in), RowVec::Zero(d_out), {}};
  for (int r = 0; r < d_out; ++r)
    for (int c = 0; c < d_in; ++c) l.weight(r, c) = float(rng.uniform(bound));
  if (bias)
    for (int r = 0; r < d_out; ++r) l.bias(r) = float(rng.uniform(bound));
  return l;
}

Mat sinusoidal_encoding(int n, int d_model) {
  Mat pe(n, d_model);
  for (int c = 0; c < d_model; ++c) {
    const int i2 = c - (c % 2);  // the even index 2i this column pairs with
    const double inv_freq = std::pow(10000.0, -double(i2) / d_model);
    for (int pos = 0; pos < n; ++pos)
      pe(pos, c) = float(c % 2 == 0 ? std::sin(pos * inv_freq) : std::cos(pos * inv_freq));
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

Inputs make_inputs(const Config& cfg) {
  Inputs in;
  const Sequences s = make_sequences(cfg);
  const int d = cfg.d_model;
  const bool constructed = cfg.weights == Weights::Constructed;
  const auto vectors = [&](const Sequence& seq) {
    const int n = int(seq.tokens.size());
    Mat x = embed_tokens(seq.tokens, d, cfg.seed);
    if (constructed) {  // embedding in the first half, position in the second
      x.rightCols(d / 2).setZero();
      if (cfg.positional) x.rightCols(d / 2) = sinusoidal_encoding(n, d / 2);
    } else if (cfg.positional) {
      x += sinusoidal_encoding(n, d);
    }
    return x;
  };
  const auto pad_flags = [](const Sequence& seq) {
    std::vector<uint8_t> f(seq.tokens.size(), 0);
    for (size_t i = size_t(seq.n_text); i < f.size(); ++i) f[i] = 1;
    return f;
  };
  in.cross = s.cross;
  in.kv_tokens = s.kv.tokens;
  in.kv_pad = pad_flags(s.kv);
  in.x_kv = vectors(s.kv);
  in.q_position0 = s.first_query;
  if (s.cross) {
    in.q_tokens = s.q_source.tokens;
    in.q_pad = pad_flags(s.q_source);
    in.x_q = vectors(s.q_source);
  } else {
    // Self-attention: the queries are the text's rows from the first non-cached token on.
    in.q_tokens.assign(s.q_source.tokens.begin() + s.first_query, s.q_source.tokens.end());
    in.q_pad.assign(in.kv_pad.begin() + s.first_query, in.kv_pad.end());
    in.x_q = in.x_kv.bottomRows(s.n_q());
  }
  const int d_head = d / cfg.n_heads, n_kv_heads = cfg.n_kv_heads ? cfg.n_kv_heads : cfg.n_heads;
  in.w_q = init_linear(cfg.seed, "w_q", d, d, cfg.bias);
  in.w_k = init_linear(cfg.seed, "w_k", n_kv_heads * d_head, d, cfg.bias);
  in.w_v = init_linear(cfg.seed, "w_v", n_kv_heads * d_head, d, cfg.bias);
  in.w_o = init_linear(cfg.seed, "w_o", d, d, cfg.bias);
  if (constructed)
    for (int h = 0; h < cfg.n_heads; ++h) construct_head(h, d, d_head, in.w_q, in.w_k);
  for (Linear* l : {&in.w_q, &in.w_k, &in.w_v, &in.w_o}) l->panels = pack_panels(l->weight);
  return in;
}

}  // namespace ap
