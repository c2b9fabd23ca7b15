// One head of scaled dot-product attention with every step kept: the kernel
// shared by the playground's layer (attention.h) and the ONNX-semantics
// operator (sdpa.h), so the conformance suite tests what the page shows.
#pragma once
#include <cstdint>
#include <vector>

#include "base/tensor.h"
#include "config/config.h"

namespace ap {

struct AttendOptions {
  float scale = 1;    // multiplies q·kᵀ (already divided by any temperature)
  float softcap = 0;  // > 0: s -> softcap·tanh(s / softcap), before the bias
  FullyMasked fully_masked = FullyMasked::Zero;
  float dropout = 0;            // probability of dropping a weight
  uint64_t dropout_stream = 0;  // seeds this head's dropout pattern
  // Skip the keys after each row's last allowed one (a causal mask's upper
  // triangle), as causal kernels do: their scores are left NaN ("not
  // computed"), masked scores −inf and weights 0, which is what they would be.
  bool skip_blocked = true;
  // The scores already in `out` are q·kᵀ of these same q and k (an
  // attention-only recompute keeps them): rows whose old key_limit covers the
  // new one reuse them instead of multiplying again, with the same bits.
  bool reuse_scores = false;
};

struct HeadTrace {
  Mat scores;   // [n_q x n_kv] q·kᵀ
  Mat scaled;   // scores · scale
  Mat capped;   // softcap·tanh(scaled / softcap); empty without softcap (see softcapped())
  Mat masked;   // softcapped() + bias: −inf where blocked
  Mat weights;  // softmax over keys; fully masked rows per the policy
  Eigen::VectorXf row_max,
      row_sum;  // [n_q] per row: the max subtracted and Σ exp(masked − max) (NaN when fully masked)
  Mat dropped;  // weights after dropout, survivors scaled by 1/(1 − p); empty when p = 0 (see after_dropout())
  Mat context;  // [n_q x d_v] after_dropout() · v
  std::vector<int> key_limit;  // [n_q] keys >= key_limit[r] were blocked and skipped (n_kv when nothing was skipped)

  // A step that changes nothing is not stored twice (a third of a trace's
  // memory at large sizes): these name the matrix that holds it.
  const Mat& softcapped() const { return capped.size() ? capped : scaled; }
  const Mat& after_dropout() const { return dropped.size() ? dropped : weights; }
  // Whether weight i (row-major) survived dropout: what the .npz exports as
  // dropout_keep (a weight of 0 counts as kept: dropping it changes nothing).
  bool kept(Eigen::Index i) const { return !dropped.size() || dropped.data()[i] != 0 || weights.data()[i] == 0; }
};

// q: [n_q x d]  k: [n_kv x d]  v: [n_kv x d_v]
// bias: [n_q x n_kv] additive: 0 where allowed, −inf where blocked, or any float.
// A row is fully masked when its bias is −inf everywhere (decided on the bias,
// not on the scores); such rows follow o.fully_masked. Returns their indices.
std::vector<int> attend(const Mat& q, const Mat& k, const Mat& v, const Mat& bias, const AttendOptions& o,
                        HeadTrace& out);

// attend() in slices of query rows and in two halves, for a caller that
// spreads a large head over frames and shows the weights before the rest
// (attention.h). attend_begin sizes `out`, finds each row's key limit and
// packs k once; attend_rows fills rows [r0, r1) of every step up to the
// weights (dropout included) and returns the fully masked rows among them.
// context_begin packs vᵀ once (given every fully masked row of the head);
// context_rows fills rows [r0, r1) of the context. attend() is all four over
// every row, so the results are the same bit for bit.
struct HeadOperands {
  std::vector<int> scored;  // [n_q] with reuse_scores: the keys whose scores `out` held (its old key_limit), else empty
  std::vector<float> k_strips;   // k packed for scores_prefix (gemm.h); empty when every row reuses its scores
  Mat vt;                        // [d_v x n_kv] vᵀ
  std::vector<float> vt_strips;  // vᵀ packed for context_prefix
  std::vector<int>
      context_limit;  // [n_q] key_limit, but every key for a fully masked row (its policy's weights need them)
};
void attend_begin(const Mat& q, const Mat& k, const Mat& bias, const AttendOptions& o, HeadTrace& out,
                  HeadOperands& ops);
std::vector<int> attend_rows(const Mat& q, const Mat& k, const Mat& bias, const AttendOptions& o,
                             const HeadOperands& ops, int r0, int r1, HeadTrace& out);
void context_begin(const Mat& v, const std::vector<int>& fully_masked_rows, HeadTrace& out, HeadOperands& ops);
void context_rows(const HeadOperands& ops, int r0, int r1, HeadTrace& out);

// What a fully masked row of n_kv weights becomes under a policy: 0, NaN or 1/n_kv.
float fully_masked_weight(FullyMasked policy, int n_kv);

// Whether dropout keeps weight (row, col) of a head's stream: a pure function
// of its arguments, so every run and every platform drops the same weights.
bool dropout_keeps(uint64_t stream, int64_t index, float p);

}  // namespace ap
