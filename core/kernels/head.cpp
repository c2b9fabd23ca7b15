// The attention kernel: see head.h.
#include "kernels/head.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/rng.h"
#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "kernels/plan.h"
#include "kernels/softmax.h"

namespace ap {

namespace {
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Rng::uniform() is k·2^-53 for the integer k = next() >> 11, so uniform() >= p
// exactly when k >= ceil(p·2^53): the same test without a double per cell.
uint64_t keep_threshold(float p) { return uint64_t(std::ceil(double(p) * 0x1p53)); }
bool keeps(uint64_t stream, int64_t index, uint64_t threshold) {
  Rng rng(stream ^ (uint64_t(index) * 0xD1B54A32D192ED03ull));
  return (rng.next() >> 11) >= threshold;
}
// Whether rows [r0, r1) hold the scores they need already (reuse_scores).
bool covered(const HeadOperands& ops, const std::vector<int>& limit, int r0, int r1) {
  if (ops.scored.empty()) return false;
  for (int r = r0; r < r1; ++r)
    if (ops.scored[size_t(r)] < limit[size_t(r)]) return false;
  return true;
}
}  // namespace

float fully_masked_weight(FullyMasked policy, int n_kv) {
  return policy == FullyMasked::Zero  ? 0.0f
         : policy == FullyMasked::NaN ? std::numeric_limits<float>::quiet_NaN()
                                      : 1.0f / float(n_kv);
}

bool dropout_keeps(uint64_t stream, int64_t index, float p) {
  return p <= 0 || keeps(stream, index, keep_threshold(p));
}

void attend_begin(const Mat& q, const Mat& k, const Mat& bias, const AttendOptions& o, HeadTrace& out,
                  HeadOperands& ops) {
  const int n_q = int(q.rows()), n_kv = int(k.rows());
  ops.scored.clear();
  if (o.reuse_scores && out.scores.rows() == n_q && out.scores.cols() == n_kv && out.key_limit.size() == size_t(n_q))
    ops.scored = out.key_limit;
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
  // on k packed once per head, unless every row has its scores already.
  if (!covered(ops, out.key_limit, 0, n_q)) ops.k_strips = pack_strips(k);
}

std::vector<int> attend_rows(const Mat& q, const Mat& k, const Mat& bias, const AttendOptions& o,
                             const HeadOperands& ops, int r0, int r1, HeadTrace& out) {
  const int n_kv = int(k.rows());
  const auto& limit = out.key_limit;
  const bool fresh = !covered(ops, limit, r0, r1);
  if (!fresh) {  // reused: only what the new limits leave out becomes "not computed"
    for (int r = r0; r < r1; ++r)
      std::fill(out.scores.data() + size_t(r) * n_kv + limit[size_t(r)],
                out.scores.data() + size_t(r) * n_kv + ops.scored[size_t(r)], std::numeric_limits<float>::quiet_NaN());
  }
  constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
  std::vector<uint8_t> row_fully(size_t(r1 - r0), 0);
  // Row by row, so that any slicing of the rows gives the same bits (Eigen's
  // vectorised tanh rounds differently at a packet's edge); threads share
  // the rows. Plain loops over contiguous floats: the compilers vectorise
  // them (SSE natively, SIMD128 in wasm).
  const auto rows = [&](int a, int b) {
    for (int r = r0 + a; r < r0 + b; ++r) {
      // Only the computed keys [0, end) cost work; the skipped tail is filled.
      const int end = limit[size_t(r)];
      const size_t at = size_t(r) * size_t(n_kv);  // row r of every [n_q x n_kv] step
      const float* score = out.scores.data() + at;
      const float* b_row = bias.data() + at;
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
      for (int c = 0; c < end; ++c) masked[c] = capped[c] + b_row[c];
      std::fill(scaled + end, scaled + n_kv, kNaN);
      std::fill(masked + end, masked + n_kv, kNegInf);

      const bool fully_masked = std::all_of(b_row, b_row + end, [](float x) { return x == kNegInf; });
      if (fully_masked) {
        row_fully[size_t(r - r0)] = 1;
        std::fill(w, w + n_kv, fully_masked_weight(o.fully_masked, n_kv));
        out.row_max(r) = out.row_sum(r) = kNaN;
      } else {
        const SoftmaxStats st = softmax_row(masked, end, w);  // stable: exp(x − max)
        std::fill(w + end, w + n_kv, 0.0f);
        out.row_max(r) = st.max;
        out.row_sum(r) = st.sum;
      }

      if (o.dropout > 0) {
        // Past `end` a weight is 0 and stays 0 (a fully masked row's policy fills every key).
        const float keep_scale = 1.0f / (1.0f - o.dropout);
        const uint64_t threshold = keep_threshold(o.dropout);
        const int stop = fully_masked ? n_kv : end;
        float* dropped = out.dropped.data() + at;
        for (int c = 0; c < stop; ++c)
          dropped[c] = keeps(o.dropout_stream, int64_t(r) * n_kv + c, threshold) ? w[c] * keep_scale : 0.0f;
        std::fill(dropped + stop, dropped + n_kv, 0.0f);
      }
    }
  };
  // Each task makes its rows' scores and then every step after them, while
  // the rows are still in cache; its slices start whole blocks after r0, so
  // the scores have the bits of one product over [r0, r1).
  const double per_row = n_kv * (kCellCost + (fresh ? 2.0 * double(q.cols()) * kFlopCost : 0.0));
  parallel_ranges(r1 - r0, per_row, fresh ? prefix_block_rows(ops.k_strips) : 1, [&](int a, int b) {
    if (fresh) scores_prefix(q, k, ops.k_strips, limit, r0 + a, r0 + b, out.scores);  // inline: inside a task
    rows(a, b);
  });
  std::vector<int> fully;
  for (int r = r0; r < r1; ++r)
    if (row_fully[size_t(r - r0)]) fully.push_back(r);
  return fully;
}

void context_begin(const Mat& v, const std::vector<int>& fully_masked_rows, HeadTrace& out, HeadOperands& ops) {
  out.context.resize(out.weights.rows(), v.cols());
  // weights·v is weights·(vᵀ)ᵀ: the projection kernel again, vᵀ as the weight.
  ops.vt = v.transpose();
  ops.vt_strips = pack_strips(ops.vt);
  ops.context_limit = out.key_limit;
  for (int r : fully_masked_rows) ops.context_limit[size_t(r)] = int(v.rows());
}

void context_rows(const HeadOperands& ops, int r0, int r1, HeadTrace& out) {
  context_prefix(out.after_dropout(), ops.vt, ops.vt_strips, ops.context_limit, r0, r1, out.context);
}

std::vector<int> attend(const Mat& q, const Mat& k, const Mat& v, const Mat& bias, const AttendOptions& o,
                        HeadTrace& out) {
  HeadOperands ops;
  attend_begin(q, k, bias, o, out, ops);
  const int n_q = int(q.rows());
  std::vector<int> fully = attend_rows(q, k, bias, o, ops, 0, n_q, out);
  context_begin(v, fully, out, ops);
  context_rows(ops, 0, n_q, out);
  return fully;
}

}  // namespace ap
