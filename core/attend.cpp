// The attention kernel: see attend.h.
#include "attend.h"

#include <cmath>
#include <limits>

#include "gemm.h"
#include "rng.h"

namespace ap {

namespace {
constexpr float kNegInf = -std::numeric_limits<float>::infinity();
}

float fully_masked_weight(FullyMasked policy, int n_kv) {
  return policy == FullyMasked::Zero  ? 0.0f
         : policy == FullyMasked::NaN ? std::numeric_limits<float>::quiet_NaN()
                                      : 1.0f / float(n_kv);
}

bool dropout_keeps(uint64_t stream, int64_t index, float p) {
  if (p <= 0) return true;
  Rng rng(stream ^ (uint64_t(index) * 0xD1B54A32D192ED03ull));
  return rng.uniform() >= p;
}

std::vector<int> attend(const Mat& q, const Mat& k, const Mat& v, const Mat& bias, const AttendOptions& o,
                        HeadSteps& out) {
  const int n_q = int(q.rows()), n_kv = int(k.rows());
  // Each row's keys run to its last allowed one; what follows is blocked.
  out.key_limit.assign(size_t(n_q), n_kv);
  if (o.skip_blocked)
    for (int r = 0; r < n_q; ++r) {
      int& end = out.key_limit[size_t(r)];
      while (end > 0 && bias(r, end - 1) == kNegInf) --end;
    }
  const auto& limit = out.key_limit;

  // q·kᵀ is x·Wᵀ with k as the weight: the projection kernel does it (gemm.h).
  out.scores = scores_prefix(q, k, pack_panels(k), limit);
  out.scaled = out.scores * o.scale;
  if (o.softcap > 0)
    out.capped = (out.scaled.array() / o.softcap).tanh().matrix() * o.softcap;
  else
    out.capped = out.scaled;
  out.masked = out.capped + bias;  // x + (−inf) = −inf: blocked cells need no select
  for (int r = 0; r < n_q; ++r) out.masked.row(r).tail(n_kv - limit[size_t(r)]).setConstant(kNegInf);

  std::vector<int> fully;
  out.weights.resize(n_q, n_kv);
  out.row_max.resize(n_q);
  out.row_sum.resize(n_q);
  for (int r = 0; r < n_q; ++r) {
    const int end = limit[size_t(r)];
    if ((bias.row(r).head(end).array() == kNegInf).all()) {
      fully.push_back(r);
      out.weights.row(r).setConstant(fully_masked_weight(o.fully_masked, n_kv));
      out.row_max(r) = out.row_sum(r) = std::numeric_limits<float>::quiet_NaN();
      continue;
    }
    // Stable softmax over the computed keys: subtract the row's max. Eigen's
    // vectorised exp clamps its argument near −88, so exp(−inf) would be
    // 2.9e-39, not 0: blocked entries are set to exactly 0 by a select.
    const auto row = out.masked.row(r).head(end).array();
    const float m = row.maxCoeff();
    out.weights.row(r).head(end) = (row == kNegInf).select(0.0f, (row - m).exp()).matrix();
    out.weights.row(r).tail(n_kv - end).setZero();
    out.row_max(r) = m;
    out.row_sum(r) = out.weights.row(r).head(end).sum();
    out.weights.row(r).head(end) /= out.row_sum(r);
  }

  if (o.dropout > 0) {
    out.dropped.resize(n_q, n_kv);
    const float keep_scale = 1.0f / (1.0f - o.dropout);
    for (int r = 0; r < n_q; ++r)
      for (int c = 0; c < n_kv; ++c)
        out.dropped(r, c) = dropout_keeps(o.dropout_stream, int64_t(r) * n_kv + c, o.dropout) ? out.weights(r, c) * keep_scale : 0.0f;
  } else {
    out.dropped = out.weights;
  }
  // A fully masked row's weights follow the policy (NaN or 1/n_kv need every key).
  std::vector<int> context_limit = limit;
  for (int r : fully) context_limit[size_t(r)] = n_kv;
  const Mat vt = v.transpose();  // weights·v = weights·(vᵀ)ᵀ
  out.context = context_prefix(out.dropped, vt, pack_panels(vt), context_limit);
  return fully;
}

}  // namespace ap
