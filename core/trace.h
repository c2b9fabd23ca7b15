// The Trace: every intermediate of one multi-head attention forward pass,
// named, with its shape. Views and the JS API read it; none recomputes maths.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "tensor.h"

namespace ap {

// One step of the pipeline as a learner meets it in PyTorch code.
struct Step {
  std::string name;     // matches the tensor name of find_tensor()
  std::string formula;  // e.g. "Q = X·W_qᵀ + b_q"
  std::vector<int> shape;  // with the batch axis: e.g. {1, n_heads, n_q, d_head}
  std::string axes;        // e.g. "(batch, heads, seq, head_dim)"
};

struct Trace {
  int n_q = 0, n_kv = 0, d_model = 0, n_heads = 0, d_head = 0;
  float scale = 1;  // 1/√d_head
  std::vector<std::string> tokens;  // n_q (= n_kv for self-attention)
  int n_text = 0;                   // tokens before [PAD]

  Mat x;                           // [n_q x d_model]
  Mat q_proj, k_proj, v_proj;      // [n x d_model] before the split into heads
  std::vector<Mat> q, k, v;        // [n_heads][n x d_head]
  std::vector<Mat> scores;         // [n_heads][n_q x n_kv]  q·kᵀ
  std::vector<Mat> scaled_scores;  // [n_heads][n_q x n_kv]  scores·scale
  std::vector<Mat> masked_scores;  // [n_heads][n_q x n_kv]  −inf where blocked
  std::vector<Mat> weights;        // [n_heads][n_q x n_kv]  softmax over keys
  std::vector<Mat> context;        // [n_heads][n_q x d_head] weights·v
  Mat concat;                      // [n_q x d_model] heads side by side
  Mat output;                      // [n_q x d_model] concat·W_oᵀ + b_o

  // Internal mask convention, as in F.scaled_dot_product_attention and ONNX:
  // 1 = the query may attend to the key.
  MaskMat allowed;                 // [n_q x n_kv]
  std::vector<uint8_t> key_padding;  // [n_kv] 1 = a [PAD] key (blocked)
  // Rows with no allowed key. ONNX's rule applies: their weights are all 0.
  std::vector<int> fully_masked_rows;

  std::vector<Step> steps;  // the pipeline, in order
};

// A tensor copied out of the trace, row-major, shape without the batch axis.
struct TensorData {
  std::vector<int> shape;
  std::vector<float> data;
};

// Names: x, q_proj, k_proj, v_proj, q, k, v, scores, scaled_scores,
// masked_scores, weights, context, concat, output, mask (1 = may attend).
// Per-head names with head in [0, n_heads) give [rows x cols]; with head = -1
// they give all heads stacked: [n_heads x rows x cols]. Whole-layer names
// ignore head. Unknown names or heads out of range return nullopt and set *error.
std::optional<TensorData> find_tensor(const Trace& t, const std::string& name, int head, std::string* error);

// The names find_tensor() accepts, in pipeline order.
const std::vector<std::string>& tensor_names();

}  // namespace ap
