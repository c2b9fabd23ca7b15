// The forward pass. Float32 throughout, as the browser runs it; the tests
// compare it with a float64 reference written as plain loops.
#include "attention.h"

#include <cmath>
#include <cstdlib>
#include <limits>

#include "gemm.h"
#include "rng.h"

namespace ap {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// x: [n x d_in] -> [n x d_out]
Mat apply(const Linear& l, const Mat& x) { return linear_forward(x, l.weight, l.panels, l.bias); }

// Folds every mask of the config into the additive bias, recording why each
// blocked cell is blocked.
void build_bias(const Config& cfg, const Inputs& in, Trace& t) {
  t.bias.resize(t.n_q, t.n_kv);
  t.blocked_by.resize(t.n_q, t.n_kv);
  for (int i = 0; i < t.n_q; ++i)
    for (int j = 0; j < t.n_kv; ++j) {
      const int diagonal = i + t.causal_offset;  // the key "at" query i's position
      uint8_t why = 0;
      if (cfg.causal && j > diagonal) why |= kBlockCausal;
      if (cfg.window > 0 && (cfg.causal ? diagonal - j : std::abs(diagonal - j)) >= cfg.window) why |= kBlockWindow;
      if (cfg.mask_pad_keys && in.kv_pad[j]) why |= kBlockKeyPad;
      if (cfg.mask_pad_queries && in.q_pad[i]) why |= kBlockQueryPad;
      if (!cfg.custom_mask.empty() && !cfg.custom_mask[i][j]) why |= kBlockCustom;
      const float extra = cfg.float_mask.empty() ? 0.0f : cfg.float_mask[i][j];
      if (extra == kNegInf) why |= kBlockFloatMask;
      t.blocked_by(i, j) = why;
      t.bias(i, j) = why ? kNegInf : extra;
    }
  t.allowed = (t.bias.array() > kNegInf).cast<uint8_t>();
}

std::string dims(const std::vector<int>& s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + ")";
}

void describe_steps(Trace& t) {
  const int n = t.n_q, m = t.n_kv, d = t.d_model, h = t.n_heads, hk = t.n_kv_heads, dh = t.d_head;
  const std::string seq = "(batch, seq, d_model)", heads = "(batch, heads, seq, head_dim)",
                    attn = "(batch, heads, seq_q, seq_kv)";
  t.steps = {
      {"x", "X = embedding + positional encoding", {1, n, d}, seq},
      {"q_proj", "Q = X·W_qᵀ + b_q", {1, n, d}, seq},
      {"k_proj", t.cross ? "K = X_kv·W_kᵀ + b_k   (likewise V)" : "K = X·W_kᵀ + b_k   (likewise V)", {1, m, hk * dh},
       "(batch, seq_kv, kv_heads·head_dim)"},
      {"q", "Q.view(1, n_q, heads, d_head).transpose(1, 2)", {1, h, n, dh}, heads},
      {"k", "K.view(1, n_kv, kv_heads, d_head).transpose(1, 2)", {1, hk, m, dh}, "(batch, kv_heads, seq_kv, head_dim)"},
      {"scores", hk == h ? "Q·Kᵀ" : "Q·Kᵀ (query head h uses kv head h / group)", {1, h, n, m}, attn},
      {"scaled_scores", "Q·Kᵀ · scale / temperature", {1, h, n, m}, attn},
      {"softcapped_scores", "softcap · tanh(s / softcap)  (= s when off)", {1, h, n, m}, attn},
      {"masked_scores", "s + bias  (−inf where a mask blocks)", {1, h, n, m}, attn},
      {"weights", "softmax(·, dim=−1)", {1, h, n, m}, attn},
      {"dropped_weights", "dropout(weights, p)  (= weights when p = 0)", {1, h, n, m}, attn},
      {"context", "weights·V", {1, h, n, dh}, heads},
      {"concat", "context.transpose(1, 2).reshape(1, n_q, d_model)", {1, n, d}, seq},
      {"output", "concat·W_oᵀ + b_o", {1, n, d}, seq},
  };
  for (auto& s : t.steps) s.axes += " = " + dims(s.shape);
}

}  // namespace

