// A tiny decoder-only transformer with a hand-written backward pass:
// embeddings -> 1..2 layers of [LN] -> causal multi-head attention -> +residual
// [-> LN -> MLP -> +residual] -> [final LN] -> unembedding -> softmax cross-entropy.
// Float64 throughout: the models are tiny, and float64 makes finite-difference
// gradient checks tight (tests/test_train.cpp checks every tensor).
//
// Shapes use the project's names: B sequences of T tokens, V = vocab (with
// SEP), d_model, n_heads, d_head = d_model / n_heads, d_mlp = 4·d_model.
// Rows of an activation are (sequence, position) pairs: row b*T + t. A layer
// is y = x·W + b, so W is [d_in x d_out] and b is [1 x d_out].
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "train/tasks.h"

namespace ap::train {

// Row-major like the rest of core/ (tensor.h), so data() is in NumPy's C order.
// An Eigen::MatrixXd converts to it implicitly.
using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct ModelShape {
  int vocab = 11;  // V: tokens read and predicted (model_vocab(settings.vocab))
  int n_ctx = 12;  // T: rows of the positional embedding, the longest sequence
  int d_model = 32;
  int n_heads = 2;
  int n_layers = 1;
  bool layer_norm = false;
  bool mlp = false;
  int d_head() const { return d_model / n_heads; }
  int d_mlp() const { return 4 * d_model; }
};

// Parameters (and, with the same layout, gradients and Adam's moments).
// Tensors a shape does not use (LN, MLP) are empty (0 x 0) and are skipped by
// for_each, so names and order always describe exactly what exists.
struct LayerParams {
  MatD ln1_w, ln1_b;        // [1 x d_model] gain and shift before attention
  MatD W_q, W_k, W_v, W_o;  // [d_model x d_model]; head h uses columns h*d_head .. (rows for W_o)
  MatD b_q, b_k, b_v, b_o;  // [1 x d_model]
  MatD ln2_w, ln2_b;        // [1 x d_model] before the MLP
  MatD W_in, b_in;          // [d_model x d_mlp], [1 x d_mlp]
  MatD W_out, b_out;        // [d_mlp x d_model], [1 x d_model]
};

struct Params {
  MatD tok_emb;  // [V x d_model]
  MatD pos_emb;  // [T x d_model]
  std::vector<LayerParams> layers;
  MatD lnf_w, lnf_b;  // [1 x d_model] final layer norm
  MatD W_u;           // [d_model x V] unembedding
  MatD b_u;           // [1 x V]

  // f(const std::string& name, MatD& tensor) for every non-empty tensor, in a
  // fixed order. Names: "embed.tokens", "embed.positions",
  // "layers.0.ln1.weight", "layers.0.ln1.bias", "layers.0.attn.W_q", "layers.0.attn.b_q"
  // (and _k, _v, _o), "layers.0.ln2.weight", "layers.0.ln2.bias", "layers.0.mlp.W_in",
  // "layers.0.mlp.b_in", "layers.0.mlp.W_out", "layers.0.mlp.b_out",
  // "final_ln.weight", "final_ln.bias", "unembed.W", "unembed.b".
  template <typename F>
  void for_each(F&& f) {
    visit(*this, f);
  }
  template <typename F>
  void for_each(F&& f) const {
    visit(*this, f);
  }
  std::vector<MatD*> tensors();  // the same order as for_each
  std::vector<const MatD*> tensors() const;
  Params zeros_like() const;  // same shapes, all zero

