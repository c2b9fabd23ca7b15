// The softmax row: see softmax.h. The wasm build runs four lanes of the very
// operations the scalar exp does, in the same order (WebAssembly has no fused
// multiply-add to reorder them), so a row's tail and its body round alike and
// any slicing of the rows gives the same bits.
#include "kernels/softmax.h"

#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>

#include "kernels/gemm.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

namespace ap {
namespace {

// exp(x) = 2^n · exp(r) with n = round(x / ln 2) and |r| <= ln 2 / 2; ln 2 is
// split in two (Cody and Waite) so that n · kLn2Hi is exact and r keeps its
// low bits. exp(r) ≈ 1 + r + r²·P(r), P of degree 5 (Cephes' expf
// coefficients, a minimax fit on that interval).
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
constexpr float kP0 = 1.9875691500e-4f, kP1 = 1.3981999507e-3f, kP2 = 8.3334519073e-3f, kP3 = 4.1665795894e-2f,
                kP4 = 1.6666665459e-1f, kP5 = 5.0000001201e-1f;
// Below this n <= −125 could not be scaled within normal floats; exp is < 2.2e-38 there.
constexpr float kExpLow = -86.6f;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

#if defined(__wasm_simd128__)
v128_t exp_lanes(v128_t x) {
  const v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(kLog2e)));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(kLn2Hi)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(kLn2Lo)));
  v128_t p = wasm_f32x4_splat(kP0);
  for (float c : {kP1, kP2, kP3, kP4, kP5}) p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(c));
  v128_t e = wasm_f32x4_mul(p, wasm_f32x4_mul(r, r));
  e = wasm_f32x4_add(wasm_f32x4_add(e, r), wasm_f32x4_splat(1.0f));
  // 2^n as a float: the biased exponent n + 127 in bits 23..30.
  const v128_t two_n = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  e = wasm_f32x4_mul(e, two_n);
  // NaN lanes compare false and keep the product's NaN.
  return wasm_v128_andnot(e, wasm_f32x4_lt(x, wasm_f32x4_splat(kExpLow)));
}
#endif

}  // namespace

float exp_nonpositive(float x) {
  if (x < kExpLow) return 0.0f;
  if (std::isnan(x)) return x;
  // Rounds to the nearest integer, ties to even, as nearbyint does in the
  // default mode (|x·log2e| <= 125 here, far below 2^22, where adding 1.5·2^23
  // leaves a float whose spacing is 1), without glibc's nearbyintf, which
  // saves and restores the floating-point environment on every call (most of
  // a native softmax's time).
  constexpr float kRound = 0x1.8p23f;
  const float n = (x * kLog2e + kRound) - kRound;
  float r = x - n * kLn2Hi;
  r = r - n * kLn2Lo;
  float p = kP0;
  for (float c : {kP1, kP2, kP3, kP4, kP5}) p = p * r + c;
  const float e = p * (r * r) + r + 1.0f;
  const uint32_t bits = uint32_t(int32_t(n) + 127) << 23;
  float two_n;
  std::memcpy(&two_n, &bits, sizeof two_n);
  return e * two_n;
}

void exp_row(const float* x, float shift, int n, float* out) {
  int c = 0;
#if defined(__wasm_simd128__)
  const v128_t vshift = wasm_f32x4_splat(shift);
  for (; c + 4 <= n; c += 4) wasm_v128_store(out + c, exp_lanes(wasm_f32x4_sub(wasm_v128_load(x + c), vshift)));
#endif
  for (; c < n; ++c) out[c] = exp_nonpositive(x[c] - shift);
}

SoftmaxStats softmax_row(const float* row, int n, float* w) {
#if defined(__wasm_simd128__)
  if (!simd_kernels()) {
    // The benchmark's baseline, Eigen alone (gemm.h): its exp, one float at a
    // time in wasm, clamps near −88, so −inf needs a select to give 0.
    const Eigen::Map<const Eigen::ArrayXf> x(row, n);
    Eigen::Map<Eigen::ArrayXf> out(w, n);
    const float m = x.maxCoeff();
    out = (x == kNegInf).select(0.0f, (x - m).exp());
    const float sum = out.sum();
    out /= sum;
    return {m, sum};
  }
#endif
  // The max, the exps, their sum, the division: each pass over a row in L1.
  int c = 0;
  float m = kNegInf, sum = 0;
#if defined(__wasm_simd128__)
  v128_t vm = wasm_f32x4_splat(kNegInf);
  for (; c + 4 <= n; c += 4) vm = wasm_f32x4_max(vm, wasm_v128_load(row + c));
  float lanes[4];
  wasm_v128_store(lanes, vm);
  for (float v : lanes) m = std::fmax(m, v);
#endif
  for (; c < n; ++c) m = std::fmax(m, row[c]);

  exp_row(row, m, n, w);

  c = 0;
#if defined(__wasm_simd128__)
  v128_t vs = wasm_f32x4_splat(0.0f);
  for (; c + 4 <= n; c += 4) vs = wasm_f32x4_add(vs, wasm_v128_load(w + c));
  wasm_v128_store(lanes, vs);
  sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
#endif
  for (; c < n; ++c) sum += w[c];

  c = 0;
#if defined(__wasm_simd128__)
  const v128_t vsum = wasm_f32x4_splat(sum);
  for (; c + 4 <= n; c += 4) wasm_v128_store(w + c, wasm_f32x4_div(wasm_v128_load(w + c), vsum));
#endif
  for (; c < n; ++c) w[c] /= sum;
  return {m, sum};
}

}  // namespace ap
