// The projection kernel against Eigen, on sizes that hit every edge of its
// blocking (rows not a multiple of 4, columns not a multiple of 16). Natively
// this checks the fallback; in the wasm suite, the SIMD128 kernel.
#include <doctest/doctest.h>

#include "gemm.h"
#include "rng.h"

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
  MESSAGE("SIMD128 kernel in use: " << (ap::simd_kernels() ? "yes" : "no (Eigen)"));
}
