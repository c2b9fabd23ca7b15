// Numbers derived from a Trace or from sizes alone, for the learning panels:
// per-head statistics, head similarity, parameter/FLOP/memory costs, the
// scaling-lab curves, and strides of view/transpose/contiguous. The views
// show these; they compute none of them.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/tensor.h"
#include "kernels/head.h"
#include "kernels/plan.h"
#include "layer/trace.h"

namespace ap {

// [SECTION] colour ranges: the largest finite value, or magnitude, of some numbers (0 if none)

float max_finite(const float* v, size_t n);
// A matrix shrunk for display to at most max_rows x max_cols by the largest
// finite value of each block (NaN only where a block holds nothing else), so a
// sharp peak survives; `m` itself when it already fits. By magnitude: the
// value of the largest magnitude, with its sign (for signed tensors). A mask
// shrinks by "any".
Mat pool_max(const Mat& m, int max_rows, int max_cols, bool by_magnitude = false);
MaskMat pool_any(const MaskMat& m, int max_rows, int max_cols);

// The largest finite weight of a head, max_finite(weights), in O(n_q): a
// softmax row's largest weight is exp(0) / row_sum; a fully masked row holds
// its policy's constant.
float max_weight(const HeadTrace& h);
// Whether any weight of a head is NaN, in O(n_q): a NaN score makes its whole
// row NaN (row_sum too), and the NaN policy fills fully masked rows with it.
bool has_nan_weight(const HeadTrace& h);
float max_abs_finite(const float* v, size_t n);

// The cells of a weights map drawn as values, [n_q x n_kv] (the others are
// hatched as blocked): the allowed ones, and every cell of a fully masked
// row, where the policy's weights (0, NaN or uniform) are what a learner
// needs to see.
MaskMat weight_cells_shown(const Trace& t);

// [SECTION] heads

struct HeadStats {
  double entropy = 0;     // mean over rows of −Σ p log p (nats); rows with no key are skipped
  double max_weight = 0;  // mean over rows of the largest weight
  double distance = 0;    // mean over rows of Σ_j p_j · |pos_q − pos_k| (tokens)
};

// Shannon entropy of one row of weights, in nats (0·log 0 = 0).
double row_entropy(const float* p, int n);
// The entropy of uniform attention under the trace's masks, the baseline a
// head's entropy compares with: the mean over query rows of log(the keys the
// row may attend to), leaving out fully masked rows as the head statistics
// do. Without masks this is log n_kv.
double uniform_entropy(const Trace& t);

struct HeadAnalysis {
  std::vector<HeadStats> stats;  // [n_heads]; positions: query i at q_position0 + i (self-attention), key j at j
  double uniform_entropy = 0;    // uniform_entropy(t): the baseline of stats[h].entropy
  Mat similarity;                // [n_heads x n_heads] cosine similarity of two heads' weight matrices, flattened
  bool done = false;             // set by the plan's last piece
};
// Every head's statistics and their similarity, as pieces of a plan over
// slices of query rows (plan.h), so that the page can spread 25 heads of
// 1024 x 1024 over frames. t and out must outlive the pieces, and t must not
// change while they run.
void plan_head_analysis(const Trace& t, HeadAnalysis& out, Plan& plan);
// The same at once.
HeadAnalysis analyse_heads(const Trace& t);

// [SECTION] costs of one attention layer

struct LayerCosts {
  int64_t params = 0;  // W_q, W_k, W_v, W_o with biases
  int64_t flops = 0;   // multiply-adds count 2, softmax 5 per score
  int64_t flops_projections = 0, flops_attention = 0;
  int64_t bytes_weights = 0;      // float32
  int64_t bytes_scores = 0;       // one [n_heads, n_q, n_kv] float32 tensor
  int64_t bytes_activations = 0;  // Q, K, V, context, output (float32)
};
LayerCosts layer_costs(int64_t n_q, int64_t n_kv, int64_t d_model, int64_t n_heads, int64_t n_kv_heads, bool bias);

// Which masks a model's attention uses: an encoder sees both ways, a decoder
// only back (causal); an encoder-decoder has both and cross-attention.
enum class Stack { Encoder, Decoder, EncoderDecoder };

struct SizePreset {
  const char* name;
  int d_model, n_heads;
  int n_layer;  // layers of each stack: an encoder-decoder has this many of each
  int context;
  double total_params;  // as published, for comparison with blocks x per-block attention
  Stack stack;
  const char* note;
  // Attention blocks in the model: one per layer, and an encoder-decoder's
  // decoder layers have two (self- and cross-attention).
  int attention_blocks() const { return stack == Stack::EncoderDecoder ? 3 * n_layer : n_layer; }
};
const std::vector<SizePreset>& size_presets();

// [SECTION] scaling lab: why divide by √d_k

struct ScalingPoint {
  int d_head = 0;
  double entropy_scaled = 0, entropy_unscaled = 0;  // nats; uniform is log(n_keys)
  double max_weight_scaled = 0, max_weight_unscaled = 0;
  double jacobian_scaled = 0, jacobian_unscaled = 0;  // Frobenius norm of ∂softmax/∂scores
};
// The raw scores q·k for d_head = 1, 2, 4, ... 1024: q and k with N(0, 1)
// entries, n_keys keys, `trials` queries from the seed (each q drawn, each
// q·k drawn from its exact distribution given q). Drawn once; the curves for
// a temperature are cheap.
struct ScalingSamples {
  std::vector<int> d_head;                 // [11]
  std::vector<std::vector<float>> scores;  // [11][trials · n_keys]
  int n_keys = 0, trials = 0;
};
ScalingSamples scaling_samples(uint32_t seed, int n_keys, int trials);
// Scores divided by √d_head (scaled) or not, then by the temperature; averaged over the trials.
std::vector<ScalingPoint> scaling_curves(const ScalingSamples& samples, double temperature);
// ‖diag(p) − p pᵀ‖_F for one softmax output p.
double softmax_jacobian_norm(const float* p, int n);

// [SECTION] memory layout

// Row-major strides of a contiguous tensor of this shape (in elements).
std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& shape);

struct LayoutStep {
  std::string code;                     // e.g. "q.view(1, n, 4, 16)"
  std::vector<int64_t> shape, strides;  // strides empty: PyTorch refuses the step (a .view of this memory)
  bool contiguous = false;
};
// The strides .view(new_shape) gives a tensor of this shape and these
// strides, or nullopt where PyTorch raises "view size is not compatible with
// input tensor's size and stride": a view may merge or split only axes that
// step through memory evenly. (PyTorch's rule, written from its description.)
std::optional<std::vector<int64_t>> view_strides(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides,
                                                 const std::vector<int64_t>& new_shape);
// Before attention, the split: q (1, n, d_model) -> .view(1, n, n_heads, d_head) -> .transpose(1, 2),
// read by the attention as it is (matmul takes any strides).
std::vector<LayoutStep> head_split_layout(int64_t n, int64_t d_model, int64_t n_heads);
// After it, the merge: context (1, n_heads, n, d_head) -> .transpose(1, 2), whose .view(1, n, d_model)
// fails -> .contiguous() copies -> .view(1, n, d_model) works.
std::vector<LayoutStep> head_merge_layout(int64_t n, int64_t d_model, int64_t n_heads);
// Flat memory offsets of a strided tensor, in logical (row-major index) order.
std::vector<int64_t> memory_offsets(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides);

}  // namespace ap
