// Choosing the next token (core/model/sampling.h): log-probabilities against
// the formula in float64, and the draw's frequencies against the softmax it
// samples, at two temperatures and with a top_k cut.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "model/sampling.h"

TEST_CASE("log_probabilities: the log softmax, without overflow") {
  const std::vector<float> logits = {1000, 999, 990, -5};
  const std::vector<double> lp = ap::log_probabilities(logits.data(), 4);
  double sum = 0;
  for (double v : lp) sum += std::exp(v);
  CHECK(sum == doctest::Approx(1).epsilon(1e-12));
  // log p_i − log p_j is l_i − l_j exactly as far as float64 goes.
  CHECK(lp[0] - lp[1] == doctest::Approx(1).epsilon(1e-12));
  CHECK(lp[0] == doctest::Approx(-std::log(1 + std::exp(-1.0) + std::exp(-10.0) + std::exp(-1005.0))).epsilon(1e-12));
}

TEST_CASE("sample_token: frequencies follow softmax(logits / temperature) over the top_k") {
  // p ∝ 1, 2, 4 at temperature 1; ∝ 1, √2, 2 at temperature 2; the last id never with top_k 3.
  const std::vector<float> logits = {0, float(std::log(2.0)), float(std::log(4.0)), -3};
  for (double temperature : {1.0, 2.0}) {
    CAPTURE(temperature);
    std::vector<int> counts(4, 0);
    const int draws = 14000;
    for (int seed = 0; seed < draws; ++seed)
      ++counts[size_t(ap::sample_token(logits.data(), 4, {temperature, 3, uint64_t(seed)}))];
    const std::vector<double> w = {1, std::pow(2.0, 1 / temperature), std::pow(4.0, 1 / temperature)};
    const double total = w[0] + w[1] + w[2];
    for (int i = 0; i < 3; ++i) {
      const double p = w[size_t(i)] / total, expected = p * draws, sigma = std::sqrt(draws * p * (1 - p));
      // Within 5 standard deviations: a wrong temperature or a dropped token is off by far more (> 20 σ).
      CHECK(std::abs(counts[size_t(i)] - expected) < 5 * sigma);
    }
    CHECK(counts[3] == 0);
  }
}

TEST_CASE("sample_token: top_k 1 is the most likely token, the lower id on a tie") {
  const std::vector<float> logits = {0.5f, 2, 2, 1};
  for (uint64_t seed = 0; seed < 50; ++seed) CHECK(ap::sample_token(logits.data(), 4, {1.0, 1, seed}) == 1);
  // top_k 0 is every token: the smallest one is drawn sometimes.
  int smallest = 0;
  for (uint64_t seed = 0; seed < 2000; ++seed) smallest += ap::sample_token(logits.data(), 4, {5.0, 0, seed}) == 0;
  CHECK(smallest > 0);
}

TEST_CASE("check_sample_settings: one sentence per bad setting") {
  CHECK(ap::check_sample_settings({1, 40, 1}, 50257) == "");
  CHECK(ap::check_sample_settings({0, 40, 1}, 50257) == "temperature must be above 0 and at most 100 (got 0)");
  CHECK(ap::check_sample_settings({NAN, 40, 1}, 50257).find("temperature must be above 0") == 0);
  CHECK(ap::check_sample_settings({1, -1, 1}, 50257) == "top_k must be between 0 and 50257 (got -1)");
}
