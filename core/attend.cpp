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
  const Eigen::Index n_q = q.rows(), n_kv = k.rows();
  // q·kᵀ is x·Wᵀ with k as the weight: the projection kernel does it (gemm.h).
  const RowVec none;
  out.scores = linear_forward(q, k, pack_panels(k), none);
  out.scaled = out.scores * o.scale;
  if (o.softcap > 0)
    out.capped = (out.scaled.array() / o.softcap).tanh().matrix() * o.softcap;
  else
    out.capped = out.scaled;
  out.masked = out.capped + bias;  // x + (−inf) = −inf: blocked cells need no select

  std::vector<int> fully;
  out.weights.resize(n_q, n_kv);
  out.row_max.resize(n_q);
  out.row_sum.resize(n_q);
  for (Eigen::Index r = 0; r < n_q; ++r) {
    const auto row = out.masked.row(r).array();
    if ((bias.row(r).array() == kNegInf).all()) {
      fully.push_back(int(r));
      out.weights.row(r).setConstant(fully_masked_weight(o.fully_masked, int(n_kv)));
      out.row_max(r) = out.row_sum(r) = std::numeric_limits<float>::quiet_NaN();
      continue;
    }
    // Stable softmax: subtract the row's max. Eigen's vectorised exp clamps its
    // argument near −88, so exp(−inf) would be 2.9e-39, not 0: blocked entries
    // are set to exactly 0 by a select.
    const float m = row.maxCoeff();
    out.weights.row(r) = (row == kNegInf).select(0.0f, (row - m).exp()).matrix();
    out.row_max(r) = m;
    out.row_sum(r) = out.weights.row(r).sum();
    out.weights.row(r) /= out.row_sum(r);
  }

  if (o.dropout > 0) {
    out.dropped.resize(n_q, n_kv);
    const float keep_scale = 1.0f / (1.0f - o.dropout);
    for (Eigen::Index r = 0; r < n_q; ++r)
      for (Eigen::Index c = 0; c < n_kv; ++c)
        out.dropped(r, c) = dropout_keeps(o.dropout_stream, r * n_kv + c, o.dropout) ? out.weights(r, c) * keep_scale : 0.0f;
  } else {
    out.dropped = out.weights;
  }
  const Mat vt = v.transpose();  // weights·v = weights·(vᵀ)ᵀ
  out.context = linear_forward(out.dropped, vt, pack_panels(vt), none);
  return fully;
}

}  // namespace ap
