// The row-wise and element-wise steps of a transformer block around its
// products: layer norm and GELU (tanh approximation). Float32 in and out, as
// the products are; the reductions of layer norm run in float64, which costs
// nothing next to the products and keeps a row's statistics exact to float
// rounding.
#pragma once
#include "base/tensor.h"

namespace ap {

// Rows [r0, r1) of y = (x − mean) / √(var + eps) · gain + bias, per row over
// d_model columns, var the biased variance (as nn.LayerNorm). x, y: [n x d_model]
// (y sized by the caller; it may be x); gain, bias: [d_model].
void layer_norm_rows(const Mat& x, const RowVec& gain, const RowVec& bias, double eps, int r0, int r1, Mat& y);

// GELU's tanh approximation (GPT-2's gelu_new, PyTorch's gelu(approximate="tanh")) in place over
// rows [r0, r1): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), computed as x·σ(2u),
// σ from the softmax's exp of a non-positive argument (softmax.h), so no
// tanh call per element and no overflow for any x. Within a few float ulps.
void gelu_tanh_rows(Mat& x, int r0, int r1);
float gelu_tanh(float x);  // one value, bit for bit what the rows give

}  // namespace ap