bool same_projections(const Config& a, const Config& b) {
  return a.text == b.text && a.cross_text == b.cross_text && a.pad_to == b.pad_to && a.d_model == b.d_model &&
         a.n_heads == b.n_heads && a.n_kv_heads == b.n_kv_heads && a.seed == b.seed && a.bias == b.bias &&
         a.positional == b.positional && a.kv_cache == b.kv_cache && a.weights == b.weights;
}

void project(const Config& cfg, const Inputs& in, Trace& t) {
  t.n_q = int(in.q_tokens.size());
  t.n_kv = int(in.kv_tokens.size());
  t.d_model = cfg.d_model;
  t.n_heads = cfg.n_heads;
  t.n_kv_heads = cfg.n_kv_heads ? cfg.n_kv_heads : cfg.n_heads;
  t.group = t.n_heads / t.n_kv_heads;
  t.d_head = cfg.d_model / cfg.n_heads;
  t.cross = in.cross;
  t.q_position0 = in.q_position0;
  t.q_tokens = in.q_tokens;
  t.kv_tokens = in.kv_tokens;
  t.q_pad = in.q_pad;
  t.kv_pad = in.kv_pad;
  t.x_q = in.x_q;
  t.x_kv = in.x_kv;

  t.q_proj = in.q_proj ? *in.q_proj : apply(in.w_q, in.x_q);    // [n_q x d_model]
  t.k_proj = in.k_proj ? *in.k_proj : apply(in.w_k, in.x_kv);   // [n_kv x n_kv_heads·d_head]
  t.v_proj = in.v_proj ? *in.v_proj : apply(in.w_v, in.x_kv);

  // Split into heads: head h owns columns [h·d_head, (h+1)·d_head), which is
  // what view(n, heads, d_head).transpose(1, 2) gives in PyTorch.
  const int dh = t.d_head;
  t.q.resize(t.n_heads);
  t.k.resize(t.n_kv_heads);
  t.v.resize(t.n_kv_heads);
  for (int h = 0; h < t.n_heads; ++h) t.q[h] = t.q_proj.middleCols(h * dh, dh);
  for (int g = 0; g < t.n_kv_heads; ++g) {
    t.k[g] = t.k_proj.middleCols(g * dh, dh);
    t.v[g] = t.v_proj.middleCols(g * dh, dh);
  }
  describe_steps(t);  // the shapes are settled here; attention-only edits keep them
}

void attend_all(const Config& cfg, const Inputs& in, Trace& t) {
  t.scale = cfg.scale > 0 ? float(cfg.scale) : float(1.0 / std::sqrt(double(t.d_head)));
  t.temperature = float(cfg.temperature);
  t.causal_offset = causal_offset(cfg, t.n_q, t.n_kv);
  build_bias(cfg, in, t);

  // Head by head; groups of query heads share a kv head (GQA).
  const int dh = t.d_head;
  AttendOptions o;
  o.scale = t.scale / t.temperature;
  o.softcap = float(cfg.softcap);
  o.fully_masked = cfg.fully_masked;
  o.dropout = float(cfg.dropout);
  t.heads.resize(t.n_heads);
  t.concat.resize(t.n_q, t.d_model);
  for (int h = 0; h < t.n_heads; ++h) {
    o.dropout_stream = stream(cfg.seed, "dropout").next() + uint64_t(h) * 0x9E3779B97F4A7C15ull;
    const int g = h / t.group;
    auto fully = attend(t.q[h], t.k[g], t.v[g], t.bias, o, t.heads[h]);
    if (h == 0) t.fully_masked_rows = std::move(fully);  // the bias is shared, so every head agrees
    t.concat.middleCols(h * dh, dh) = t.heads[h].context;
  }

  t.output = apply(in.w_o, t.concat);
}

Trace run(const Config& cfg, const Inputs& in) {
  Trace t;
  project(cfg, in, t);
  attend_all(cfg, in, t);
  return t;
}

}  // namespace ap
