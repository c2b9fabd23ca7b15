// The projection kernel against Eigen, on sizes that hit every edge of its
// blocking (rows not a multiple of 4, columns not a multiple of 16). Natively
// this checks the fallback; in the wasm suite, the SIMD128 kernel.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "base/rng.h"
#include "kernels/gemm.h"

TEST_CASE("linear_forward matches Eigen's x·Wᵀ + b") {
  ap::Rng rng(5);
  for (int n : {1, 2, 3, 4, 5, 9, 17})
    for (int d_in : {1, 7, 64})
      for (int d_out : {1, 15, 16, 33}) {
        ap::Mat x(n, d_in), w(d_out, d_in);
        ap::RowVec b(d_out);
        for (int i = 0; i < x.size(); ++i) x.data()[i] = float(rng.uniform(1.0));
        for (int i = 0; i < w.size(); ++i) w.data()[i] = float(rng.uniform(1.0));
        for (int i = 0; i < b.size(); ++i) b.data()[i] = float(rng.uniform(1.0));
        ap::Mat want = x * w.transpose();
        want.rowwise() += b;
        const ap::Mat got = ap::linear_forward(x, w, ap::pack_panels(w), b);
        CAPTURE(n);
        CAPTURE(d_in);
        CAPTURE(d_out);
        // Sums of d_in <= 64 products of size <= 1 in another order: a few ulps of 64.
        CHECK((got - want).cwiseAbs().maxCoeff() <= 1e-5f);
      }
  MESSAGE("SIMD128 kernel in use: " << std::string(ap::simd_kernels() ? "yes" : "no (Eigen)"));
}

TEST_CASE("the causal-aware products compute each row's prefix of keys, and only that") {
  ap::Rng rng(9);
  for (int n : {1, 3, 4, 5, 17, 40})
    for (int m : {1, 15, 16, 17, 40})
      for (int d : {1, 7, 16}) {
        ap::Mat q(n, d), k(m, d), p(n, m);
        for (int i = 0; i < q.size(); ++i) q.data()[i] = float(rng.uniform(1.0));
        for (int i = 0; i < k.size(); ++i) k.data()[i] = float(rng.uniform(1.0));
        // Limits of every kind: causal (monotone), zero, full, and out of order.
        std::vector<int> limit(static_cast<size_t>(n));
        for (int r = 0; r < n; ++r)
          limit[size_t(r)] = r % 5 == 3 ? 0 : r % 7 == 6 ? m : std::min(m, r + 1 + (r % 3) * 4);
        for (int r = 0; r < n; ++r)
          for (int j = 0; j < m; ++j) p(r, j) = j < limit[size_t(r)] ? float(rng.uniform(1.0)) : 0.0f;
        // In two slices of rows, as a large head is computed across frames.
        const ap::Mat vt = k.transpose();  // any [d x m] will do as vᵀ
        ap::Mat s(n, m), ctx(n, d);
        for (auto [r0, r1] : {std::pair{0, n / 2}, std::pair{n / 2, n}}) {
          ap::scores_prefix(q, k, ap::pack_panels(k), limit, r0, r1, s);
          ap::context_prefix(p, vt, ap::pack_panels(vt), limit, r0, r1, ctx);
        }
        const ap::Mat full = q * k.transpose();
        CAPTURE(n);
        CAPTURE(m);
        CAPTURE(d);
        float worst = 0;
        int wrong_nan = 0;
        for (int r = 0; r < n; ++r)
          for (int j = 0; j < m; ++j) {
            if (j < limit[size_t(r)]) worst = std::max(worst, std::abs(s(r, j) - full(r, j)));
            else wrong_nan += !std::isnan(s(r, j));  // skipped cells say "not computed"
          }
        CHECK(wrong_nan == 0);
        // Sums of <= 40 products of size <= 1 in another order: a few ulps of 40.
        CHECK(worst <= 1e-5f);
        CHECK((ctx - p * vt.transpose()).cwiseAbs().maxCoeff() <= 1e-5f);
      }
}
