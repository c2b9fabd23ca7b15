// The forward pass. Float32 throughout, as the browser runs it; the tests
// compare it with a float64 reference written as plain loops.
#include "attention.h"

#include <cmath>
#include <limits>

namespace ap {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// x: [n x d_in] -> [n x d_out]
Mat apply(const Linear& l, const Mat& x) {
  Mat y(x.rows(), l.weight.rows());
  y.noalias() = x * l.weight.transpose();
  y.rowwise() += l.bias;
  return y;
}

std::string dims(const std::vector<int>& s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + ")";
}

void describe_steps(Trace& t) {
  const int n = t.n_q, m = t.n_kv, d = t.d_model, h = t.n_heads, dh = t.d_head;
  const std::string seq = "(batch, seq, d_model)", heads = "(batch, heads, seq, head_dim)",
                    attn = "(batch, heads, seq_q, seq_kv)";
  t.steps = {
      {"x", "X = embedding + positional encoding", {1, n, d}, seq},
      {"q_proj", "Q = X·W_qᵀ + b_q   (likewise K, V)", {1, n, d}, seq},
      {"q", "Q.view(1, n, heads, d_head).transpose(1, 2)", {1, h, n, dh}, heads},
      {"scores", "Q·Kᵀ", {1, h, n, m}, attn},
      {"scaled_scores", "Q·Kᵀ / √d_head", {1, h, n, m}, attn},
      {"masked_scores", "masked_fill(blocked, −inf)", {1, h, n, m}, attn},
      {"weights", "softmax(·, dim=−1)", {1, h, n, m}, attn},
      {"context", "weights·V", {1, h, n, dh}, heads},
      {"concat", "context.transpose(1, 2).reshape(1, n, d_model)", {1, n, d}, seq},
      {"output", "concat·W_oᵀ + b_o", {1, n, d}, seq},
  };
  for (auto& s : t.steps) s.axes += " = " + dims(s.shape);
}

}  // namespace

Mat softmax_rows(const Mat& s, std::vector<int>* fully_masked) {
  Mat p(s.rows(), s.cols());
  for (Eigen::Index r = 0; r < s.rows(); ++r) {
    const float m = s.row(r).maxCoeff();
    if (m == kNegInf) {  // nothing to attend to
      p.row(r).setZero();
      if (fully_masked) fully_masked->push_back(int(r));
      continue;
    }
    // Eigen's vectorised exp clamps its argument near −88, so exp(−inf) would
    // come out as 2.9e-39, not 0: blocked entries are set to 0 explicitly.
    const auto row = s.row(r).array();
    p.row(r) = (row == kNegInf).select(0.0f, (row - m).exp()).matrix();
    p.row(r) /= p.row(r).sum();
  }
  return p;
}

Trace run(const Config& cfg, const Inputs& in) {
  Trace t;
  const int n = int(in.tokens.size());
  t.n_q = t.n_kv = n;
  t.d_model = cfg.d_model;
  t.n_heads = cfg.n_heads;
  t.d_head = cfg.d_model / cfg.n_heads;
  t.scale = float(1.0 / std::sqrt(double(t.d_head)));
  t.tokens = in.tokens;
  t.n_text = in.n_text;
  t.x = in.x;

  // [SECTION] project: [n x d_model] each
  t.q_proj = apply(in.w_q, in.x);
  t.k_proj = apply(in.w_k, in.x);
  t.v_proj = apply(in.w_v, in.x);

  // [SECTION] masks: causal and key padding, combined as "both must allow"
  t.key_padding.assign(n, 0);
  for (int j = in.n_text; j < n; ++j) t.key_padding[j] = 1;
  t.allowed.resize(t.n_q, t.n_kv);
  for (int i = 0; i < t.n_q; ++i)
    for (int j = 0; j < t.n_kv; ++j) t.allowed(i, j) = !t.key_padding[j] && !(cfg.causal && j > i);

  // [SECTION] split into heads, attend
  // Head h owns columns [h·d_head, (h+1)·d_head) of the projection, which is
  // what view(n, heads, d_head).transpose gives in PyTorch.
  const int H = t.n_heads, dh = t.d_head;
  for (auto* v : {&t.q, &t.k, &t.v, &t.scores, &t.scaled_scores, &t.masked_scores, &t.weights, &t.context})
    v->resize(H);
  t.concat.resize(n, t.d_model);
  for (int h = 0; h < H; ++h) {
    t.q[h] = t.q_proj.middleCols(h * dh, dh);
    t.k[h] = t.k_proj.middleCols(h * dh, dh);
    t.v[h] = t.v_proj.middleCols(h * dh, dh);
    t.scores[h].noalias() = t.q[h] * t.k[h].transpose();  // [n_q x n_kv]
    t.scaled_scores[h] = t.scores[h] * t.scale;
    t.masked_scores[h] = t.allowed.cast<bool>().select(t.scaled_scores[h], kNegInf);
    t.weights[h] = softmax_rows(t.masked_scores[h], h == 0 ? &t.fully_masked_rows : nullptr);
    t.context[h].noalias() = t.weights[h] * t.v[h];  // [n_q x d_head]
    t.concat.middleCols(h * dh, dh) = t.context[h];
  }

  // [SECTION] output projection
  t.output = apply(in.w_o, t.concat);
  describe_steps(t);
  return t;
}

}  // namespace ap
