// Every mask of the playground's layer, in one place: which cells each one
// blocks, why (in words, for the views), where the causal diagonal sits, and
// how they fold into the one additive bias the kernel adds to the scores.
// Internal convention, as in F.scaled_dot_product_attention and ONNX:
// 1 = the query may attend to the key. A new mask kind is a flag and a row
// of the table in masks.cpp (plus its Config field and its widget).
#pragma once
#include <cstdint>
#include <string>

#include "config/config.h"

namespace ap {

struct Trace;

// Why a cell is blocked: bit flags, so a view can explain it without
// re-deriving the mask rules.
enum Block : uint8_t {
  kBlockCausal = 1,
  kBlockWindow = 2,
  kBlockKeyPad = 4,
  kBlockQueryPad = 8,
  kBlockCustom = 16,
  kBlockFloatMask = 32,  // the float mask holds −inf there
};

// The causal offset: query i may attend to key j when j <= i + offset.
int causal_offset(const Config& cfg, int n_q, int n_kv);

// Rows [r0, r1) of t.blocked_by (every mask's flags), t.bias (0 where
// allowed, −inf where blocked, plus the float mask) and t.allowed. Needs
// t's sizes, pads and causal_offset, and the three matrices sized.
void build_mask_rows(const Config& cfg, int r0, int r1, Trace& t);

// "blocked: causal mask (key after the query); the key is [PAD]", or "" for 0.
std::string block_reason(uint8_t flags);

}  // namespace ap
