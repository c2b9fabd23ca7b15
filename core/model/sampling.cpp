// Sampling and log-probabilities: see sampling.h.
#include "model/sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "base/format.h"
#include "base/rng.h"

namespace ap {

std::vector<double> log_probabilities(const float* logits, int vocab) {
  double top = -std::numeric_limits<double>::infinity();
  for (int i = 0; i < vocab; ++i) top = std::max(top, double(logits[i]));
  double sum = 0;
  for (int i = 0; i < vocab; ++i) sum += std::exp(double(logits[i]) - top);
  const double log_z = top + std::log(sum);
  std::vector<double> out(size_t(std::max(vocab, 0)));
  for (int i = 0; i < vocab; ++i) out[size_t(i)] = double(logits[i]) - log_z;
  return out;
}

std::string check_sample_settings(const SampleSettings& s, int vocab) {
  if (!(s.temperature > 0 && s.temperature <= 100))
    return format("temperature must be above 0 and at most 100 (got %g)", s.temperature);
  if (s.top_k < 0 || s.top_k > vocab) return format("top_k must be between 0 and %d (got %d)", vocab, s.top_k);
  return "";
}

int sample_token(const float* logits, int vocab, const SampleSettings& s) {
  const int k = s.top_k == 0 ? vocab : std::clamp(s.top_k, 1, vocab);
  std::vector<int> ids(size_t(std::max(vocab, 0)));
  std::iota(ids.begin(), ids.end(), 0);
  std::partial_sort(ids.begin(), ids.begin() + k, ids.end(),
                    [&](int a, int b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
  std::vector<double> weight(static_cast<size_t>(k));
  const double top = double(logits[ids[0]]);
  double sum = 0;
  for (int i = 0; i < k; ++i)
    sum += weight[size_t(i)] = std::exp((double(logits[ids[size_t(i)]]) - top) / s.temperature);
  double u = Rng(s.seed).uniform() * sum;
  for (int i = 0; i < k; ++i) {
    u -= weight[size_t(i)];
    if (u < 0) return ids[size_t(i)];
  }
  return ids[size_t(k - 1)];  // rounding left u at 0 after the last weight
}

}  // namespace ap
