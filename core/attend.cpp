// The attention kernel: see attend.h.
#include "attend.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "gemm.h"
#include "rng.h"
#include "softmax.h"

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

void attend_begin(const Mat& q, const Mat& k, const Mat& bias, const AttendOptions& o, HeadSteps& out, HeadOperands& ops) {
  const int n_q = int(q.rows()), n_kv = int(k.rows());
  // Each row's keys run to its last allowed one; what follows is blocked.
  out.key_limit.assign(size_t(n_q), n_kv);
  if (o.skip_blocked)
    for (int r = 0; r < n_q; ++r) {
      int& end = out.key_limit[size_t(r)];
      while (end > 0 && bias(r, end - 1) == kNegInf) --end;
    }
  for (Mat* m : {&out.scores, &out.scaled, &out.masked, &out.weights}) m->resize(n_q, n_kv);
  out.capped.resize(o.softcap > 0 ? n_q : 0, o.softcap > 0 ? n_kv : 0);
  out.dropped.resize(o.dropout > 0 ? n_q : 0, o.dropout > 0 ? n_kv : 0);
  out.row_max.resize(n_q);
  out.row_sum.resize(n_q);
  // q·kᵀ is x·Wᵀ with k as the weight: the projection kernel does it (gemm.h)
  // on k packed once per head.
  ops.k_panels = pack_panels(k);
}

std::vector<int> attend_rows(const Mat& q, const Mat& k, const Mat& bias, const AttendOptions& o, const HeadOperands& ops,
                             int r0, int r1, HeadSteps& out) {
  const int n_kv = int(k.rows());
  const auto& limit = out.key_limit;
  scores_prefix(q, k, ops.k_panels, limit, r0, r1, out.scores);
  std::vector<int> fully;
  constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
  // Row by row, so that any slicing of the rows gives the same bits (Eigen's
  // vectorised tanh rounds differently at a packet's edge). Plain loops over
  // contiguous floats: the compilers vectorise them (SSE natively, SIMD128 in wasm).
  for (int r = r0; r < r1; ++r) {
    // Only the computed keys [0, end) cost work; the skipped tail is filled.
    const int end = limit[size_t(r)];
    const size_t at = size_t(r) * size_t(n_kv);  // row r of every [n_q x n_kv] step
    const float* score = out.scores.data() + at;
    const float* b = bias.data() + at;
    float* scaled = out.scaled.data() + at;
    float* masked = out.masked.data() + at;
    float* w = out.weights.data() + at;
    for (int c = 0; c < end; ++c) scaled[c] = score[c] * o.scale;
    const float* capped = scaled;
    if (o.softcap > 0) {
      out.capped.row(r).head(end) = (out.scaled.row(r).head(end).array() / o.softcap).tanh().matrix() * o.softcap;
      out.capped.row(r).tail(n_kv - end).setConstant(kNaN);
      capped = out.capped.data() + at;
    }
    // x + (−inf) = −inf: blocked cells need no select.
    for (int c = 0; c < end; ++c) masked[c] = capped[c] + b[c];
    std::fill(scaled + end, scaled + n_kv, kNaN);
    std::fill(masked + end, masked + n_kv, kNegInf);

    if (std::all_of(b, b + end, [](float x) { return x == kNegInf; })) {
      fully.push_back(r);
      std::fill(w, w + n_kv, fully_masked_weight(o.fully_masked, n_kv));
      out.row_max(r) = out.row_sum(r) = kNaN;
    } else {
      const SoftmaxStats st = softmax_row(masked, end, w);  // stable: exp(x − max)
      std::fill(w + end, w + n_kv, 0.0f);
      out.row_max(r) = st.max;
      out.row_sum(r) = st.sum;
    }

    if (o.dropout > 0) {
      const float keep_scale = 1.0f / (1.0f - o.dropout);
      for (int c = 0; c < n_kv; ++c)
        out.dropped(r, c) = dropout_keeps(o.dropout_stream, int64_t(r) * n_kv + c, o.dropout) ? w[c] * keep_scale : 0.0f;
    }
  }
  return fully;
}

void context_begin(const Mat& v, const std::vector<int>& fully_masked_rows, HeadSteps& out, HeadOperands& ops) {
  out.context.resize(out.weights.rows(), v.cols());
  // weights·v is weights·(vᵀ)ᵀ: the projection kernel again, vᵀ as the weight.
  ops.vt = v.transpose();
  ops.vt_panels = pack_panels(ops.vt);
  ops.context_limit = out.key_limit;
  for (int r : fully_masked_rows) ops.context_limit[size_t(r)] = int(v.rows());
}

void context_rows(const HeadOperands& ops, int r0, int r1, HeadSteps& out) {
  context_prefix(out.after_dropout(), ops.vt, ops.vt_panels, ops.context_limit, r0, r1, out.context);
}

std::vector<int> attend(const Mat& q, const Mat& k, const Mat& v, const Mat& bias, const AttendOptions& o,
                        HeadSteps& out) {
  HeadOperands ops;
  attend_begin(q, k, bias, o, out, ops);
  const int n_q = int(q.rows());
  std::vector<int> fully = attend_rows(q, k, bias, o, ops, 0, n_q, out);
  context_begin(v, fully, out, ops);
  context_rows(ops, 0, n_q, out);
  return fully;
}

}  // namespace ap
