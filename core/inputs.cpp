// Seeded token embeddings, positional encoding and PyTorch-style weight init.
#include "inputs.h"

#include <cmath>

#include "rng.h"

namespace ap {
namespace {

// nn.Linear initialises weight and bias uniform in ±1/√fan_in (kaiming_uniform
// with a = √5 works out to that bound); it also keeps softmax inputs O(1).
Linear init_linear(uint32_t seed, const char* name, int d_out, int d_in, bool bias) {
  Rng rng = stream(seed, name);
  const double bound = 1.0 / std::sqrt(double(d_in));
  Linear l{Mat(d_out, d_in), RowVec::Zero(d_out)};
  for (int r = 0; r < d_out; ++r)
    for (int c = 0; c < d_in; ++c) l.weight(r, c) = float(rng.uniform(bound));
  if (bias)
    for (int r = 0; r < d_out; ++r) l.bias(r) = float(rng.uniform(bound));
  return l;
}

}  // namespace

Mat sinusoidal_encoding(int n, int d_model) {
  Mat pe(n, d_model);
  for (int pos = 0; pos < n; ++pos)
    for (int c = 0; c < d_model; ++c) {
      const int i2 = c - (c % 2);  // the even index 2i this column pairs with
      const double angle = pos / std::pow(10000.0, double(i2) / d_model);
      pe(pos, c) = float(c % 2 == 0 ? std::sin(angle) : std::cos(angle));
    }
  return pe;
}

Inputs make_inputs(const Config& cfg) {
  Inputs in;
  Sequence seq = make_sequence(cfg);
  in.tokens = std::move(seq.tokens);
  in.n_text = seq.n_text;
  const int n = int(in.tokens.size()), d = cfg.d_model;

  in.embedding.resize(n, d);
  for (int t = 0; t < n; ++t) {
    // One stream per distinct token text: "cat" at any position gets the same row.
    Rng rng(hash_bytes(in.tokens[t], hash_bytes("embedding")) ^ (uint64_t(cfg.seed) << 32 | cfg.seed));
    for (int c = 0; c < d; ++c) in.embedding(t, c) = float(rng.normal());
  }
  in.positional = cfg.positional ? sinusoidal_encoding(n, d) : Mat::Zero(n, d);
  in.x = in.embedding + in.positional;

  in.w_q = init_linear(cfg.seed, "w_q", d, d, cfg.bias);
  in.w_k = init_linear(cfg.seed, "w_k", d, d, cfg.bias);
  in.w_v = init_linear(cfg.seed, "w_v", d, d, cfg.bias);
  in.w_o = init_linear(cfg.seed, "w_o", d, d, cfg.bias);
  return in;
}

}  // namespace ap
