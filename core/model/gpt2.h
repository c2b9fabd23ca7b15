// GPT-2 as Hugging Face saves it: config.json and model.safetensors, read
// into float32 weights held once, in the layout the products use (packed for
// the SIMD kernel in wasm, nn.Linear's [d_out x d_in] elsewhere), as the
// file's bytes arrive (Gpt2Loader, in model/gpt2_load.cpp). The forward
// pass is in model/gpt2_forward.h.
//
// HF's GPT-2 uses Conv1D layers, which store W as [d_in x d_out] (the
// transpose of nn.Linear's) and compute x·W + b; c_attn holds W_q, W_k and
// W_v side by side (columns [0, d), [d, 2d), [2d, 3d)), split here.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/tensor.h"

namespace ap {

// [SECTION] config.json

struct Gpt2Config {
  int n_layer = 0, n_head = 0, n_embd = 0;  // n_layer, n_heads, d_model
  int n_positions = 0;                      // the most tokens: wpe has a row per position
  int vocab_size = 0;                       // vocab
  int n_inner = 0;                          // d_mlp: 4·n_embd unless config.json sets n_inner
  double layer_norm_epsilon = 1e-5;
  std::string activation_function = "gelu_new";
  bool tie_word_embeddings = true;               // the unembedding is wte (else lm_head.weight)
  bool scale_attn_weights = true;                // scores · 1/√d_head (false: unscaled)
  bool scale_attn_by_inverse_layer_idx = false;  // and · 1/(layer + 1)

  int d_head() const { return n_embd / n_head; }
};

// Reads config.json. Required: n_layer, n_head, n_embd, vocab_size and
// n_positions (or the older n_ctx); optional: n_inner, layer_norm_epsilon,
// activation_function (GELU's tanh approximation only: gelu_new,
// gelu_pytorch_tanh or gelu_fast), tie_word_embeddings, scale_attn_weights,
// scale_attn_by_inverse_layer_idx. Other keys are ignored; a model_type
// other than "gpt2" is refused by name. Sizes must fit the attention
// layer's limits (config.h: d_model <= 2048, n_heads <= 64).
std::variant<Gpt2Config, std::string> parse_gpt2_config(std::string_view json_text);

// Parameters as the checkpoint counts them (wte once when tied): 124,439,808 for gpt2.
int64_t gpt2_parameters(const Gpt2Config& c);
// Bytes the loaded weights take in this build: float32, the unembedding's
// strips padded to 16 rows in wasm (497.8 MB for gpt2, 1.42 GB for gpt2-medium).
size_t gpt2_weight_bytes(const Gpt2Config& c);
// Empty if the weights fit in `limit` bytes, else one sentence with both sizes:
// for refusing a model before its download.
std::string gpt2_weights_fit(const Gpt2Config& c, size_t limit);

// [SECTION] the weights

// y = x·Wᵀ + b with W [d_out x d_in], nn.Linear's layout. Either `weight` or
// `strips` (gemm.h's packing, in a SIMD build) holds W, never both.
struct Gpt2Linear {
  int d_in = 0, d_out = 0;
  Mat weight;                 // [d_out x d_in], empty when packed
  std::vector<float> strips;  // W packed for the SIMD kernel
  RowVec bias;                // [d_out]; empty for the unembedding

  Mat forward(const Mat& x) const;   // x: [n x d_in] -> [n x d_out]
  Mat unpacked() const;              // W [d_out x d_in], copied or unpacked
  float at(int row, int col) const;  // W(row, col): a token's embedding is a row of wte
  size_t bytes() const;
};

struct Gpt2LayerNorm {
  RowVec gain, bias;  // [d_model]
};

struct Gpt2Block {
  Gpt2LayerNorm ln_1;
  Gpt2Linear q, k, v;  // attn.c_attn split: each [d_model -> d_model]
  Gpt2Linear o;        // attn.c_proj [d_model -> d_model]
  Gpt2LayerNorm ln_2;
  Gpt2Linear fc;    // mlp.c_fc   [d_model -> d_mlp]
  Gpt2Linear proj;  // mlp.c_proj [d_mlp -> d_model]
};

struct Gpt2Model {
  Gpt2Config config;
  Gpt2Linear wte;                 // [vocab x d_model]: rows are the token embeddings, and (tied) the unembedding
  Gpt2Linear lm_head;             // [vocab x d_model] when not tied (tie_word_embeddings false); else empty
  Mat wpe;                        // [n_positions x d_model]
  std::vector<Gpt2Block> blocks;  // [n_layer]
  Gpt2LayerNorm ln_f;
  std::vector<std::string> notes;  // what loading ignored, one sentence each

