// Choosing GPT-2's next token from a row of logits, as generate() does with
// do_sample: divide by a temperature, keep the top_k most likely, softmax, draw.
// The draw is the project's Rng, so a seed gives the same token natively and
// in wasm. And log-probabilities over the whole vocabulary, for showing how an
// intervention changed the prediction.
#pragma once
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace ap {

// log softmax(logits) over all `vocab` entries, summed in float64: [vocab].
std::vector<double> log_probabilities(const float* logits, int vocab);

struct SampleSettings {
  double temperature = 1;  // > 0; 1 leaves the logits as they are
  int top_k = 40;          // the draw is among this many most likely tokens; 0 = all of them
  uint64_t seed = 1;
};
// Empty if usable, else one sentence (temperature must be > 0 and at most 100, top_k 0..vocab).
std::string check_sample_settings(const SampleSettings& s, int vocab);
// The drawn token id. Ties in the top_k cut keep the lower id, as top_tokens() orders them.
int sample_token(const float* logits, int vocab, const SampleSettings& s);

}  // namespace ap
