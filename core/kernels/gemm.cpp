// The projection kernel: see gemm.h. On wasm SIMD128 a block of R rows x 16
// columns (4·R f32x4 accumulators) is updated with a broadcast of X and four
// vectors of the packed Wᵀ per step of the inner dimension: 8·R mul/add for
// 16·R multiply-adds, no fused multiply-add being available (relaxed SIMD is
// not usable with this toolchain). Elsewhere Eigen does the product.
#include "kernels/gemm.h"

#include <algorithm>
#include <limits>

#include "kernels/parallel.h"
#include "kernels/plan.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

namespace ap {
namespace {

// Output columns in blocks of 64 per task (a whole product when it is small):
// Eigen's rounding depends on a product's shape, and the blocks depend only
// on the sizes.
Mat eigen_forward(const Mat& x, const Mat& w, const RowVec& bias) {
  Mat y(x.rows(), w.rows());
  const double per_col = 2.0 * double(x.rows()) * double(x.cols()) * kFlopCost;
  parallel_ranges(int(w.rows()), per_col, 64, [&](int c0, int c1) {
    y.middleCols(c0, c1 - c0).noalias() = x * w.middleRows(c0, c1 - c0).transpose();
  });
  if (bias.size()) y.rowwise() += bias;
  return y;
}

#if defined(__wasm_simd128__)
// R rows of x (R <= 5) times one strip of Wᵀ (plus 16 floats of `add`, if
// given) into R rows of 16 floats at out, out_stride floats apart: a tile, or
// the result itself when all 16 columns belong there (the same bits either
// way: a lane's add is the scalar add). x rows are `stride` floats apart; the
// inner sum runs over k < d_in.
template <int R>
inline void block(const float* x, int stride, int d_in, const float* strip, float* out, int out_stride,
                  const float* add) {
  v128_t acc[R][4];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < 4; ++c) acc[r][c] = wasm_f32x4_splat(0.0f);
      // Two steps of k per iteration: V8 checks for interrupts on every loop
      // iteration, and halving them took the projections from 0.76-0.80 to
      // 0.80-0.87 of the peak in Chromium (0.64-0.69 to 0.74-0.81 under Node);
      // four steps spill registers and were slower. The sums keep their order.
#pragma clang loop unroll_count(2)
  for (int k = 0; k < d_in; ++k) {
    const float* b = strip + size_t(k) * kStripCols;
    const v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4), b2 = wasm_v128_load(b + 8),
                 b3 = wasm_v128_load(b + 12);
    for (int r = 0; r < R; ++r) {
      const v128_t a = wasm_f32x4_splat(x[size_t(r) * stride + k]);
      acc[r][0] = wasm_f32x4_add(acc[r][0], wasm_f32x4_mul(a, b0));
      acc[r][1] = wasm_f32x4_add(acc[r][1], wasm_f32x4_mul(a, b1));
      acc[r][2] = wasm_f32x4_add(acc[r][2], wasm_f32x4_mul(a, b2));
      acc[r][3] = wasm_f32x4_add(acc[r][3], wasm_f32x4_mul(a, b3));
    }
  }
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < 4; ++c)
      wasm_v128_store(out + size_t(r) * out_stride + c * 4,
                      add ? wasm_f32x4_add(acc[r][c], wasm_v128_load(add + c * 4)) : acc[r][c]);
}

// Rows [r, r + rows) of x (rows <= 5) times one strip, summing k < d_in.
inline void block_rows(const float* x, int stride, int rows, int d_in, const float* strip, float* out,
                       int out_stride = kStripCols, const float* add = nullptr) {
  if (rows == 5) block<5>(x, stride, d_in, strip, out, out_stride, add);
  else if (rows == 4) block<4>(x, stride, d_in, strip, out, out_stride, add);
  else if (rows == 3) block<3>(x, stride, d_in, strip, out, out_stride, add);
  else if (rows == 2) block<2>(x, stride, d_in, strip, out, out_stride, add);
  else block<1>(x, stride, d_in, strip, out, out_stride, add);
}
#endif

// The largest limit over rows [r, r + rows).
int block_limit(const std::vector<int>& limit, int r, int rows) {
  return *std::max_element(limit.begin() + r, limit.begin() + r + rows);
}

// Without the SIMD kernel, Eigen works on blocks of this many rows.
constexpr int kEigenRows = 16;

bool g_simd_on = true;

}  // namespace

void use_simd_kernels(bool on) { g_simd_on = on; }

