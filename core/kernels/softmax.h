// The softmax of one score row, the innermost loop of attention after the two
// products: exp over every cell of every head. Eigen has no WebAssembly
// packets, so its exp runs one float at a time there; this one runs four per
// instruction in wasm (SIMD128) and gives the same bits one at a time.
#pragma once

namespace ap {

// exp(x) for x <= 0, the only arguments a max-subtracted softmax has: a
// degree-7 polynomial on x reduced by multiples of ln 2. Relative error within
// 2 ulp of float (tested against double exp). Below −86.6, where exp(x) is
// under 2.2e-38 (and −inf), it returns exactly 0, as a blocked key needs.
float exp_nonpositive(float x);
// out[c] = exp_nonpositive(x[c] − shift) for c < n, four at a time in wasm,
// bit for bit the scalar's result.
void exp_row(const float* x, float shift, int n, float* out);

// weights[c] = exp(row[c] − max) / Σ exp(row[c'] − max) over c < n, with
// −inf cells exactly 0. The row must hold at least one value above −inf (the
// caller decides fully masked rows). Returns the max and the sum.
struct SoftmaxStats {
  float max, sum;
};
SoftmaxStats softmax_row(const float* row, int n, float* weights);

}  // namespace ap
