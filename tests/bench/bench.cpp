// Benchmark (not a test): one multi-head attention forward at the sizes of
// (16, 64, 4) to (1024, 768, 12), natively or as wasm (Node or a browser), with and without the
// causal mask. Prints ms per forward, GFLOP/s, the projection kernel's rate
// and the multiply-add peak measured in the same run, so that ratios hold on
// a noisy machine; then one head's attention products (q·kᵀ and weights·v)
// through the same kernel, against the same peak. scripts/bench.sh runs it
// natively, under Node and in headless Chromium, and adds the ratios.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "bench_common.h"
#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "layer/attention.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

namespace {

// The kernel as the timed loops call it: through a pointer the optimisers
// cannot see through, so it stays a function of its own. V8 optimises wasm a
// function at a time once it is hot; inlined into main(), which runs once, it
// was timed in baseline code on a page's first load (projections at 25
// GFLOP/s in one Chromium run, 45 in the next).
ap::Mat (*volatile g_linear)(const ap::Mat&, const ap::Mat&, const std::vector<float>&,
                             const ap::RowVec&) = &ap::linear_forward;

// One head's products, formed as core/kernels/head.cpp forms them: q·kᵀ is x·Wᵀ
// with k as the weight, and weights·v is weights·(vᵀ)ᵀ with vᵀ as the weight,
// each operand packed per head and forward (so the packing is timed too).
// Without a mask attend's prefix kernels do this same work on the same strips;
// timing ap::linear_forward keeps the benchmark to the core's stable interface.
// With use_simd_kernels(false), pack_strips packs nothing and Eigen multiplies.
struct HeadTimes {
  double qk, wv;  // seconds per product
};

HeadTimes time_head(const ap::Mat& q, const ap::Mat& k, const ap::Mat& v, const ap::Mat& weights, int reps) {
  HeadTimes t;
  t.qk = best_of(reps, [&] { keep(g_linear(q, k, ap::pack_strips(k), ap::RowVec())); });
  t.wv = best_of(reps, [&] {
    const ap::Mat vt = v.transpose();
    keep(g_linear(weights, vt, ap::pack_strips(vt), ap::RowVec()));
  });
  return t;
}

// V8 first runs wasm code from a baseline compiler and swaps in optimised
// code for hot functions in the background: the first rows timed the
// baseline code (the smallest forward measured 45 µs instead of 34 under
// Node), and the peak loop shared the machine with the compiler (in
// Chromium a peak below the kernels' own rates). Half a second of the
// smallest forward, with and without the kernels, before anything is timed.
void warm_up() {
  ap::Config c;
  c.text = "a b c d e f g h i j k l m n o p";
  c.d_model = 64;
  c.n_heads = 4;
  const ap::Inputs in = ap::make_inputs(c);
  const auto t0 = Clock::now();
  while (seconds_since(t0) < 0.5)
    for (bool simd : {true, false}) {
      ap::use_simd_kernels(simd);
      keep(ap::run(c, in).output);
    }
  ap::use_simd_kernels(true);
}

}  // namespace

