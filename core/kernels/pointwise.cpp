// Layer norm and GELU: see pointwise.h.
#include "kernels/pointwise.h"

#include <algorithm>
#include <cmath>

#include "kernels/softmax.h"

namespace ap {
namespace {

constexpr float kGeluC = 0.7978845608028654f;  // √(2/π)
constexpr float kGeluA = 0.044715f;

// The argument of the exp, −2|u|, and the combination after it: one
// expression each, shared by the loop and the scalar so that both round alike.
inline float gelu_exp_arg(float x) { return -2.0f * std::fabs(kGeluC * (x + kGeluA * x * x * x)); }
inline float gelu_combine(float x, float e) {
  // u >= 0: x·σ(2u) = x / (1 + e^(−2u)); u < 0: x·e^(2u) / (1 + e^(2u)). u has x's sign.
  return (x >= 0.0f ? x : x * e) / (1.0f + e);
}

}  // namespace

void layer_norm_rows(const Mat& x, const RowVec& gain, const RowVec& bias, double eps, int r0, int r1, Mat& y) {
  const int d = int(x.cols());
  for (int r = r0; r < r1; ++r) {
    const float* in = x.data() + size_t(r) * d;
    double sum = 0;
    for (int c = 0; c < d; ++c) sum += in[c];
    const double mean = sum / d;
    double sq = 0;
    for (int c = 0; c < d; ++c) sq += (in[c] - mean) * (in[c] - mean);
    const double inv = 1.0 / std::sqrt(sq / d + eps);
    float* out = y.data() + size_t(r) * d;
    for (int c = 0; c < d; ++c) out[c] = float((in[c] - mean) * inv) * gain(c) + bias(c);
  }
}

float gelu_tanh(float x) { return gelu_combine(x, exp_nonpositive(gelu_exp_arg(x))); }

void gelu_tanh_rows(Mat& m, int r0, int r1) {
  // Chunks that stay in L1: the exp's arguments, then the exps, then the combination.
  constexpr int kChunk = 512;
  float arg[kChunk], e[kChunk];
  float* p = m.data() + size_t(r0) * size_t(m.cols());
  const size_t total = size_t(r1 - r0) * size_t(m.cols());
  for (size_t at = 0; at < total; at += kChunk) {
    const int n = int(std::min<size_t>(kChunk, total - at));
    float* x = p + at;
    for (int i = 0; i < n; ++i) arg[i] = gelu_exp_arg(x[i]);
    exp_row(arg, 0.0f, n, e);
    for (int i = 0; i < n; ++i) x[i] = gelu_combine(x[i], e[i]);
  }
}

}  // namespace ap