  const Gpt2Linear& unembedding() const { return config.tie_word_embeddings ? wte : lm_head; }
  size_t bytes() const;
};

// [SECTION] loading

// What loading checks, whichever way the bytes come: tensor names may carry
// the "transformer." prefix of GPT2LMHeadModel or not (GPT2Model); the
// attn.bias and attn.masked_bias buffers (the causal mask, saved by older
// versions) are skipped; lm_head.weight, when the file has it, must equal
// wte.weight unless tie_word_embeddings is false (then it is required and
// used). Tensors the forward does not use are noted and skipped. Every shape
// is checked against the config, by name: "h.3.mlp.c_fc.weight has shape
// (768, 3000); config.json (n_embd 768, d_mlp 3072) needs (768, 3072)".
//
// Gpt2Loader takes model.safetensors in chunks of any size, in file order,
// and never keeps the file's bytes: the header is checked against
// config.json as soon as it is whole (every tensor present, of its shape and
// a readable dtype), so a wrong file fails after its first kilobytes; each
// tensor the model uses is converted when its last byte arrives, straight
// from the chunk that holds it whole, or else from a copy of that tensor
// alone (staged while it spans chunks); skipped tensors and bytes between
// tensors are passed over. Tensors may lie in the data in any order of
// names. Besides the weights built so far it holds the header while that
// arrives, then at most one staged tensor: wte, 154 MB of F32 for gpt2
// (whose weights are 498 MB), 206 MB for gpt2-medium (1.42 GB). A tied
// lm_head.weight is compared, as it completes, with whichever of the two
// came first and was converted as wte, so neither is staged beside the other.
class Gpt2Loader {
 public:
  // config.json's text (refused at once if bad: every call then returns why);
  // file_size the bytes of model.safetensors if known, else 0: a header that
  // describes more is then refused as soon as it is read, and finish() wants
  // exactly that many bytes.
  explicit Gpt2Loader(std::string_view config_json, uint64_t file_size = 0);
  ~Gpt2Loader();
  Gpt2Loader(Gpt2Loader&&) noexcept;  // a loader moved from may only be destroyed or assigned to
  Gpt2Loader& operator=(Gpt2Loader&&) noexcept;

  // The next `size` bytes of model.safetensors. Empty on success; else one
  // sentence (load_gpt2's messages: a bad header, a tensor's shape or dtype
  // by name, lm_head.weight differing from wte.weight; more bytes than
  // file_size), after which the partial model is freed and every call
  // returns the same sentence.
  std::string feed(const void* data, size_t size);
  // After the last byte, once: the model, or why not (a stream that ended
  // early says how many of its bytes arrived). Any call after it is an error.
  std::variant<Gpt2Model, std::string> finish();

  const Gpt2Config* config() const;  // from the constructor on (nullptr if config.json was refused)
  bool header_done() const;          // the header has been read and checked against the config
  // file_size if given; else, once the header is read, 8 + its length + the
  // end of the last tensor's data (bytes after that are taken as padding); 0 before.
  uint64_t bytes_expected() const;
  uint64_t bytes_received() const;
  // The most bytes of the file held at once: the header while it arrives, or
  // a tensor that spans chunks. At most the larger of the two.
  size_t peak_staged_bytes() const;
  const std::string& error() const;  // empty unless a call has failed

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// A model from config.json's text and all of model.safetensors' bytes in
// memory: a Gpt2Loader fed them as one chunk, so every tensor converts from
// the bytes in place and nothing is staged but the header. The caller holds
// the file beside the weights (about 1 GB for gpt2) until it frees them.
std::variant<Gpt2Model, std::string> load_gpt2(std::string_view config_json, std::string_view safetensors);
// The same from a folder holding config.json and model.safetensors, read in
// 16 MiB chunks through a Gpt2Loader: the weights, one chunk and at most one
// staged tensor are held, never the whole file.
std::variant<Gpt2Model, std::string> load_gpt2_folder(const std::string& dir);

}  // namespace ap
