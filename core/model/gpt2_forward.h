// GPT-2's forward pass over token ids, float32 on the kernels of
// core/kernels/, keeping what the views and interventions need:
//   residual[0] = wte[tokens] + wpe[0..n)
//   per layer l: x = ln_1(residual[l]); a = attention(x) (causal, biases; heads
//                ablated before c_proj); h = residual[l] + a;
//                residual[l + 1] = h + c_proj(gelu(c_fc(ln_2(h))))
//   logits(p) = ln_f(residual[n_layer][p]) · unembeddingᵀ, for requested positions only
// Each layer's attention is the playground's layer with that layer's Config
// (gpt2_layer_config, then edited): the forward runs the same kernels in
// the same slices as core/layer/attention.h, so the Trace of a chosen layer,
// made by the layer code itself from the kept residual, is bit for bit what
// the forward computed (tested), and every view works on it as on the
// playground's layer.
//
// Memory (what is kept, and why): each layer's input residual, [n x d_model]
// (3 MB at n = 1024 for gpt2, 41 MB for all 13), so that an edit recomputes
// from the edited layer on and any layer's attention can be recomputed; every
// layer's attention weights, n_layer·n_heads·n² floats, only while they fit
// in Gpt2Options::keep_weights_bytes (128 MiB: gpt2 up to n = 482; at
// n = 1024 they would be 604 MB beside 500 MB of weights in a page); past
// that gpt2_attention() recomputes a layer's weights from its residual
// (ln_1, q and k, the softmax: about a sixth of the layer's work).
// gpt2_memory() says what a size takes.
#pragma once
#include <string>
#include <variant>
#include <vector>

#include "config/config.h"
#include "kernels/head.h"
#include "kernels/plan.h"
#include "layer/inputs.h"
#include "layer/trace.h"
#include "model/gpt2.h"

