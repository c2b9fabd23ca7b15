// Multi-head self-attention, the way nn.MultiheadAttention computes it:
// project -> split -> transpose -> attend -> concat -> project,
// keeping every intermediate in a Trace.
#pragma once
#include "config.h"
#include "inputs.h"
#include "trace.h"

namespace ap {

// Precondition: validate(cfg) is empty and `in` came from make_inputs(cfg).
Trace run(const Config& cfg, const Inputs& in);

// Softmax of each row, stable (the row's max is subtracted first).
// −inf entries get exactly 0; a row that is all −inf becomes all 0 (ONNX's
// rule for fully masked rows) and is reported through *fully_masked.
// s: [rows x cols] -> [rows x cols]
Mat softmax_rows(const Mat& s, std::vector<int>* fully_masked = nullptr);

}  // namespace ap
