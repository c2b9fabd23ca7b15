// A real GPT-2 in the session. While a model is loaded, the session's
// config, inputs and trace are those of its chosen layer (the core's
// Gpt2ChosenLayer), so every panel shows that layer as it shows the
// playground's; the controls' attention fields (masks, scale, temperature,
// ...) edit that layer, and its text is tokenized by GPT-2's tokenizer.
// Loading comes in pieces, as a page receives files: config.json first (the
// model is refused there if it cannot fit, before any download), then the
// tokenizer's files and model.safetensors in chunks.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analysis/behaviour.h"
#include "kernels/plan.h"
#include "model/gpt2.h"
#include "model/gpt2_forward.h"
#include "text/bpe.h"

namespace web {

struct Session;

// What the page may give a model's weights: its 2 GiB of wasm memory less what
// the page, one tensor being converted and a forward's state need beside them.
inline constexpr size_t kModelWeightsLimit = (size_t{2} << 30) - (size_t{400} << 20);

// The next-token prediction after one position of the text.
struct Prediction {
  int position = -1;                         // the query whose next token this is
  std::vector<ap::TokenScore> top;           // the 10 most likely, most likely first
  std::vector<double> logprob;               // [top] natural log of each probability
  std::vector<double> unedited_logprob;      // [top] the same tokens without the edits; empty when nothing is edited
  std::vector<ap::TokenScore> unedited_top;  // the unedited model's 10 most likely, when something is edited
};

// Sampling a next token: softmax(logits / temperature) over the top_k most likely (0: all).
struct Sampling {
  double temperature = 1;
  int top_k = 40;
  uint64_t seed = 1;  // advances with every sampled token: the same seed draws the same tokens again
};

// Each head's behaviour scores (core/analysis/behaviour.h), measured on GPT-2's
// <|endoftext|> followed by `half` random tokens twice.
struct BehaviourTable {
  int half = 0;
  std::vector<int> tokens;
  std::vector<std::vector<std::array<std::optional<double>, ap::kBehaviourCount>>> scores;  // [n_layer][n_heads]
};

// How getting a model's files goes, as the page's side (platform/model.js)
// reports it, for the GPT-2 tab to draw; and a link's model, for it to ask about.
struct ModelFetch {
  // "", "sizing", "ask" (sizes known, waiting for a yes), "downloading", "converting", "failed", "done"
  std::string phase;
  std::string repo, base;
  std::string message;                    // why it failed, or the model loaded
  double done = 0, total = 0, speed = 0;  // bytes, bytes per second
  double weights_file = 0;                // model.safetensors' bytes, of `total`
  int64_t parameters = 0;
  double weight_bytes = 0;  // in the page's memory
  struct Cached {
    std::string repo, base;
    double bytes = 0;
  };
  std::vector<Cached> cached;  // what this device holds (hub.js)
  bool cached_known = false;
  std::string link_repo;   // a link's model=...: asked about before anything is downloaded
  std::string link_query;  // that link, applied to the model link_model once it is loaded
  std::string link_model;
};

// A model's files as they arrive, until finish_model_load().
struct ModelLoad {
  std::string name;                         // the repo id, or "local files"
  std::unique_ptr<ap::Gpt2Loader> weights;  // model.safetensors, converted as its bytes arrive
  std::string vocab_json, merges_txt, tokenizer_json;
};

// Work on the model spread over frames: a forward, then the chosen layer and the prediction.
struct ModelWork {
  ap::Plan plan;
  std::string error;  // set by a piece that failed; the rest is skipped
  double ms = 0, longest_slice_ms = 0;
  bool chose = false;  // the chosen layer's trace was made again
};

struct ModelSession {
  std::string name;
  ap::Gpt2Model model;
  std::optional<ap::Gpt2Tokenizer> tokenizer;
  std::string text;
  std::vector<int> tokens;              // n: the text's ids, or the ids a sampled token was appended to
  std::vector<std::string> token_text;  // [n] gpt2_token_display of each
  ap::Gpt2Edits edits;                  // what the state runs (or is being computed with)
  ap::Gpt2State state;
  int layer = 0;               // the chosen layer: its trace is the session's
  ap::Gpt2ChosenLayer chosen;  // being made by `work`; moved into the session when done
  // What the session's trace was made from, so that an edit after the chosen layer keeps it.
  int shown_layer = -1;
  std::vector<int> shown_tokens;
  ap::Gpt2Edits shown_edits;
  ap::Config target;               // the chosen layer's config with the text: what the controls show
  Prediction prediction;           // after the last token
  std::vector<float> last_logits;  // [vocab] after the last token, for sampling
  std::map<int, Prediction> at;    // after other positions, asked for by hovering a token
  Sampling sampling;
  // Without the edits, for their effects: the last position's log-probabilities
  // [vocab] and every layer's attention [n_layer][n_heads][n x n] (when kept).
  std::vector<double> unedited_logprobs;
  std::vector<ap::TokenScore> unedited_top;
  std::vector<std::vector<ap::Mat>> unedited_weights;
  std::vector<int> unedited_tokens;  // the tokens those are for
  // Per layer and head, how far the edits moved its attention: the mean over
  // queries of the total variation distance to the unedited weights; empty
  // when nothing is edited or the weights are not kept.
  std::vector<std::vector<double>> attention_change;
  std::unique_ptr<ModelWork> work;
  std::optional<BehaviourTable> behaviour;
  std::unique_ptr<ap::Plan> behaviour_work;
  ap::Gpt2State behaviour_state;
  double forward_ms = 0;  // the last forward's time (summed over its slices)
  ap::Config playground;  // the playground's config before the model came, restored by unload
};

// [SECTION] loading

// Facts about a model from its config.json, for asking before the download:
// parameters, weight bytes in this page, whether they fit (error says why not).
struct ModelCheck {
  std::string error;
  ap::Gpt2Config config;
  int64_t parameters = 0;
  size_t weight_bytes = 0;
};
ModelCheck check_model(const std::string& config_json);

// Starts loading (a load under way is dropped; the loaded model stays until
// the new one is complete). Empty, or why the config is refused.
std::string begin_model_load(Session& s, const std::string& name, const std::string& config_json, uint64_t file_bytes);
// A tokenizer file by its name (vocab.json, merges.txt or tokenizer.json).
std::string add_model_file(Session& s, const std::string& file, std::string bytes);
// The next bytes of model.safetensors.
std::string feed_model_weights(Session& s, const void* data, size_t size);
// Builds the model from what arrived and shows it on the session's text:
// empty, or why not (then the loaded model, or the playground, stays).
std::string finish_model_load(Session& s);
// Drops a load under way.
void cancel_model_load(Session& s);
// Back to the playground's own layer and config.
void unload_model(Session& s);

// [SECTION] the model in the session

// A head written "L.H" (layer.head), as links and the JS API name one: false unless both are whole numbers.
bool parse_head(const std::string& text, int& layer, int& head);

// Applies a config edit to the chosen layer (or a new text): the errors, or empty.
std::vector<std::string> apply_model_config(Session& s, const ap::Config& next);
// Chooses `layer`, sets its config to `next` (with the text) and every other layer's and the
// ablations to `edits`'; all or nothing: the errors, or empty.
std::vector<std::string> apply_model_edits(Session& s, int layer, const ap::Config& next, ap::Gpt2Edits edits);
// Chooses a layer (its trace becomes the session's).
std::string choose_model_layer(Session& s, int layer);
// Ablates (on) or restores a head.
std::string ablate_model_head(Session& s, int layer, int head, bool on);
// Every edit and ablation undone.
void clear_model_edits(Session& s);
// Appends a token sampled from the prediction after the text; its id, or -1 and a note.
int append_sampled_token(Session& s);
// The prediction after `position` (computed on first use); nullptr while the forward is under way.
const Prediction* model_prediction_at(Session& s, int position);
// Starts (or continues for about budget_ms) measuring every head's behaviour; true when done.
bool advance_model_behaviour(Session& s, double budget_ms);
// Runs a slice of the model's work; called by begin_frame.
void advance_model(Session& s, double budget_ms);
bool model_busy(const Session& s);

}  // namespace web
