// What the benchmarks share: timing (best of several runs, batched when a
// call is shorter than the browser's clock can tell), a sink that keeps a
// result alive, and the multiply-add peak measured in the same run, so that
// every rate is read against the peak of the moment on a shared machine.
#pragma once
#include <algorithm>
#include <chrono>

#include "base/tensor.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// A browser coarsens performance.now() (0.1 ms steps plus jitter on a page
// that is not cross-origin isolated), and Emscripten's steady_clock reads it:
// calls shorter than this are timed in batches so that one tick is noise.
constexpr double kMinBatchSeconds = 0.005;

// Best of `reps` timings of f, in seconds per call: the least disturbed run.
// The batch doubles until it lasts kMinBatchSeconds; a slow f runs alone.
// The first call is a warm-up (in wasm it may grow the memory, which can take
// longer than a batch), so only a slow f keeps it as a timing.
template <typename F>
double best_of(int reps, F&& f) {
  auto time_batch = [&](int batch) {
    const auto t0 = Clock::now();
    for (int i = 0; i < batch; ++i) f();
    return seconds_since(t0);
  };
  int batch = 1;
  double t = time_batch(batch);
  if (t < 10 * kMinBatchSeconds) t = time_batch(batch);
  while (t < kMinBatchSeconds && batch < (1 << 20)) t = time_batch(batch *= 2);
  double best = t / batch;
  for (int r = 1; r < reps; ++r) best = std::min(best, time_batch(batch) / batch);
  return best;
}

// Keeps a result alive so the optimiser cannot drop the work that made it.
void keep(const ap::Mat& m) {
  volatile float f = m(0, 0);
  (void)f;
}

// Register-only multiply+add: kAcc independent accumulators of 4 floats, each
// a chain acc = acc·m + c. Twelve, not eight: with eight, the chains' mul→add
// latency and V8's per-iteration loop checks leave the SIMD ports idle (here:
// 20-28 GFLOP/s with 8, 30-34 with 12; 12 + 2 constants still fit in x86's
// 16 vector registers, so nothing spills). Best of 10 short runs, so that a
// burst of other work on the machine rarely sets it.
[[maybe_unused]] double peak_gflops() {
  constexpr int kAcc = 12;
  const long iters = 12'000'000;
  volatile float sink = 0;
  const double s = best_of(10, [&] {
#if defined(__wasm_simd128__)
    v128_t acc[kAcc];
    for (auto& a : acc) a = wasm_f32x4_splat(0.0f);
    const v128_t m = wasm_f32x4_splat(0.999f), c = wasm_f32x4_splat(0.001f);
    for (long i = 0; i < iters; ++i)
      for (auto& a : acc) a = wasm_f32x4_add(wasm_f32x4_mul(a, m), c);
    float out[4];
    wasm_v128_store(out, acc[0]);
    sink = out[0];
#else
    float acc[kAcc][4] = {};
    for (long i = 0; i < iters; ++i)
      for (auto& a : acc)
        for (float& v : a) v = v * 0.999f + 0.001f;
    sink = acc[0][0];
#endif
  });
  return double(kAcc) * 4 * 2 * iters / s / 1e9;
}

}  // namespace