namespace ap {

// [SECTION] interventions

// The attention config of GPT-2's layer `layer` as the model runs it:
// d_model = n_embd, n_heads = n_head, causal, biases, scale 1/√d_head (or
// what scale_attn_weights and scale_attn_by_inverse_layer_idx make it).
// Its text, seed (but for dropout's stream), positional and weights fields
// play no part: the tokens and weights are the model's.
Config gpt2_layer_config(const Gpt2Config& c, int layer);

// Interventions on a forward: each layer's attention config (masks, scale,
// temperature, softcap, dropout, fully_masked: the fields that leave the
// projections alone) and the heads whose output is zeroed before c_proj.
struct Gpt2Edits {
  std::vector<Config> layers;                 // [n_layer]
  std::vector<std::vector<uint8_t>> ablated;  // [n_layer][n_heads], 1 = the head's output is zeroed
  bool operator==(const Gpt2Edits&) const = default;
};
Gpt2Edits gpt2_default_edits(const Gpt2Config& c);
// Empty if the edits fit the model at n tokens; else one sentence each, naming the layer.
std::vector<std::string> validate_gpt2_edits(const Gpt2Config& c, int n, const Gpt2Edits& e);
// The first layer whose config or ablations differ; n_layer when none does.
int first_edited_layer(const Gpt2Edits& a, const Gpt2Edits& b);

// [SECTION] the forward

struct Gpt2Options {
  // Every layer's attention weights are kept while n_layer·n_heads·n²·4 bytes fit in this.
  size_t keep_weights_bytes = size_t{128} << 20;
  // Keep what each layer's attention adds to the residual (c_proj's output),
  // [n x d_model] per layer: for analyses of the residual stream, and for
  // checking a chosen layer's trace against the forward.
  bool keep_attention_outputs = false;
};

// One layer's working buffers, reused layer after layer.
struct Gpt2Scratch {
  Mat x;                       // [n x d_model] ln_1, then ln_2, of the residual
  Mat q_proj, k_proj, v_proj;  // [n x d_model]
  std::vector<Mat> q, k, v;    // [n_heads][n x d_head]
  Trace mask;                  // the layer's mask only: sizes, bias, allowed, blocked_by
  Config mask_config;          // the config `mask` was built for
  bool mask_built = false;
  HeadTrace head;  // one head's steps, head after head
  HeadOperands ops;
  std::vector<int> fully_masked_rows;
  Mat concat, attn_out;  // [n x d_model]
  Mat hidden;            // [n x d_mlp]
  size_t bytes() const;
};

struct Gpt2State {
  std::vector<int> tokens;  // n
  Gpt2Edits edits;          // what layers [0, layers_done) ran with
  int layers_done = 0;      // residual[0 .. layers_done] are valid
  bool keep_weights = false;
  std::vector<Mat> residual;              // [n_layer + 1][n x d_model]: residual[l] enters layer l
  std::vector<std::vector<Mat>> weights;  // [n_layer][n_heads][n x n] with keep_weights, else empty
  std::vector<Mat> attention_out;         // [n_layer][n x d_model] with keep_attention_outputs, else empty
  Gpt2Scratch scratch;
  size_t bytes() const;  // everything held, scratch included
};

// Empty if the model can run these tokens: at least one, at most n_positions
// (the rows of wpe), each id below vocab_size.
std::string check_gpt2_tokens(const Gpt2Config& c, const std::vector<int>& tokens);

// Runs the forward of `tokens` with `edits` into `state`, from the first
// layer that differs from what the state holds (new tokens: from the start;
// an edit of layer l: from l, its input residual kept). Empty on success;
// else why (tokens, edits), and the state is unchanged.
std::string gpt2_forward(const Gpt2Model& m, const std::vector<int>& tokens, const Gpt2Edits& edits, Gpt2State& s,
                         const Gpt2Options& o = {});
// Recomputes layers [layer, n_layer) with `edits`, from the kept residual[layer]:
// the edits of the layers before must be those the state ran with.
std::string gpt2_run_from(const Gpt2Model& m, int layer, const Gpt2Edits& edits, Gpt2State& s);
// gpt2_forward() as pieces of a plan (plan.h), for a caller that spreads it
// over frames; m, s and plan must outlive the pieces, and s must not change
// until they have run. Nothing is planned on error.
std::string plan_gpt2_forward(const Gpt2Model& m, const std::vector<int>& tokens, const Gpt2Edits& edits, Gpt2State& s,
                              Plan& plan, const Gpt2Options& o = {});

// A layer's attention weights, [n_heads][n x n]: kept, or recomputed from its
// residual (the same kernels: the same bits). The layer must have run.
std::vector<Mat> gpt2_attention(const Gpt2Model& m, const Gpt2State& s, int layer);

// [SECTION] the chosen layer, as the playground's layer

// What every view reads for the chosen layer, made by the layer code
// (attention.h) from the kept residual.
struct Gpt2ChosenLayer {
  int layer = -1;
  Config config;  // the layer's attention config, as edited
  Inputs inputs;  // x_q = x_kv = ln_1(residual[layer]); W_q, W_k, W_v from c_attn, W_o = c_proj, as nn.Linear
  Trace trace;    // run(config, inputs), with ablated heads' columns of concat zeroed and output recomputed
};
// token_text labels the tokens (the tokenizer's pieces); empty: the ids.
// Empty on success, else why (a layer not run, a trace past Limits::max_trace_bytes).
std::string gpt2_choose_layer(const Gpt2Model& m, const Gpt2State& s, int layer,
                              const std::vector<std::string>& token_text, Gpt2ChosenLayer& out);
// The same as pieces of a plan; m, s, out and plan must outlive them.
std::string plan_gpt2_choose_layer(const Gpt2Model& m, const Gpt2State& s, int layer,
                                   const std::vector<std::string>& token_text, Gpt2ChosenLayer& out, Plan& plan);

// [SECTION] next-token prediction

// Logits of the given positions: [positions x vocab]. Each row costs
// 2·d_model·vocab FLOPs (77 M for gpt2), so only the rows asked for are
// computed: the page asks for the last and the hovered one, a file export
// for all of them (in chunks, to bound memory: 1024 rows are 206 MB).
std::variant<Mat, std::string> gpt2_logits(const Gpt2Model& m, const Gpt2State& s, const std::vector<int>& positions);

struct TokenScore {
  int token = 0;
  float logit = 0;
  double probability = 0;  // softmax over the whole vocabulary, in float64
};
// The k most likely next tokens from a row of logits, most likely first.
std::vector<TokenScore> top_tokens(const float* logits, int vocab, int k);

// [SECTION] costs

// FLOPs of a forward at n tokens (2 per multiply-add): every product, the
// attention over allowed (causal) pairs, and `logit_rows` rows of logits.
double gpt2_forward_flops(const Gpt2Config& c, int n, int logit_rows);

// Bytes at n tokens: the weights, the forward's state (residuals, kept
// attention weights, one layer's scratch) and the chosen layer (its Inputs and Trace).
struct Gpt2Memory {
  size_t weights = 0, residuals = 0, attention = 0, scratch = 0, chosen_layer = 0;
  size_t total() const { return weights + residuals + attention + scratch + chosen_layer; }
};
Gpt2Memory gpt2_memory(const Gpt2Config& c, int n, const Gpt2Options& o = {});

}  // namespace ap
