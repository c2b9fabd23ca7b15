// Y = X·Wᵀ + b, the product of every projection, with a blocked kernel on
// WebAssembly SIMD128 (wasm builds) and Eigen elsewhere. W is packed once into
// column panels of Wᵀ, so the kernel streams it in order.
#pragma once
#include <vector>

#include "tensor.h"

namespace ap {

inline constexpr int kPanel = 16;  // output columns per panel: four f32x4 registers

// Wᵀ of a [d_out x d_in] weight as panels of kPanel output columns: panel p
// holds rows k = 0..d_in-1 of Wᵀ[:, p·kPanel .. p·kPanel + kPanel), zero-padded.
// Empty when the build has no SIMD kernel (Eigen then uses W as it is).
std::vector<float> pack_panels(const Mat& weight);

// x: [n x d_in], weight: [d_out x d_in] -> [n x d_out] = x·Wᵀ + bias.
// Uses `panels` (from pack_panels(weight)) when given, else Eigen.
Mat linear_forward(const Mat& x, const Mat& weight, const std::vector<float>& panels, const RowVec& bias);

// True when pack_panels packs: a wasm build with -msimd128 (and not switched off).
bool simd_kernels();
// Switches the SIMD kernel off (or back on), so the benchmark can time the
// same layer with Eigen alone as its baseline.
void use_simd_kernels(bool on);

}  // namespace ap
