// The forward pass. Float32 throughout, as the browser runs it; the tests
// compare it with a float64 reference written as plain loops.
#include "layer/attention.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "base/rng.h"
#include "config/fields.h"
#include "kernels/gemm.h"
#include "layer/masks.h"

namespace ap {
namespace {

// n_q and n_kv for cost estimates: from the inputs when they are made, else
// from the config (tokenizing is not free at the smallest sizes).
std::pair<double, double> token_counts(const Config& cfg, const Inputs& in) {
  if (!in.kv_tokens.empty()) return {double(in.q_tokens.size()), double(in.kv_tokens.size())};
  const Sequences s = make_sequences(cfg);
  return {double(s.n_q()), double(s.n_kv())};
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
  t.pipeline = {
      {"x", "X = embedding + positional encoding", {1, n, d}, seq, 0},
      {"q_proj", "Q = X·W_qᵀ + b_q", {1, n, d}, seq, 1},
      {"k_proj",
       t.cross ? "K = X_kv·W_kᵀ + b_k   (likewise V)" : "K = X·W_kᵀ + b_k   (likewise V)",
       {1, m, hk * dh},
       "(batch, seq_kv, kv_heads·head_dim)",
       1},
      {"q_proj", "Q.view(1, n_q, heads, d_head)", {1, n, h, dh}, "(batch, seq, heads, head_dim)", 2, true},
      {"k_proj",
       "K.view(1, n_kv, kv_heads, d_head)   (likewise V)",
       {1, m, hk, dh},
       "(batch, seq_kv, kv_heads, head_dim)",
       2,
       true},
      {"q", "Q.transpose(1, 2)", {1, h, n, dh}, heads, 3},
      {"k", "K.transpose(1, 2)   (likewise V)", {1, hk, m, dh}, "(batch, kv_heads, seq_kv, head_dim)", 3},
      {"scores",
       hk == h ? "Q @ K.transpose(-2, -1)" : "Q @ K.transpose(-2, -1)  (query head h uses kv head h / group)",
       {1, h, n, m},
       attn,
       4},
      {"scaled_scores", "· scale / temperature   (scale = 1/√d_head)", {1, h, n, m}, attn, 4},
      {"softcapped_scores", "softcap · tanh(s / softcap)   (= s when off)", {1, h, n, m}, attn, 4},
      {"masked_scores", "+ bias   (−inf where a mask blocks)", {1, h, n, m}, attn, 4},
      {"weights", "softmax(·, dim=−1)", {1, h, n, m}, attn, 4},
      {"dropped_weights", "dropout(weights, p)   (= weights when p = 0)", {1, h, n, m}, attn, 4},
      {"context", "weights @ V", {1, h, n, dh}, heads, 4},
      {"concat",
       "context.transpose(1, 2).contiguous().view(1, n_q, d_model)   (.reshape does both)",
       {1, n, d},
       seq,
       5},
      {"output", "concat·W_oᵀ + b_o", {1, n, d}, seq, 6},
  };
  for (auto& s : t.pipeline) s.axes += " = " + dims(s.shape);
}

}  // namespace

bool same_projections(const Config& a, const Config& b) {
  for (const Field& f : config_fields_table())
    if (f.projections && !f.same(a, b)) return false;
  return true;
}

void plan_projections(const Config& cfg, const Inputs& in, Trace& t, Plan& plan) {
  // Planned when the inputs are ready (they may be pieces of the same plan);
  // the cost is estimated now.
  const auto [n_q, n_kv] = token_counts(cfg, in);
  const double d = cfg.d_model, d_kv = double(kv_heads(cfg)) * d_head(cfg);
  const double cost = 2 * (n_q * d * d + 2 * n_kv * d * d_kv) * kFlopCost + 5.0 * n_kv * d * kCopyCost;
  plan.add(cost, [&cfg, &in, &t, &plan] {
    t.n_q = int(in.q_tokens.size());
    t.n_kv = int(in.kv_tokens.size());
    t.d_model = cfg.d_model;
    t.n_heads = cfg.n_heads;
    t.n_kv_heads = kv_heads(cfg);
    t.group = t.n_heads / t.n_kv_heads;
    t.d_head = cfg.d_model / cfg.n_heads;
    t.cross = in.cross;
    t.q_position0 = in.q_position0;
    t.q_tokens = in.q_tokens;
    t.kv_tokens = in.kv_tokens;
    t.q_pad = in.q_pad;
    t.kv_pad = in.kv_pad;
    plan_copy_rows(plan, in.x_q, 0, int(in.x_q.rows()), t.x_q);
    plan_copy_rows(plan, in.x_kv, 0, int(in.x_kv.rows()), t.x_kv);
    // Q = X·W_qᵀ + b_q [n_q x d_model]; K, V [n_kv x n_kv_heads·d_head]; a slice of rows per piece.
    const auto rows = [&](Mat& out, const std::optional<Mat>& given, const Linear& w, const Mat& x) {
      if (given) {
        plan.add(double(given->size()), [&out, &given] { out = *given; });
        return;
      }
      out.resize(x.rows(), w.weight.rows());
      const double per_row = 2.0 * double(w.weight.size()) * kFlopCost;
      for_ranges(int(x.rows()), per_row, [&](int r0, int r1) {
        plan.add((r1 - r0) * per_row, [&out, &w, &x, r0, r1] {
          out.middleRows(r0, r1 - r0) = linear_forward(x.middleRows(r0, r1 - r0), w.weight, w.strips, w.bias);
        });
      });
    };
    rows(t.q_proj, in.q_proj, in.w_q, in.x_q);
    rows(t.k_proj, in.k_proj, in.w_k, in.x_kv);
    rows(t.v_proj, in.v_proj, in.w_v, in.x_kv);
    // Split into heads: head h owns columns [h·d_head, (h+1)·d_head), which is
    // what view(n, heads, d_head).transpose(1, 2) gives in PyTorch.
    t.q.resize(size_t(t.n_heads));
    t.k.resize(size_t(t.n_kv_heads));
    t.v.resize(size_t(t.n_kv_heads));
    for (int h = 0; h < t.n_heads; ++h)
      plan.add(double(t.n_q) * t.d_head * kCopyCost,
               [&t, h] { t.q[size_t(h)] = t.q_proj.middleCols(h * t.d_head, t.d_head); });
    for (int g = 0; g < t.n_kv_heads; ++g)
      plan.add(2.0 * t.n_kv * t.d_head * kCopyCost, [&t, g] {
        t.k[size_t(g)] = t.k_proj.middleCols(g * t.d_head, t.d_head);
        t.v[size_t(g)] = t.v_proj.middleCols(g * t.d_head, t.d_head);
      });
    plan.add(0, [&t] { describe_steps(t); });  // the shapes are settled here; attention-only edits keep them
  });
}

void plan_weights(const Config& cfg, const Inputs& in, Trace& t, Plan& plan) {
  const auto [n_q, n_kv] = token_counts(cfg, in);
  const double dh = cfg.d_model / cfg.n_heads;
  const double cost = n_q * n_kv * kCellCost + cfg.n_heads * (n_q + 1) * n_kv * (2 * dh * kFlopCost + kCellCost);
  plan.add(cost, [&cfg, &t, &plan] {
    t.outputs_ready = false;
    t.scale = cfg.scale > 0 ? float(cfg.scale) : float(1.0 / std::sqrt(double(t.d_head)));
    t.temperature = float(cfg.temperature);
    t.causal_offset = causal_offset(cfg, t.n_q, t.n_kv);
    t.bias.resize(t.n_q, t.n_kv);
    t.blocked_by.resize(t.n_q, t.n_kv);
    t.allowed.resize(t.n_q, t.n_kv);
    t.fully_masked_rows.clear();
    for_ranges(t.n_q, t.n_kv * kCellCost, [&](int r0, int r1) {
      plan.add((r1 - r0) * t.n_kv * kCellCost, [&cfg, &t, r0, r1] { build_mask_rows(cfg, r0, r1, t); });
    });

    // Head by head, a slice of query rows per piece; groups of query heads share a kv head (GQA).
    AttendOptions o;
    o.scale = t.scale / t.temperature;
    o.softcap = float(cfg.softcap);
    o.fully_masked = cfg.fully_masked;
    o.dropout = float(cfg.dropout);
    o.reuse_scores = true;  // t.heads holds nothing or, moved by projections_of, the scores of these q and k
    t.heads.resize(size_t(t.n_heads));
    const double per_row = t.n_kv * (2.0 * t.d_head * kFlopCost + kCellCost);
    for (int h = 0; h < t.n_heads; ++h) {
      o.dropout_stream = stream(cfg.seed, "dropout").next() + uint64_t(h) * 0x9E3779B97F4A7C15ull;
      const auto ops = std::make_shared<HeadOperands>();  // k packed, shared by this head's pieces
      const size_t g = size_t(h / t.group);
      plan.add(per_row,
               [&t, o, ops, h, g] { attend_begin(t.q[size_t(h)], t.k[g], t.bias, o, t.heads[size_t(h)], *ops); });
      for_ranges(t.n_q, per_row, [&](int r0, int r1) {
        plan.add((r1 - r0) * per_row, [&t, o, ops, h, g, r0, r1] {
          auto fully = attend_rows(t.q[size_t(h)], t.k[g], t.bias, o, *ops, r0, r1, t.heads[size_t(h)]);
          // The bias is shared, so every head agrees: head 0 records them.
          if (h == 0) t.fully_masked_rows.insert(t.fully_masked_rows.end(), fully.begin(), fully.end());
          if (r1 == t.n_q) *ops = {};  // done with them
        });
      });
    }
  });
}

void plan_outputs(const Config& cfg, const Inputs& in, Trace& t, Plan& plan) {
  const auto [n_q, n_kv] = token_counts(cfg, in);
  const double d = cfg.d_model, dh = cfg.d_model / cfg.n_heads;
  const double cost = cfg.n_heads * (n_q + 1) * n_kv * 2 * dh * kFlopCost + n_q * d + 2 * n_q * d * d * kFlopCost;
  plan.add(cost, [&in, &t, &plan] {
    t.concat.resize(t.n_q, t.d_model);
    const double per_row = t.n_kv * 2.0 * t.d_head * kFlopCost;
    for (int h = 0; h < t.n_heads; ++h) {
      const auto ops = std::make_shared<HeadOperands>();  // vᵀ packed, shared by this head's pieces
      const size_t g = size_t(h / t.group);
      plan.add(per_row, [&t, ops, h, g] { context_begin(t.v[g], t.fully_masked_rows, t.heads[size_t(h)], *ops); });
      for_ranges(t.n_q, per_row, [&](int r0, int r1) {
        plan.add((r1 - r0) * per_row, [&t, ops, h, r0, r1] {
          context_rows(*ops, r0, r1, t.heads[size_t(h)]);
          if (r1 == t.n_q) *ops = {};  // done with them
        });
      });
      plan.add(double(t.n_q) * t.d_head,
               [&t, h] { t.concat.middleCols(h * t.d_head, t.d_head) = t.heads[size_t(h)].context; });
    }
    // output = concat·W_oᵀ + b_o, a slice of rows per piece.
    t.output.resize(t.n_q, t.d_model);
    const double out_row = 2.0 * double(in.w_o.weight.size()) * kFlopCost;
    for_ranges(t.n_q, out_row, [&](int r0, int r1) {
      plan.add((r1 - r0) * out_row, [&in, &t, r0, r1] {
        t.output.middleRows(r0, r1 - r0) =
            linear_forward(t.concat.middleRows(r0, r1 - r0), in.w_o.weight, in.w_o.strips, in.w_o.bias);
      });
    });
    plan.add(0, [&t] { t.outputs_ready = true; });
  });
}

void project(const Config& cfg, const Inputs& in, Trace& t) {
  Plan plan;
  plan_projections(cfg, in, t, plan);
  plan.finish();
}

void attend_all(const Config& cfg, const Inputs& in, Trace& t) {
  Plan plan;
  plan_weights(cfg, in, t, plan);
  plan_outputs(cfg, in, t, plan);
  plan.finish();
}

Trace run(const Config& cfg, const Inputs& in) {
  Trace t;
  project(cfg, in, t);
  attend_all(cfg, in, t);
  return t;
}

}  // namespace ap
