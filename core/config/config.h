// The playground's single source of truth: everything that changes what the
// core computes. The UI edits it, the JS API reads and writes it as JSON, and
// validate() says in plain words what is wrong with it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ap {

// What a query row becomes when every key is blocked (a classic homework bug:
// libraries disagree).
enum class FullyMasked {
  Zero,     // weights and output row exactly 0 (ONNX's rule; the default)
  NaN,      // NaN, what F.scaled_dot_product_attention gives with -inf masks
  Uniform,  // 1/n_kv everywhere, what masked_fill(mask == 0, -1e9) gives
};

// Where the causal diagonal sits when there are more keys than queries.
enum class CausalAlign {
  TopLeft,      // query i sees keys 0..i (ONNX without a cache, PyTorch's is_causal)
  BottomRight,  // query i sees keys 0..i + (n_kv - n_q) (the last query sees every key)
};

// How W_q and W_k are made.
enum class Weights {
  Random,       // nn.Linear's initialisation from the seed
  Constructed,  // built so that head h % 4 attends to the previous token, the same token,
                // the first token, or two tokens back (see inputs.h)
};

struct Config {
  // [SECTION] sequences
  std::string text = "The cat sat on the mat because it was tired.";
  std::string cross_text;  // non-empty: keys and values come from this text (cross-attention)
  int pad_to = 0;          // append [PAD] tokens to the text up to this length
  int cross_pad_to = 0;    // the same for cross_text, so queries and keys can differ in length

  // [SECTION] sizes and weights
  int d_model = 64;        // width of every token vector
  int n_heads = 4;         // query heads; d_head = d_model / n_heads
  int n_kv_heads = 0;      // key/value heads for GQA/MQA; 0 = n_heads (plain multi-head)
  uint32_t seed = 42;      // token embeddings, W_q, W_k, W_v, W_o and dropout
  bool bias = true;        // nn.Linear biases on the four projections
  bool positional = true;  // add the sinusoidal positional encoding to X
  int kv_cache = 0;        // the first kv_cache tokens are past: keys/values only, no queries
  Weights weights = Weights::Random;

  // [SECTION] masks (internally True = may attend)
  bool causal = false;
  CausalAlign causal_align = CausalAlign::TopLeft;  // ignored with kv_cache (then offset = kv_cache)
  int window = 0;                 // sliding window: keys within window-1 positions of the diagonal; 0 = off
  bool mask_pad_keys = true;      // key padding mask: [PAD] keys are blocked
  bool mask_pad_queries = false;  // query padding mask: [PAD] query rows are blocked entirely
  std::vector<std::vector<uint8_t>> custom_mask;  // [n_q][n_kv], 1 = may attend; empty = none
  std::vector<std::vector<float>> float_mask;     // [n_q][n_kv] added to the scores (may hold -inf); empty = none
  FullyMasked fully_masked = FullyMasked::Zero;

  // [SECTION] scores and weights
  double scale = 0;        // multiplies Q·Kᵀ; 0 = 1/√d_head
  double temperature = 1;  // divides the scaled scores
  double softcap = 0;      // > 0: s -> softcap·tanh(s / softcap), before the masks
  double dropout = 0;      // probability of zeroing a weight (survivors scaled by 1/(1-p))

  bool operator==(const Config&) const = default;
};

// Key/value heads (n_kv_heads, where 0 means one per query head) and the
// width of a head, for a config whose sizes are valid.
inline int kv_heads(const Config& c) { return c.n_kv_heads ? c.n_kv_heads : c.n_heads; }
inline int d_head(const Config& c) { return c.d_model / c.n_heads; }

// Limits, and why: the trace keeps every intermediate, and the per-head
// score matrices grow as n_heads · n_q · n_kv (six of them are kept).
struct Limits {
  static constexpr int max_tokens = 1024;   // rows are then under a pixel on screen; hover is still exact
  static constexpr int max_d_model = 2048;  // above GPT-2 XL's 1600
  static constexpr int max_heads = 64;
  static constexpr size_t max_text_bytes = 16384;
  // (1024 tokens, d_model 1600, 25 heads) needs up to 750 MiB; while a new trace is
  // computed the old one is still drawn, so wasm memory (2 GiB) holds two.
  static constexpr size_t max_trace_bytes = size_t{768} << 20;
};

// Bytes the Trace of a config of this size will hold (see trace.h); softcap
// and dropout each keep one more [n_q x n_kv] tensor per head.
size_t trace_bytes(int n_q, int n_kv, int d_model, int n_heads, bool softcap, bool dropout);

// Empty when the config is usable; otherwise one readable sentence per problem.
std::vector<std::string> validate(const Config& cfg);

// The sequences the config describes: tokens then [PAD] up to pad_to.
struct Sequence {
  std::vector<std::string> tokens;
  int n_text = 0;  // tokens before the padding
};
struct Sequences {
  Sequence q_source;    // the text; queries are its tokens from kv_cache on
  Sequence kv;          // keys and values: the text itself, or cross_text
  int first_query = 0;  // = kv_cache for self-attention
  bool cross = false;
  int n_q() const { return int(q_source.tokens.size()) - first_query; }
  int n_kv() const { return int(kv.tokens.size()); }
};
Sequences make_sequences(const Config& cfg);

// An edit of several fields of which some are invalid: the others still apply.
struct SalvagedEdit {
  Config config;  // `applied` with every edited field of `draft` that keeps it valid
  std::vector<std::pair<std::string, std::string>> rejected;  // [field, why]: the edits left out
};
// The fields where `draft` differs from `applied` (valid), applied together
// if that is valid, else one at a time in the field table's order, over
// passes until none more fits (so edits valid only in some order still
// apply). A rejected field keeps its applied value and says why.
SalvagedEdit salvage_edit(const Config& applied, const Config& draft);

// Switches cross-attention on (keys and values from a sample second text) or
// off, as the homework expects it: encoder-decoder cross-attention is
// unmasked, so turning it on turns the causal mask off (the learner may turn
// it on again), and a KV cache, which is self-attention's, is dropped.
void set_cross_attention(Config& cfg, bool on);
inline constexpr const char* kSampleCrossText = "Le chat dort sur le tapis.";

// Keeps a painted or imported mask the size of the attention after the
// texts changed: kept cells stay, new ones allow (custom) or add 0 (float).
void fit_masks(Config& cfg);

inline constexpr const char* kPadToken = "[PAD]";

const char* to_string(FullyMasked f);
const char* to_string(CausalAlign a);
const char* to_string(Weights w);

}  // namespace ap
