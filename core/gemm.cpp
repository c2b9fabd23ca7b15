// The projection kernel: see gemm.h. On wasm SIMD128 a 4 x 16 register block
// (16 f32x4 accumulators) is updated with a broadcast of X and four vectors of
// the packed Wᵀ per step of the inner dimension: 32 mul/add for 64
// multiply-adds, no fused multiply-add being available (relaxed SIMD is not
// usable with this toolchain). Elsewhere Eigen does the product.
#include "gemm.h"

#include <algorithm>

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
template <int R>
inline void block(const float* x, int d_in, const float* panel, float* out) {
  v128_t acc[R][4];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < 4; ++c) acc[r][c] = wasm_f32x4_splat(0.0f);
  for (int k = 0; k < d_in; ++k) {
    const float* b = panel + size_t(k) * kPanel;
    const v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4), b2 = wasm_v128_load(b + 8),
                 b3 = wasm_v128_load(b + 12);
    for (int r = 0; r < R; ++r) {
      const v128_t a = wasm_f32x4_splat(x[size_t(r) * d_in + k]);
      acc[r][0] = wasm_f32x4_add(acc[r][0], wasm_f32x4_mul(a, b0));
      acc[r][1] = wasm_f32x4_add(acc[r][1], wasm_f32x4_mul(a, b1));
      acc[r][2] = wasm_f32x4_add(acc[r][2], wasm_f32x4_mul(a, b2));
      acc[r][3] = wasm_f32x4_add(acc[r][3], wasm_f32x4_mul(a, b3));
    }
  }
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < 4; ++c) wasm_v128_store(out + r * kPanel + c * 4, acc[r][c]);
}
#endif

}  // namespace

namespace {
bool g_simd_on = true;
}

void use_simd_kernels(bool on) { g_simd_on = on; }

bool simd_kernels() {
#if defined(__wasm_simd128__)
  return g_simd_on;
#else
  return false;
#endif
}

std::vector<float> pack_panels(const Mat& w) {
  if (!simd_kernels()) return {};
  const int d_out = int(w.rows()), d_in = int(w.cols()), panels = (d_out + kPanel - 1) / kPanel;
  std::vector<float> p(size_t(panels) * size_t(d_in) * kPanel, 0.0f);
  for (int panel = 0; panel < panels; ++panel)
    for (int k = 0; k < d_in; ++k)
      for (int c = 0; c < kPanel && panel * kPanel + c < d_out; ++c)
        p[(size_t(panel) * d_in + k) * kPanel + c] = w(panel * kPanel + c, k);
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
        const float* xr = x.data() + size_t(r) * d_in;
        const int rows = std::min(4, n - r);
        if (rows == 4) block<4>(xr, d_in, pw, tile);
        else if (rows == 3) block<3>(xr, d_in, pw, tile);
        else if (rows == 2) block<2>(xr, d_in, pw, tile);
        else block<1>(xr, d_in, pw, tile);
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

}  // namespace ap