 private:
  template <typename Self, typename F>
  static void visit(Self& p, F& f) {
    auto put = [&](const std::string& name, auto& m) {
      if (m.size() > 0) f(name, m);
    };
    put("embed.tokens", p.tok_emb);
    put("embed.positions", p.pos_emb);
    for (size_t l = 0; l < p.layers.size(); ++l) {
      auto& L = p.layers[l];
      const std::string pre = "layers." + std::to_string(l) + ".";
      put(pre + "ln1.weight", L.ln1_w);
      put(pre + "ln1.bias", L.ln1_b);
      put(pre + "attn.W_q", L.W_q);
      put(pre + "attn.b_q", L.b_q);
      put(pre + "attn.W_k", L.W_k);
      put(pre + "attn.b_k", L.b_k);
      put(pre + "attn.W_v", L.W_v);
      put(pre + "attn.b_v", L.b_v);
      put(pre + "attn.W_o", L.W_o);
      put(pre + "attn.b_o", L.b_o);
      put(pre + "ln2.weight", L.ln2_w);
      put(pre + "ln2.bias", L.ln2_b);
      put(pre + "mlp.W_in", L.W_in);
      put(pre + "mlp.b_in", L.b_in);
      put(pre + "mlp.W_out", L.W_out);
      put(pre + "mlp.b_out", L.b_out);
    }
    put("final_ln.weight", p.lnf_w);
    put("final_ln.bias", p.lnf_b);
    put("unembed.W", p.W_u);
    put("unembed.b", p.b_u);
  }
};

// Initial weights from the seed, the way nn.Linear draws them (uniform in
// ±1/√fan_in), embeddings with unit variance (as nn.Embedding), biases 0,
// LN gains 1. Only uniform draws, no libm calls, so the
// initial weights are bit-identical natively and in wasm.
Params init_params(const ModelShape& shape, uint32_t seed);

// Which heads are ablated: [n_layers * n_heads], index layer*n_heads + head,
// 1 = the head's context is set to zero (it still computes its weights).
// Empty = none.
using HeadMask = std::vector<uint8_t>;

struct LnCache {
  MatD xhat;             // [BT x d_model] normalised input
  Eigen::VectorXd rstd;  // [BT] 1/√(var + eps)
};

// Everything forward() keeps for backward() and for the views.
struct LayerActivations {
  MatD x_in;  // [BT x d_model] residual stream entering the layer
  LnCache ln1;
  MatD a;                     // [BT x d_model] attention input: LN1(x_in), or x_in without LN
  MatD q, k, v;               // [BT x d_model]; head h is columns h*d_head .. h*d_head + d_head-1
  std::vector<MatD> weights;  // [B * n_heads] (index b*n_heads + h), each [T x T], causal: 0 above the diagonal
  MatD ctx;                   // [BT x d_model] concatenated head contexts (ablated heads' columns are 0)
  MatD x_mid;                 // [BT x d_model] x_in + ctx·W_o + b_o
  LnCache ln2;
  MatD m;       // [BT x d_model] MLP input
  MatD u;       // [BT x d_mlp] pre-activation
  MatD tanh_u;  // [BT x d_mlp] GELU's tanh term, kept so backward() need not recompute it
  MatD g;       // [BT x d_mlp] GELU(u)
};

// Buffers backward() reuses from call to call, so that a training step
// allocates nothing once the sizes settle. Measured: on glibc, freeing and
// re-faulting the activations (a few hundred KiB each) every step made a step
// about 7x slower than its arithmetic.
struct Workspace {
  MatD dlogits, dx, dh, dctx, dq, dk, dv, dS, dxhat;
};

struct Activations {
  int B = 0, T = 0;
  std::vector<LayerActivations> layers;
  MatD x_out;  // [BT x d_model] residual stream after the last layer
  LnCache lnf;
  MatD z;                       // [BT x d_model] unembedding input
  MatD logits;                  // [BT x V]
  MatD probs;                   // [BT x V] softmax(logits)
  double loss = 0;              // mean cross-entropy over scored positions (nats)
  int scored = 0, correct = 0;  // scored positions, and those whose argmax is the target
  double accuracy() const { return scored > 0 ? double(correct) / scored : 0.0; }
  Workspace work;  // backward()'s scratch; not part of the result
};

// Precondition: batch.T <= shape.n_ctx, tokens in [0, V), targets in [-1, V),
// ablated empty or of size n_layers * n_heads.
void forward(const Params& p, const ModelShape& shape, const Batch& batch, const HeadMask& ablated, Activations& act);

// Gradient of act.loss with respect to every parameter, from the activations
// forward() left (same params, batch and mask). grads must have p's shapes
// (Params::zeros_like); it is overwritten. Only act.work is modified.
void backward(const Params& p, const ModelShape& shape, const Batch& batch, const HeadMask& ablated, Activations& act,
              Params& grads);

}  // namespace ap::train
