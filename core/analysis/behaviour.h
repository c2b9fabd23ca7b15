// What a head does, measured from its attention weights the way
// interpretability courses measure GPT-2's heads: how much weight each query
// puts on the previous token, the first token (an attention sink), itself, an
// earlier copy of its own token, or the token just after an earlier copy of
// its token (an induction head). Each score is a mean over the queries it
// applies to, in [0, 1]; a head that does that one thing exactly scores 1.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/tensor.h"

namespace ap {

enum class Behaviour { PreviousToken, FirstToken, SameToken, DuplicateToken, Induction };
inline constexpr int kBehaviourCount = 5;

struct BehaviourInfo {
  Behaviour kind;
  const char* key;    // in the JS API and the tests
  const char* name;   // on screen
  const char* rule;   // which keys count, for query i, in words
  const char* input;  // what text shows it best
};
// One row per behaviour, in the enum's order.
const std::array<BehaviourInfo, kBehaviourCount>& behaviours();

// weights: one head's causal self-attention [n x n], row i the query at
// position i; tokens: the n token ids. Per behaviour, the mean over the
// queries that have a key of that kind of the weight on those keys;
// nullopt where no query has one (e.g. no token repeats).
std::array<std::optional<double>, kBehaviourCount> head_behaviour(const Mat& weights, const std::vector<int>& tokens);

// How far an intervention moved a head's attention: the mean over queries of
// the total variation distance between their weight rows, ½·Σ_j |a_ij − b_ij|,
// in [0, 1] (0: unchanged, 1: moved entirely to other keys). a and b [n_q x n_kv].
double attention_shift(const Mat& a, const Mat& b);

// The input induction is measured on: `half` token ids drawn without
// repeats from [first, vocab), then the same ids again, so the only way to
// predict the second half is to find the earlier copy (with `prefix` in front,
// e.g. GPT-2's <|endoftext|>, when >= 0). Deterministic in seed.
std::vector<int> repeated_random_tokens(int half, int first, int vocab, uint64_t seed, int prefix = -1);

}  // namespace ap