bool simd_kernels() {
#if defined(__wasm_simd128__)
  return g_simd_on;
#else
  return false;
#endif
}

int prefix_block_rows(const std::vector<float>& strips) {
#if defined(__wasm_simd128__)
  if (!strips.empty()) return 4;
#endif
  (void)strips;
  return kEigenRows;
}

size_t strips_size(const Mat& w) {
  if (!simd_kernels()) return 0;
  return size_t((w.rows() + kStripCols - 1) / kStripCols) * size_t(w.cols()) * kStripCols;
}

void pack_strip_range(const Mat& w, int p0, int p1, std::vector<float>& p) {
  const int d_out = int(w.rows()), d_in = int(w.cols());
  p.resize(
      std::max(p.size(), size_t(p1) * d_in * kStripCols));  // grows with the ranges: each piece touches its own memory
  for (int strip = p0; strip < p1; ++strip)
    for (int k = 0; k < d_in; ++k)
      for (int c = 0; c < kStripCols; ++c)
        p[(size_t(strip) * d_in + k) * kStripCols + c] =
            strip * kStripCols + c < d_out ? w(strip * kStripCols + c, k) : 0.0f;
}

std::vector<float> pack_strips(const Mat& w) {
  std::vector<float> p;
  if (strips_size(w)) pack_strip_range(w, 0, int((w.rows() + kStripCols - 1) / kStripCols), p);
  return p;
}

Mat linear_forward_packed(const Mat& x, int d_out, const std::vector<float>& strips, const RowVec& bias) {
  const int n = int(x.rows());
  Mat y(n, d_out);
#if defined(__wasm_simd128__)
  const int d_in = int(x.cols());
  // Five rows a block: c_fc of GPT-2 (768 -> 3072) ran at 25-27 GFLOP/s under
  // Node with five or six, 22-24 with four, though 20 accumulators exceed
  // x86's 16 vector registers (V8 spills well, it seems, and each strip step
  // now feeds more rows). Every accumulator still sums its k in order, so the
  // block's height changes no bits. The causal kernels below keep four: a
  // taller block wastes more work past the diagonal.
  // Threads share the strips: each output column is one strip's alone.
  constexpr int kRows = 5;
  const int n_strips = (d_out + kStripCols - 1) / kStripCols;
  const double per_strip = 2.0 * n * d_in * kStripCols * kFlopCost;
  parallel_ranges(n_strips, per_strip, 1, [&](int s0, int s1) {
    float tile[kRows * kStripCols];
    for (int strip = s0; strip < s1; ++strip) {
      const float* pw = strips.data() + size_t(strip) * d_in * kStripCols;
      const int cols = std::min(kStripCols, d_out - strip * kStripCols);
      for (int r = 0; r < n; r += kRows) {
        const int rows = std::min(kRows, n - r);
        if (cols == kStripCols) {  // a whole strip: straight into y, the bias added in the registers
          block_rows(x.data() + size_t(r) * d_in, d_in, rows, d_in, pw,
                     y.data() + size_t(r) * d_out + strip * kStripCols, d_out,
                     bias.size() ? bias.data() + strip * kStripCols : nullptr);
          continue;
        }
        block_rows(x.data() + size_t(r) * d_in, d_in, rows, d_in, pw, tile);
        for (int i = 0; i < rows; ++i)
          for (int c = 0; c < cols; ++c)
            y(r + i, strip * kStripCols + c) =
                tile[i * kStripCols + c] + (bias.size() ? bias(strip * kStripCols + c) : 0.0f);
      }
    }
  });
#else
  // Only a SIMD build packs (strips_size), so this is not reached in use; correct all the same.
  y = eigen_forward(x, unpack_strips(strips, d_out, int(x.cols())), bias);
#endif
  return y;
}

Mat unpack_strips(const std::vector<float>& strips, int d_out, int d_in) {
  Mat w(d_out, d_in);
  for (int r = 0; r < d_out; ++r)
    for (int k = 0; k < d_in; ++k)
      w(r, k) = strips[(size_t(r / kStripCols) * d_in + k) * kStripCols + size_t(r % kStripCols)];
  return w;
}

Mat linear_forward(const Mat& x, const Mat& w, const std::vector<float>& strips, const RowVec& bias) {
#if defined(__wasm_simd128__)
  if (!strips.empty()) return linear_forward_packed(x, int(w.rows()), strips, bias);
#endif
  (void)strips;
  return eigen_forward(x, w, bias);
}

