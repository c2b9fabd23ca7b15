// Benchmark (not a test): one multi-head attention forward at the sizes of
// issue 7, natively or as wasm (Node or a browser), with and without the
// causal mask. Prints ms per forward, GFLOP/s, the projection kernel's rate
// and the multiply-add peak measured in the same run, so that ratios hold on
// a noisy machine. scripts/bench.sh runs it both ways and adds wasm/native.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "analysis.h"
#include "attention.h"
#include "gemm.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Best of `reps` timings of f, in seconds: the least disturbed run.
template <typename F>
double best_of(int reps, F&& f) {
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    f();
    best = std::min(best, seconds_since(t0));
  }
  return best;
}

// Register-only multiply+add: 8 independent accumulators of 4 floats.
double peak_gflops() {
  const long iters = 20'000'000;
  volatile float sink = 0;
  const double s = best_of(3, [&] {
#if defined(__wasm_simd128__)
    v128_t acc[8];
    for (auto& a : acc) a = wasm_f32x4_splat(0.0f);
    const v128_t m = wasm_f32x4_splat(0.999f), c = wasm_f32x4_splat(0.001f);
    for (long i = 0; i < iters; ++i)
      for (auto& a : acc) a = wasm_f32x4_add(wasm_f32x4_mul(a, m), c);
    float out[4];
    wasm_v128_store(out, acc[0]);
    sink = out[0];
#else
    float acc[8][4] = {};
    for (long i = 0; i < iters; ++i)
      for (auto& a : acc)
        for (float& v : a) v = v * 0.999f + 0.001f;
    sink = acc[0][0];
#endif
  });
  return 8.0 * 4 * 2 * iters / s / 1e9;
}

}  // namespace

int main() {
  std::printf("build: %s, projection kernel: %s\n",
#if defined(__EMSCRIPTEN__)
              "wasm -O3 -msimd128",
#else
              "native",
#endif
              ap::simd_kernels() ? "SIMD128 4x16 blocks" : "Eigen");
  const double peak = peak_gflops();
  std::printf("multiply-add peak (registers only): %.1f GFLOP/s\n\n", peak);
  std::printf("%-18s %-7s %10s %10s %12s %12s %12s %10s\n", "n, d_model, heads", "causal", "ms", "GFLOP/s",
              "Eigen-only ms", "proj GFLOP/s", "Eigen proj", "proj/peak");
  const int sizes[][3] = {{16, 64, 4}, {64, 768, 12}, {256, 768, 12}, {1024, 768, 12}};
  for (const auto& sz : sizes) {
    ap::Config c;
    c.text.clear();
    for (int i = 0; i < sz[0]; ++i) c.text += "w" + std::to_string(i % 97) + " ";
    c.d_model = sz[1];
    c.n_heads = sz[2];
    const ap::Inputs in = ap::make_inputs(c);
    ap::use_simd_kernels(false);  // the same layer with every product left to Eigen
    const ap::Inputs plain = ap::make_inputs(c);
    ap::use_simd_kernels(true);
    const int reps = sz[0] <= 64 ? 20 : sz[0] <= 256 ? 5 : 2;
    // The projections alone: the packed kernel, and Eigen on the same data.
    const ap::Linear& w = in.w_q;
    const double proj_s = best_of(reps, [&] { volatile float f = ap::linear_forward(in.x_q, w.weight, w.panels, w.bias)(0, 0); (void)f; });
    const double eigen_s = best_of(reps, [&] { volatile float f = ap::linear_forward(in.x_q, w.weight, {}, w.bias)(0, 0); (void)f; });
    const double proj_flops = 2.0 * sz[0] * sz[1] * double(sz[1]);
    for (bool causal : {false, true}) {
      c.causal = causal;
      const double s = best_of(reps, [&] { volatile float f = ap::run(c, in).output(0, 0); (void)f; });
      ap::use_simd_kernels(false);
      const double s_plain = best_of(reps, [&] { volatile float f = ap::run(c, plain).output(0, 0); (void)f; });
      ap::use_simd_kernels(true);
      const double flops = double(ap::layer_costs(sz[0], sz[0], sz[1], sz[2], sz[2], true).flops);
      std::printf("%5d, %4d, %3d     %-7s %10.3f %10.2f %12.3f %12.2f %12.2f %10.2f\n", sz[0], sz[1], sz[2],
                  causal ? "yes" : "no", s * 1e3, flops / s / 1e9, s_plain * 1e3, proj_flops / proj_s / 1e9,
                  proj_flops / eigen_s / 1e9, proj_flops / proj_s / 1e9 / peak);
    }
  }
  return 0;
}
