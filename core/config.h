// The playground's single source of truth: everything that changes what the
// core computes. The UI edits it, the JS API reads and writes it as JSON, and
// validate() says in plain words what is wrong with it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ap {

struct Config {
  std::string text = "The cat sat on the mat because it was tired.";
  int d_model = 64;      // width of every token vector
  int n_heads = 4;       // d_head = d_model / n_heads
  bool causal = false;   // query i may attend only to keys 0..i
  uint32_t seed = 42;    // token embeddings and W_q, W_k, W_v, W_o
  int pad_to = 0;        // append [PAD] tokens up to this length; they are masked as keys
  bool bias = true;      // nn.Linear biases on the four projections
  bool positional = true;  // add the sinusoidal positional encoding to X

  bool operator==(const Config&) const = default;
};

// Limits, and why: the trace keeps every intermediate, and the per-head
// score matrices grow as n_heads · n² (four of them are kept).
struct Limits {
  static constexpr int max_tokens = 512;         // a row of the heatmap must stay visible
  static constexpr int max_d_model = 2048;       // above GPT-2 XL's 1600
  static constexpr int max_heads = 64;
  static constexpr size_t max_text_bytes = 16384;
  static constexpr size_t max_trace_bytes = size_t{256} << 20;  // wasm memory stays small
};

// Bytes the Trace of a config of this size will hold (see attention.h).
size_t trace_bytes(int n_tokens, int d_model, int n_heads);

// Empty when the config is usable; otherwise one readable sentence per problem.
std::vector<std::string> validate(const Config& cfg);

// The sequence the config describes: text tokens, then [PAD] up to pad_to.
struct Sequence {
  std::vector<std::string> tokens;
  int n_text = 0;  // tokens before the padding
};
Sequence make_sequence(const Config& cfg);

inline constexpr const char* kPadToken = "[PAD]";

}  // namespace ap
