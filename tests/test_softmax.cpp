// The softmax row kernel (core/softmax.h): its exp against double precision,
// its vector form against its scalar form bit for bit (in the wasm suite that
// is SIMD128 lanes against one float at a time), and whole rows against a
// float64 softmax.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "base/rng.h"
#include "kernels/softmax.h"

namespace {
// Distance in units in the last place of float at the true value.
double ulps(float got, double want) {
  const int e = std::ilogb(want);
  return std::abs(double(got) - want) / std::ldexp(1.0, e - 23);
}
}  // namespace

TEST_CASE("exp_nonpositive: within 2 ulp of exp on [-86.6, 0], exactly 0 below, NaN stays NaN") {
  ap::Rng rng(11);
  double worst = 0;
  std::vector<float> xs = {0.0f,         -0.0f,       -1e-30f, -1e-7f, -0.34657359f,
                           -0.34657360f, -0.6931472f, -1.0f,   -10.0f, -86.59f};
  for (int i = 0; i < 1'000'000; ++i) xs.push_back(-float(rng.uniform(86.6)));
  for (int i = 0; i < 100'000; ++i) xs.push_back(-float(rng.uniform(1e-3)));  // near 0, where exp ≈ 1 − |x|
  for (float x : xs) {
    const double u = ulps(ap::exp_nonpositive(x), std::exp(double(x)));
    if (u > worst) worst = u;
  }
  MESSAGE("largest error: " << worst << " ulp over " << xs.size() << " arguments");
  CHECK(worst <= 2.0);
  CHECK(ap::exp_nonpositive(0.0f) == 1.0f);
  CHECK(ap::exp_nonpositive(-std::numeric_limits<float>::infinity()) == 0.0f);
  CHECK(ap::exp_nonpositive(-86.7f) == 0.0f);
  CHECK(ap::exp_nonpositive(-1e30f) == 0.0f);
  CHECK(std::isnan(ap::exp_nonpositive(std::numeric_limits<float>::quiet_NaN())));
}

TEST_CASE("exp_row gives the scalar exp's bits at every position of rows of every length") {
  ap::Rng rng(12);
  for (int n = 1; n <= 37; ++n) {
    std::vector<float> x(static_cast<size_t>(n)), out(x.size());
    for (float& v : x) v = float(rng.uniform(20.0)) - 30.0f;
    x[0] = -std::numeric_limits<float>::infinity();
    ap::exp_row(x.data(), -12.5f, n, out.data());
    for (int c = 0; c < n; ++c) {
      CAPTURE(n);
      CAPTURE(c);
      CHECK(out[size_t(c)] == ap::exp_nonpositive(x[size_t(c)] + 12.5f));
    }
  }
}

TEST_CASE("softmax_row matches a float64 softmax; blocked cells are exactly 0") {
  ap::Rng rng(13);
  const float inf = std::numeric_limits<float>::infinity();
  for (int n = 1; n <= 300; n += (n < 40 ? 1 : 37)) {
    std::vector<float> row(static_cast<size_t>(n)), w(row.size());
    for (float& v : row) v = float(rng.uniform(16.0)) - 8.0f;
    for (int c = 1; c < n; c += 3) row[size_t(c)] = -inf;  // blocked keys (cell 0 stays allowed)
    const ap::SoftmaxStats st = ap::softmax_row(row.data(), n, w.data());
    double m = -inf, sum = 0, total = 0;
    for (float v : row) m = std::max(m, double(v));
    for (float v : row) sum += std::exp(double(v) - m);
    CHECK(st.max == float(m));
    // The sum of n exps, each within 2 ulp, rounded n times: relative n·2^-23 at most.
    CHECK(std::abs(st.sum - sum) <= sum * (n + 2) * std::ldexp(1.0, -23));
    for (int c = 0; c < n; ++c) {
      total += w[size_t(c)];
      if (row[size_t(c)] == -inf) CHECK(w[size_t(c)] == 0.0f);
      // Weights are at most 1: the sum's relative error, plus the exp's and the division's rounding.
      else CHECK(std::abs(w[size_t(c)] - std::exp(double(row[size_t(c)]) - m) / sum) <= (n + 6) * std::ldexp(1.0, -23));
    }
    CHECK(std::abs(total - 1.0) <= 1e-5);
  }
}
