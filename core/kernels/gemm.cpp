// The projection kernel: see gemm.h. On wasm SIMD128 a 4 x 16 register block
// (16 f32x4 accumulators) is updated with a broadcast of X and four vectors of
// the packed Wᵀ per step of the inner dimension: 32 mul/add for 64
// multiply-adds, no fused multiply-add being available (relaxed SIMD is not
// usable with this toolchain). Elsewhere Eigen does the product.
#include "kernels/gemm.h"

#include <algorithm>
#include <limits>

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

namespace ap {
namespace {

Mat eigen_forward(const Mat& x, const Mat& w, const RowVec& bias) {
  Mat y(x.rows(), w.rows());
  y.noalias() = x * w.transpose();
  if (bias.size()) y.rowwise() += bias;
  return y;
}

#if defined(__wasm_simd128__)
// R rows of x (R <= 4) times one panel of Wᵀ into out[R][16].
// x rows are `stride` floats apart; the inner sum runs over k < d_in.
template <int R>
inline void block(const float* x, int stride, int d_in, const float* panel, float* out) {
  v128_t acc[R][4];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < 4; ++c) acc[r][c] = wasm_f32x4_splat(0.0f);
      // Two steps of k per iteration: V8 checks for interrupts on every loop
      // iteration, and halving them took the projections from 0.76-0.80 to
      // 0.80-0.87 of the peak in Chromium (0.64-0.69 to 0.74-0.81 under Node);
      // four steps spill registers and were slower. The sums keep their order.
#pragma clang loop unroll_count(2)
  for (int k = 0; k < d_in; ++k) {
    const float* b = panel + size_t(k) * kPanel;
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
    for (int c = 0; c < 4; ++c) wasm_v128_store(out + r * kPanel + c * 4, acc[r][c]);
}

// Rows [r, r + rows) of x (rows <= 4) times one panel, summing k < d_in.
inline void block_rows(const float* x, int stride, int rows, int d_in, const float* panel, float* tile) {
  if (rows == 4) block<4>(x, stride, d_in, panel, tile);
  else if (rows == 3) block<3>(x, stride, d_in, panel, tile);
  else if (rows == 2) block<2>(x, stride, d_in, panel, tile);
  else block<1>(x, stride, d_in, panel, tile);
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

size_t panels_size(const Mat& w) {
  if (!simd_kernels()) return 0;
  return size_t((w.rows() + kPanel - 1) / kPanel) * size_t(w.cols()) * kPanel;
}

void pack_panel_range(const Mat& w, int p0, int p1, std::vector<float>& p) {
  const int d_out = int(w.rows()), d_in = int(w.cols());
  p.resize(std::max(p.size(), size_t(p1) * d_in * kPanel));  // grows with the ranges: each piece touches its own memory
  for (int panel = p0; panel < p1; ++panel)
    for (int k = 0; k < d_in; ++k)
      for (int c = 0; c < kPanel; ++c)
        p[(size_t(panel) * d_in + k) * kPanel + c] = panel * kPanel + c < d_out ? w(panel * kPanel + c, k) : 0.0f;
}

std::vector<float> pack_panels(const Mat& w) {
  std::vector<float> p;
  if (panels_size(w)) pack_panel_range(w, 0, int((w.rows() + kPanel - 1) / kPanel), p);
  return p;
}

Mat linear_forward(const Mat& x, const Mat& w, const std::vector<float>& panels, const RowVec& bias) {
#if defined(__wasm_simd128__)
  if (!panels.empty()) {
    const int n = int(x.rows()), d_in = int(w.cols()), d_out = int(w.rows());
    Mat y(n, d_out);
    float tile[4 * kPanel];
    for (int panel = 0; panel * kPanel < d_out; ++panel) {
      const float* pw = panels.data() + size_t(panel) * d_in * kPanel;
      const int cols = std::min(kPanel, d_out - panel * kPanel);
      for (int r = 0; r < n; r += 4) {
        const int rows = std::min(4, n - r);
        block_rows(x.data() + size_t(r) * d_in, d_in, rows, d_in, pw, tile);
        for (int i = 0; i < rows; ++i)
          for (int c = 0; c < cols; ++c)
            y(r + i, panel * kPanel + c) = tile[i * kPanel + c] + (bias.size() ? bias(panel * kPanel + c) : 0.0f);
      }
    }
    return y;
  }
#endif
  (void)panels;
  return eigen_forward(x, w, bias);
}

void scores_prefix(const Mat& x, const Mat& w, const std::vector<float>& panels, const std::vector<int>& limit, int r0,
                   int r1, Mat& y) {
  y.middleRows(r0, r1 - r0).setConstant(std::numeric_limits<float>::quiet_NaN());
#if defined(__wasm_simd128__)
  if (!panels.empty()) {
    const int d = int(x.cols());
    float tile[4 * kPanel];
    for (int r = r0; r < r1; r += 4) {
      const int rows = std::min(4, r1 - r), stop = block_limit(limit, r, rows);
      for (int panel = 0; panel * kPanel < stop; ++panel) {
        block_rows(x.data() + size_t(r) * d, d, rows, d, panels.data() + size_t(panel) * d * kPanel, tile);
        for (int i = 0; i < rows; ++i)
          for (int c = panel * kPanel; c < std::min(limit[r + i], (panel + 1) * kPanel); ++c)
            y(r + i, c) = tile[i * kPanel + c - panel * kPanel];
      }
    }
    return;
  }
#endif
  (void)panels;
  for (int r = r0; r < r1; r += kEigenRows) {
    const int rows = std::min(kEigenRows, r1 - r), stop = block_limit(limit, r, rows);
    if (stop == 0) continue;
    const Mat part = x.middleRows(r, rows) * w.topRows(stop).transpose();
    for (int i = 0; i < rows; ++i) y.row(r + i).head(limit[r + i]) = part.row(i).head(limit[r + i]);
  }
}

void context_prefix(const Mat& p, const Mat& vt, const std::vector<float>& panels, const std::vector<int>& limit,
                    int r0, int r1, Mat& y) {
  const int dv = int(vt.rows());
#if defined(__wasm_simd128__)
  if (!panels.empty()) {
    const int m = int(p.cols());
    float tile[4 * kPanel];
    for (int r = r0; r < r1; r += 4) {
      // Past a row's own limit p is zero, so summing to the block's limit is exact.
      const int rows = std::min(4, r1 - r), stop = block_limit(limit, r, rows);
      for (int panel = 0; panel * kPanel < dv; ++panel) {
        block_rows(p.data() + size_t(r) * m, m, rows, stop, panels.data() + size_t(panel) * m * kPanel, tile);
        for (int i = 0; i < rows; ++i)
          for (int c = panel * kPanel; c < std::min(dv, (panel + 1) * kPanel); ++c)
            y(r + i, c) = tile[i * kPanel + c - panel * kPanel];
      }
    }
    return;
  }
#endif
  (void)panels;
  (void)dv;
  for (int r = r0; r < r1; r += kEigenRows) {
    const int rows = std::min(kEigenRows, r1 - r), stop = block_limit(limit, r, rows);
    y.middleRows(r, rows).noalias() = p.block(r, 0, rows, stop) * vt.leftCols(stop).transpose();
  }
}

}  // namespace ap
