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

void attend_begin(const Mat& q, const Mat& k, const Mat& v, const Mat& bias, const AttendOptions& o, HeadSteps& out,
                  HeadOperands& ops) {
  const int n_q = int(q.rows()), n_kv = int(k.rows());
  // Each row's keys run to its last allowed one; what follows is blocked.
  out.key_limit.assign(size_t(n_q), n_kv);
  if (o.skip_blocked)
    for (int r = 0; r < n_q; ++r) {
      int& end = out.key_limit[size_t(r)];
      while (end > 0 && bias(r, end - 1) == kNegInf) --end;
    }
  for (Mat* m : {&out.scores, &out.scaled, &out.capped, &out.masked, &out.weights}) m->resize(n_q, n_kv);
  out.dropped.resize(n_q, n_kv);
  out.context.resize(n_q, v.cols());
  out.row_max.resize(n_q);
  out.row_sum.resize(n_q);
  // q·kᵀ is x·Wᵀ with k as the weight, and weights·v is weights·(vᵀ)ᵀ: the
  // projection kernel does both (gemm.h) on operands packed once per head.
  ops.vt = v.transpose();
  ops.k_panels = pack_panels(k);
  ops.vt_panels = pack_panels(ops.vt);
}

std::vector<int> attend_rows(const Mat& q, const Mat& k, const Mat& bias, const AttendOptions& o, const HeadOperands& ops,
                             int r0, int r1, HeadSteps& out) {
  const int n_kv = int(k.rows());
  const auto& limit = out.key_limit;
  scores_prefix(q, k, ops.k_panels, limit, r0, r1, out.scores);
  std::vector<int> fully;
  // Row by row, so that any slicing of the rows gives the same bits (Eigen's
  // vectorised tanh and exp round differently at a packet's edge).
  for (int r = r0; r < r1; ++r) {
    // Only the computed keys [0, end) cost work; the skipped tail is filled.
    const int end = limit[size_t(r)], tail = n_kv - end;
    constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
    out.scaled.row(r).head(end) = out.scores.row(r).head(end) * o.scale;
    if (o.softcap > 0)
      out.capped.row(r).head(end) = (out.scaled.row(r).head(end).array() / o.softcap).tanh().matrix() * o.softcap;
    else
      out.capped.row(r).head(end) = out.scaled.row(r).head(end);
    // x + (−inf) = −inf: blocked cells need no select.
    out.masked.row(r).head(end) = out.capped.row(r).head(end) + bias.row(r).head(end);
    out.scaled.row(r).tail(tail).setConstant(kNaN);
    out.capped.row(r).tail(tail).setConstant(kNaN);
    out.masked.row(r).tail(tail).setConstant(kNegInf);

    if ((bias.row(r).head(end).array() == kNegInf).all()) {
      fully.push_back(r);
      out.weights.row(r).setConstant(fully_masked_weight(o.fully_masked, n_kv));
      out.row_max(r) = out.row_sum(r) = std::numeric_limits<float>::quiet_NaN();
    } else {
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
      const float keep_scale = 1.0f / (1.0f - o.dropout);
      for (int c = 0; c < n_kv; ++c)
        out.dropped(r, c) = dropout_keeps(o.dropout_stream, int64_t(r) * n_kv + c, o.dropout) ? out.weights(r, c) * keep_scale : 0.0f;
    } else {
      out.dropped.row(r) = out.weights.row(r);
    }
  }
  // A fully masked row's weights follow the policy (NaN or 1/n_kv need every key).
  std::vector<int> context_limit;
  const std::vector<int>* cl = &limit;
  if (!fully.empty()) {
    context_limit = limit;
    for (int r : fully) context_limit[size_t(r)] = n_kv;
    cl = &context_limit;
  }
  context_prefix(out.dropped, ops.vt, ops.vt_panels, *cl, r0, r1, out.context);
  return fully;
}

std::vector<int> attend(const Mat& q, const Mat& k, const Mat& v, const Mat& bias, const AttendOptions& o,
                        HeadSteps& out) {
  HeadOperands ops;
  attend_begin(q, k, v, bias, o, out, ops);
  return attend_rows(q, k, bias, o, ops, 0, int(q.rows()), out);
}

}  // namespace ap
