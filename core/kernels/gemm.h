// Y = X·Wᵀ + b, the product of every projection, with a blocked kernel on
// WebAssembly SIMD128 (wasm builds) and Eigen elsewhere. W is packed once into
// column strips of Wᵀ, so the kernel streams it in order.
#pragma once
#include <vector>

#include "base/tensor.h"

namespace ap {

inline constexpr int kStripCols = 16;  // output columns per strip: four f32x4 registers

// Wᵀ of a [d_out x d_in] weight as strips of kStripCols output columns: strip p
// holds rows k = 0..d_in-1 of Wᵀ[:, p·kStripCols .. p·kStripCols + kStripCols), zero-padded.
// Empty when the build has no SIMD kernel (Eigen then uses W as it is).
std::vector<float> pack_strips(const Mat& weight);
// The same in pieces, for a large weight spread over frames: pack_strips() is
// pack_strip_range() over every strip; ranges in order grow `strips` to
// strips_size() floats (0 without the kernel).
size_t strips_size(const Mat& weight);
void pack_strip_range(const Mat& weight, int p0, int p1, std::vector<float>& strips);

// x: [n x d_in], weight: [d_out x d_in] -> [n x d_out] = x·Wᵀ + bias.
// Uses `strips` (from pack_strips(weight)) when given, else Eigen.
Mat linear_forward(const Mat& x, const Mat& weight, const std::vector<float>& strips, const RowVec& bias);
// The same product from the strips alone (non-empty, so a SIMD build), for a
// caller that keeps a weight only packed: a model's weights are too large to
// hold twice. linear_forward() with strips is this, so the bits agree.
Mat linear_forward_packed(const Mat& x, int d_out, const std::vector<float>& strips, const RowVec& bias);
// The weight [d_out x d_in] back from its strips (an exact copy).
Mat unpack_strips(const std::vector<float>& strips, int d_out, int d_in);

// The causal-aware products of attention, where row r of the scores needs only
// keys [0, limit[r]) (every later key is blocked). Both work in blocks of rows
// and stop at the block's largest limit, so a causal mask halves their work.
// They fill rows [r0, r1) of y, which the caller has sized, so that a large
// head can be computed a slice of rows at a time.
// scores: y(r, j) = x.row(r)·w.row(j) for j < limit[r]; later cells are NaN
// ("not computed"). x: [n_q x d], w: [n_kv x d], y: [n_q x n_kv].
void scores_prefix(const Mat& x, const Mat& w, const std::vector<float>& strips, const std::vector<int>& limit, int r0,
                   int r1, Mat& y);
// context: y.row(r) = Σ_{j < limit[r]} p(r, j)·v.row(j), where p is zero past
// each row's limit. p: [n_q x n_kv], vt = vᵀ: [d_v x n_kv], y: [n_q x d_v].
void context_prefix(const Mat& p, const Mat& vt, const std::vector<float>& strips, const std::vector<int>& limit,
                    int r0, int r1, Mat& y);

// The rows of one block of scores_prefix and context_prefix with these
// strips: a slice of rows that starts a whole number of blocks after another
// slice's start is computed in the same blocks, so with the same bits.
int prefix_block_rows(const std::vector<float>& strips);

// True when pack_strips packs: a wasm build with -msimd128 (and not switched off).
bool simd_kernels();
// Switches the SIMD kernels off (or back on): the products and the softmax
// (softmax.h), so the benchmark can time the same layer with Eigen alone as
// its baseline.
void use_simd_kernels(bool on);

}  // namespace ap
