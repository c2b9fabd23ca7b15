// The Trace: every intermediate of one multi-head attention forward pass,
// named, with its shape. Views and the JS API read it; none recomputes maths.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "base/tensor.h"
#include "kernels/head.h"
#include "layer/masks.h"

namespace ap {

// One step of the pipeline as a learner meets it in PyTorch code.
struct PipelineStep {
  std::string name;        // the tensor name find_tensor() knows
  std::string formula;     // e.g. "Q = X·W_qᵀ + b_q"
  std::vector<int> shape;  // with the batch axis: e.g. {1, n_heads, n_q, d_head}
  std::string axes;        // e.g. "(batch, heads, seq, head_dim) = (1, 4, 11, 16)"
  int stage = 0;           // which of the homework's six steps it belongs to (kPipelineStages)
  bool view = false;       // no tensor of its own: `name`'s memory re-read in this shape
};
// The six steps of multi-head attention as the homework numbers them; 0 is the input.
inline constexpr const char* kPipelineStages[7] = {"the input",
                                                   "1  project X into Q, K and V",
                                                   "2  split the last axis into heads",
                                                   "3  transpose: heads first",
                                                   "4  attend, in every head at once",
                                                   "5  concatenate the heads",
                                                   "6  output projection"};

struct Trace {
  int n_q = 0, n_kv = 0, d_model = 0, n_heads = 0, n_kv_heads = 0, d_head = 0;
  int group = 1;          // query heads per key/value head: head h uses kv head h / group
  float scale = 1;        // multiplies Q·Kᵀ (1/√d_head unless overridden)
  float temperature = 1;  // divides the scaled scores
  int causal_offset = 0;  // with the causal mask, query i sees keys j <= i + causal_offset
  bool cross = false;     // keys/values from a second text
  int q_position0 = 0;    // position of the first query (> 0 with a KV cache)
  std::vector<std::string> q_tokens, kv_tokens;
  std::vector<uint8_t> q_pad, kv_pad;  // 1 = [PAD]

  Mat x_q, x_kv;                 // [n_q x d_model], [n_kv x d_model]
  Mat q_proj;                    // [n_q x d_model] before the split into heads
  Mat k_proj, v_proj;            // [n_kv x n_kv_heads·d_head]
  std::vector<Mat> q;            // [n_heads][n_q x d_head]
  std::vector<Mat> k, v;         // [n_kv_heads][n_kv x d_head]
  std::vector<HeadTrace> heads;  // [n_heads]: scores ... context
  Mat concat;                    // [n_q x d_model] heads side by side
  Mat output;                    // [n_q x d_model] concat·W_oᵀ + b_o
  // False from new weights until the contexts, concat and output that follow
  // from them are computed too (the page shows the weights first; see plan_weights).
  bool outputs_ready = false;

  // Internal mask convention, as in F.scaled_dot_product_attention and ONNX:
  // 1 = the query may attend to the key. Every mask is folded into one
  // additive bias: 0 where allowed, −inf where blocked, plus any float mask.
  Mat bias;                            // [n_q x n_kv]
  MaskMat allowed;                     // [n_q x n_kv] bias > −inf
  MaskMat blocked_by;                  // [n_q x n_kv] Block flags (0 = allowed by every mask)
  std::vector<int> fully_masked_rows;  // queries with no allowed key

  std::vector<PipelineStep> pipeline;  // the steps of the layer, in order
};

// Everything project() fills (tokens, X, Q/K/V, steps), without the
// attention that follows: the start of an attention-only recompute. Copied,
// or moved out of a trace that will not be shown again (6 MB at (256, 768,
// 12)) together with every head's scores, which depend on Q and K alone and
// which plan_weights then reuses.
Trace projections_of(const Trace& t);
Trace projections_of(Trace&& t);

// A tensor copied out of the trace, row-major, shape without the batch axis.
struct TensorData {
  std::vector<int> shape;
  std::vector<float> data;
};

// Scores and scaled scores hold every q·k (every_score). Per-head names (q, k, v, scores, scaled_scores,
// softcapped_scores, masked_scores, weights, dropped_weights, context) with head in range give [rows x cols]; with head
// = -1 all heads stacked: [heads x rows x cols]. k and v count key/value heads. Whole-layer names (x, x_kv, q_proj,
// k_proj, v_proj, concat, output, bias, mask) ignore head. Unknown names or heads out of range return nullopt and set
// *error.
std::optional<TensorData> find_tensor(const Trace& t, const std::string& name, int head, std::string* error);

// Rows [r0, r1) of a head's scores or scaled_scores with every q·k, the keys
// the kernel skipped included (trace: NaN, "not computed"): those are
// computed now, each a float64 sum rounded to float, so they are what an
// unmasked pass gives to float32 rounding.
// A learner's q @ k.T then matches everywhere; the mask is applied after.
// Empty for other names. r1 = -1: every row.
Mat every_score(const Trace& t, const std::string& name, int head, int r0 = 0, int r1 = -1);

// The matrix behind a tensor, without a copy, for views: a whole tensor, or
// one head's (head in range) of a per-head one. nullptr with *error for what
// find_tensor() refuses, and for "mask" (held as bytes: see Trace::allowed).
const Mat* find_matrix(const Trace& t, const std::string& name, int head, std::string* error);

// Whether find_tensor() indexes `name` by head (q, k, v, scores ... context).
bool per_head_tensor(const std::string& name);

// The names find_tensor() accepts, in pipeline order.
const std::vector<std::string>& tensor_names();

}  // namespace ap