int main() {
#if defined(__GLIBC__)
  // Like wasm's allocator, keep freed memory for reuse: glibc would hand each
  // large block back to the OS and fault it in again on every forward, which
  // on this kind of VM costs more than the maths (a third of native time).
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  // One thread: these tables compare the kernels, core for core (tests/e2e/bench_ort.mjs times threads).
  ap::set_threads(1);
  const auto start = Clock::now();
  std::printf("build: %s, projection kernel: %s, 1 thread\n",
#if defined(__EMSCRIPTEN__)
              "wasm -O3 -msimd128",
#else
              "native",
#endif
              ap::simd_kernels() ? "SIMD128 5x16 blocks (4x16 for attention)" : "Eigen");
  warm_up();  // first, so that no background compiling shares the machine with the peak's loop
  const double peak = peak_gflops();
  std::printf("multiply-add peak (registers only): %.1f GFLOP/s\n\n", peak);
  std::printf("%-18s %-7s %10s %10s %12s %12s %12s %10s\n", "n, d_model, heads", "causal", "ms", "GFLOP/s",
              "Eigen-only ms", "proj GFLOP/s", "Eigen proj", "proj/peak");
  const int sizes[][3] = {{16, 64, 4}, {64, 768, 12}, {256, 768, 12}, {1024, 768, 12}};
  std::string head_rows;  // the second table, printed after the first
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
    const double proj_s = best_of(reps, [&] { keep(g_linear(in.x_q, w.weight, w.strips, w.bias)); });
    const double eigen_s = best_of(reps, [&] { keep(g_linear(in.x_q, w.weight, {}, w.bias)); });
    const double proj_flops = 2.0 * sz[0] * sz[1] * double(sz[1]);
    for (bool causal : {false, true}) {
      c.causal = causal;
      const double s = best_of(reps, [&] { keep(ap::run(c, in).output); });
      ap::use_simd_kernels(false);
      const double s_plain = best_of(reps, [&] { keep(ap::run(c, plain).output); });
      ap::use_simd_kernels(true);
      const double flops = double(ap::layer_costs(sz[0], sz[0], sz[1], sz[2], sz[2], true).flops);
      std::printf("%5d, %4d, %3d     %-7s %10.3f %10.2f %12.3f %12.2f %12.2f %10.2f\n", sz[0], sz[1], sz[2],
                  causal ? "yes" : "no", s * 1e3, flops / s / 1e9, s_plain * 1e3, proj_flops / proj_s / 1e9,
                  proj_flops / eigen_s / 1e9, proj_flops / proj_s / 1e9 / peak);
    }

    // Head 0's q, k, v from the layer's own projections, and its softmax
    // weights without a mask: the values the forward multiplies.
    const int n = sz[0], d_head = sz[1] / sz[2];
    const ap::Mat q = ap::linear_forward(in.x_q, in.w_q.weight, in.w_q.strips, in.w_q.bias).leftCols(d_head);
    const ap::Mat k = ap::linear_forward(in.x_kv, in.w_k.weight, in.w_k.strips, in.w_k.bias).leftCols(d_head);
    const ap::Mat v = ap::linear_forward(in.x_kv, in.w_v.weight, in.w_v.strips, in.w_v.bias).leftCols(d_head);
    ap::Mat weights = (q * k.transpose()) / std::sqrt(float(d_head));
    for (int r = 0; r < n; ++r) {
      weights.row(r) = (weights.row(r).array() - weights.row(r).maxCoeff()).exp().matrix();
      weights.row(r) /= weights.row(r).sum();
    }
    const int head_reps = n <= 64 ? 20 : n <= 256 ? 10 : 5;
    const HeadTimes kern = time_head(q, k, v, weights, head_reps);
    ap::use_simd_kernels(false);
    const HeadTimes eig = time_head(q, k, v, weights, head_reps);
    ap::use_simd_kernels(true);
    const double head_flops = 2.0 * n * n * d_head;  // each product: n·n·d_head multiply-adds
    char row[160];
    std::snprintf(row, sizeof row, "head %5d, %4d  %12.2f %12.2f %10.2f %12.2f %12.2f %10.2f\n", n, d_head,
                  head_flops / kern.qk / 1e9, head_flops / eig.qk / 1e9, head_flops / kern.qk / 1e9 / peak,
                  head_flops / kern.wv / 1e9, head_flops / eig.wv / 1e9, head_flops / kern.wv / 1e9 / peak);
    head_rows += row;
  }
  std::printf("\none head's attention products (q, k, v: n x d_head; no mask; packing included, as in attend):\n");
  std::printf("%-16s %12s %12s %10s %12s %12s %10s\n", "     n, d_head", "q.kT GFLOP/s", "Eigen q.kT", "q.kT/peak",
              "w.v GFLOP/s", "Eigen w.v", "w.v/peak");
  std::printf("%s", head_rows.c_str());
  std::printf("\nbenchmark time: %.1f s\n", seconds_since(start));
  return 0;
}
