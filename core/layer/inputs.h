// What the attention layer is fed: token vectors for the queries and for the
// keys/values, and the four projections. Everything is a deterministic
// function of the Config, so a seed names a whole experiment: the same token
// text gives the same embedding row, and the weights depend only on
// (seed, d_model, heads, bias), not on the text.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "base/tensor.h"
#include "config/config.h"
#include "kernels/plan.h"

namespace ap {

// nn.Linear's layout and convention: y = x · weightᵀ + bias.
struct Linear {
  Mat weight;                 // [d_out x d_in]
  RowVec bias;                // [d_out], zeros when the config has no bias
  std::vector<float> panels;  // weight packed for the SIMD kernel (gemm.h); empty = use Eigen
};

struct Inputs {
  std::vector<std::string> q_tokens, kv_tokens;  // n_q, n_kv
  std::vector<uint8_t> q_pad, kv_pad;            // 1 = a [PAD] token
  int q_position0 = 0;                           // position of the first query (kv_cache: the past comes first)
  bool cross = false;
  Mat x_q;          // [n_q x d_model]  embedding + positional encoding of the query tokens
  Mat x_kv;         // [n_kv x d_model] the same for the key/value tokens
  Linear w_q;       // [d_model x d_model]
  Linear w_k, w_v;  // [n_kv_heads·d_head x d_model]
  Linear w_o;       // [d_model x d_model]
  // Projections given instead of computed (imported .npy): Q [n_q x d_model], K, V [n_kv x n_kv_heads·d_head].
  std::optional<Mat> q_proj, k_proj, v_proj;
};

// Precondition: validate(cfg) is empty.
// make_inputs runs plan_inputs' pieces at once; plan_inputs lets a caller
// spread them over frames (plan.h). `in` must outlive the plan's pieces.
//
// With Weights::Constructed, token vectors keep the embedding in the first
// half of the columns and the positional encoding (of width d_model/2) in the
// second, so a head can read either exactly; W_q and W_k of head h are built:
//   h % 4 == 0  previous token: q_i·k_j = c·Σ_f cos(ω_f (i − 1 − j)), largest at j = i − 1
//   h % 4 == 1  same token: q_i·k_j = c·(e_i·e_j) over d_head embedding columns, largest where the token repeats
//   h % 4 == 2  first token: a constant query (the bias) c·PE(0), so q·k_j = c·Σ_f cos(ω_f j), largest at j = 0
//   h % 4 == 3  two back: as the previous-token head with an offset of 2
// c makes the best key's scaled score about 8 above its nearest rival's.
Inputs make_inputs(const Config& cfg);
void plan_inputs(const Config& cfg, Inputs& in, Plan& plan);

// One N(0, 1) row per token, like nn.Embedding; rows depend on (token text, seed) only.
// out: [n x d_model]
Mat embed_tokens(const std::vector<std::string>& tokens, int d_model, uint32_t seed);

// PE[pos, 2i] = sin(pos / 10000^(2i/d_model)), PE[pos, 2i+1] = cos(same angle),
// for pos = first .. first + n - 1. out: [n x d_model]
Mat sinusoidal_encoding(int n, int d_model, int first = 0);

// nn.Linear's initialisation: weight and bias uniform in ±1/√d_in, from a named stream of the seed.
Linear init_linear(uint32_t seed, const char* name, int d_out, int d_in, bool bias);

}  // namespace ap
