// Head behaviour scores (core/analysis/behaviour.h) on attention patterns
// built by hand, where the right score is known exactly.
#include <doctest/doctest.h>

#include <set>

#include "analysis/behaviour.h"

namespace {

using ap::Behaviour;

double score(const ap::Mat& w, const std::vector<int>& tok, Behaviour b) {
  const auto s = ap::head_behaviour(w, tok)[size_t(b)];
  REQUIRE(s.has_value());
  return *s;
}

// Causal uniform attention: query i spreads 1/(i+1) over keys 0..i.
ap::Mat uniform(int n) {
  ap::Mat w = ap::Mat::Zero(n, n);
  for (int i = 0; i < n; ++i) w.row(i).head(i + 1).setConstant(1.0f / float(i + 1));
  return w;
}

}  // namespace

TEST_CASE("behaviour scores: a previous-token head scores 1 on previous token and little else") {
  const int n = 12;
  std::vector<int> tok(n);
  for (int i = 0; i < n; ++i) tok[size_t(i)] = 100 + i;  // no repeats
  ap::Mat w = ap::Mat::Zero(n, n);
  w(0, 0) = 1;
  for (int i = 1; i < n; ++i) w(i, i - 1) = 1;
  CHECK(score(w, tok, Behaviour::PreviousToken) == doctest::Approx(1.0));
  CHECK(score(w, tok, Behaviour::SameToken) == doctest::Approx(1.0 / n));         // only query 0 sees itself
  CHECK(score(w, tok, Behaviour::FirstToken) == doctest::Approx(1.0 / (n - 1)));  // only query 1's previous is 0
  // No token repeats: duplicate and induction apply to no query.
  const auto all = ap::head_behaviour(w, tok);
  CHECK_FALSE(all[size_t(Behaviour::DuplicateToken)].has_value());
  CHECK_FALSE(all[size_t(Behaviour::Induction)].has_value());
}

TEST_CASE("behaviour scores: first-token and same-token heads, and the uniform baseline") {
  const int n = 9;
  std::vector<int> tok{5, 6, 7, 8, 9, 10, 11, 12, 13};
  ap::Mat sink = ap::Mat::Zero(n, n), self = ap::Mat::Identity(n, n);
  sink.col(0).setOnes();
  CHECK(score(sink, tok, Behaviour::FirstToken) == doctest::Approx(1.0));
  CHECK(score(sink, tok, Behaviour::PreviousToken) == doctest::Approx(1.0 / (n - 1)));  // query 1's previous is 0
  CHECK(score(self, tok, Behaviour::SameToken) == doctest::Approx(1.0));
  CHECK(score(self, tok, Behaviour::PreviousToken) == doctest::Approx(0.0));
  // Uniform: previous and first token both get 1/(i+1) from query i >= 1, itself from every query.
  double h1 = 0, h0 = 0;
  for (int i = 1; i < n; ++i) h1 += 1.0 / (i + 1);
  h0 = h1 + 1;
  const ap::Mat u = uniform(n);
  CHECK(score(u, tok, Behaviour::PreviousToken) == doctest::Approx(h1 / (n - 1)).epsilon(1e-6));
  CHECK(score(u, tok, Behaviour::FirstToken) == doctest::Approx(h1 / (n - 1)).epsilon(1e-6));
  CHECK(score(u, tok, Behaviour::SameToken) == doctest::Approx(h0 / n).epsilon(1e-6));
}

TEST_CASE("behaviour scores: on a repeated random sequence, duplicate and induction heads are told apart") {
  const int half = 20;
  const std::vector<int> tok = ap::repeated_random_tokens(half, 1, 50257, 7, 0);
  const int n = int(tok.size());
  REQUIRE(n == 2 * half + 1);
  // Position p of the second copy (p > half) repeats position p - half.
  ap::Mat induction = uniform(n), duplicate = uniform(n);
  for (int i = half + 1; i < n; ++i) {
    induction.row(i).setZero();
    induction(i, i - half + 1) = 1;  // the token after the earlier copy
    duplicate.row(i).setZero();
    duplicate(i, i - half) = 1;  // the earlier copy itself
  }
  CHECK(score(induction, tok, Behaviour::Induction) == doctest::Approx(1.0));
  CHECK(score(induction, tok, Behaviour::DuplicateToken) == doctest::Approx(0.0));
  CHECK(score(duplicate, tok, Behaviour::DuplicateToken) == doctest::Approx(1.0));
  CHECK(score(duplicate, tok, Behaviour::Induction) == doctest::Approx(0.0));
  // A previous-token head scores 0 on induction here: the previous key of a
  // second-half query is in the second half, never just after an earlier copy.
  ap::Mat prev = ap::Mat::Zero(n, n);
  prev(0, 0) = 1;
  for (int i = 1; i < n; ++i) prev(i, i - 1) = 1;
  CHECK(score(prev, tok, Behaviour::Induction) == doctest::Approx(0.0));
}

TEST_CASE("repeated_random_tokens: distinct ids in range, repeated once, deterministic") {
  const auto a = ap::repeated_random_tokens(50, 10, 60, 3);
  REQUIRE(a.size() == 100);
  const std::set<int> ids(a.begin(), a.begin() + 50);
  CHECK(ids.size() == 50);  // the whole range 10..59, each once
  CHECK(*ids.begin() == 10);
  CHECK(*ids.rbegin() == 59);
  CHECK(std::equal(a.begin(), a.begin() + 50, a.begin() + 50));
  CHECK(a == ap::repeated_random_tokens(50, 10, 60, 3));
  CHECK(a != ap::repeated_random_tokens(50, 10, 60, 4));
  // More than the range holds: as many as there are.
  CHECK(ap::repeated_random_tokens(80, 10, 60, 3).size() == 100);
  CHECK(ap::repeated_random_tokens(5, 0, 0, 3).empty());
  CHECK(ap::repeated_random_tokens(3, 0, 100, 1, 99).front() == 99);
}

TEST_CASE("attention_shift: the mean total variation distance between two heads' weights") {
  ap::Mat a(2, 3), b(2, 3);
  a << 1, 0, 0, 0.5f, 0.5f, 0;
  b << 0, 1, 0, 0.5f, 0.5f, 0;
  CHECK(ap::attention_shift(a, a) == 0);
  // Row 0 moved entirely (1), row 1 not at all (0).
  CHECK(ap::attention_shift(a, b) == doctest::Approx(0.5));
  b.row(1) << 0, 0.5f, 0.5f;
  CHECK(ap::attention_shift(a, b) == doctest::Approx(0.75));
  CHECK(ap::attention_shift(a, ap::Mat(3, 3)) == 0);  // different shapes: nothing to compare
}