void scores_prefix(const Mat& x, const Mat& w, const std::vector<float>& strips, const std::vector<int>& limit, int r0,
                   int r1, Mat& y) {
  // Threads share the row blocks (whole blocks, so each keeps its rows).
  const double per_row = 2.0 * double(w.rows()) * double(x.cols()) * kFlopCost;
#if defined(__wasm_simd128__)
  if (!strips.empty()) {
    const int d = int(x.cols());
    const int n_kv = int(y.cols());
    parallel_ranges(r1 - r0, per_row, prefix_block_rows(strips), [&](int a, int b) {
      y.middleRows(r0 + a, b - a).setConstant(std::numeric_limits<float>::quiet_NaN());
      float tile[4 * kStripCols];
      for (int r = r0 + a; r < r0 + b; r += 4) {
        const int rows = std::min(4, r0 + b - r), stop = block_limit(limit, r, rows);
        // Strips inside every row's limit go straight into y; the last ones through the tile.
        const int full = *std::min_element(limit.begin() + r, limit.begin() + r + rows) / kStripCols;
        for (int strip = 0; strip * kStripCols < stop; ++strip) {
          if (strip < full) {
            block_rows(x.data() + size_t(r) * d, d, rows, d, strips.data() + size_t(strip) * d * kStripCols,
                       y.data() + size_t(r) * n_kv + strip * kStripCols, n_kv);
            continue;
          }
          block_rows(x.data() + size_t(r) * d, d, rows, d, strips.data() + size_t(strip) * d * kStripCols, tile);
          for (int i = 0; i < rows; ++i)
            for (int c = strip * kStripCols; c < std::min(limit[r + i], (strip + 1) * kStripCols); ++c)
              y(r + i, c) = tile[i * kStripCols + c - strip * kStripCols];
        }
      }
    });
    return;
  }
#endif
  (void)strips;
  parallel_ranges(r1 - r0, per_row, kEigenRows, [&](int a, int b) {
    y.middleRows(r0 + a, b - a).setConstant(std::numeric_limits<float>::quiet_NaN());
    for (int r = r0 + a; r < r0 + b; r += kEigenRows) {
      const int rows = std::min(kEigenRows, r0 + b - r), stop = block_limit(limit, r, rows);
      if (stop == 0) continue;
      const Mat part = x.middleRows(r, rows) * w.topRows(stop).transpose();
      for (int i = 0; i < rows; ++i) y.row(r + i).head(limit[r + i]) = part.row(i).head(limit[r + i]);
    }
  });
}

void context_prefix(const Mat& p, const Mat& vt, const std::vector<float>& strips, const std::vector<int>& limit,
                    int r0, int r1, Mat& y) {
  const int dv = int(vt.rows());
  const double per_row = 2.0 * double(p.cols()) * dv * kFlopCost;
#if defined(__wasm_simd128__)
  if (!strips.empty()) {
    const int m = int(p.cols());
    parallel_ranges(r1 - r0, per_row, prefix_block_rows(strips), [&](int a, int b) {
      float tile[4 * kStripCols];
      for (int r = r0 + a; r < r0 + b; r += 4) {
        // Past a row's own limit p is zero, so summing to the block's limit is exact.
        const int rows = std::min(4, r0 + b - r), stop = block_limit(limit, r, rows);
        for (int strip = 0; strip * kStripCols < dv; ++strip) {
          if ((strip + 1) * kStripCols <= dv) {  // a whole strip: straight into y
            block_rows(p.data() + size_t(r) * m, m, rows, stop, strips.data() + size_t(strip) * m * kStripCols,
                       y.data() + size_t(r) * dv + strip * kStripCols, dv);
            continue;
          }
          block_rows(p.data() + size_t(r) * m, m, rows, stop, strips.data() + size_t(strip) * m * kStripCols, tile);
          for (int i = 0; i < rows; ++i)
            for (int c = strip * kStripCols; c < std::min(dv, (strip + 1) * kStripCols); ++c)
              y(r + i, c) = tile[i * kStripCols + c - strip * kStripCols];
        }
      }
    });
    return;
  }
#endif
  (void)strips;
  parallel_ranges(r1 - r0, per_row, kEigenRows, [&](int a, int b) {
    for (int r = r0 + a; r < r0 + b; r += kEigenRows) {
      const int rows = std::min(kEigenRows, r0 + b - r), stop = block_limit(limit, r, rows);
      y.middleRows(r, rows).noalias() = p.block(r, 0, rows, stop) * vt.leftCols(stop).transpose();
    }
  });
}

}  // namespace ap
