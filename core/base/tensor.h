// Eigen aliases shared by core/, the tests and the views.
// Row-major throughout, so a matrix's data() is laid out like a NumPy/PyTorch
// tensor in C order and can be handed to JavaScript without a transpose.
#pragma once
#include <Eigen/Core>
#include <cstdint>

namespace ap {

using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVec = Eigen::Matrix<float, 1, Eigen::Dynamic>;
// A boolean matrix stored as bytes: 1 = true. Used for masks.
using MaskMat = Eigen::Array<uint8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

}  // namespace ap
