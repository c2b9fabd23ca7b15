// Multi-head attention, the way nn.MultiheadAttention computes it:
// project -> split -> transpose -> attend -> concat -> project,
// keeping every intermediate in a Trace. Self- or cross-attention, with
// grouped-query heads, a KV cache and every mask of the Config.
#pragma once
#include "config.h"
#include "inputs.h"
#include "trace.h"

namespace ap {

// Precondition: validate(cfg) is empty and `in` came from make_inputs(cfg).
Trace run(const Config& cfg, const Inputs& in);

}  // namespace ap
