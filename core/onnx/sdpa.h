// Scaled dot-product attention with the semantics of ONNX's Attention
// operator (opset 23/24): 4D (B, H, S, D) or 3D (B, S, H·D) inputs, GQA/MQA,
// bool, integer or float masks with broadcasting, causal (with ONNX's alignment
// rules), softcap, a past key/value cache and nonpad_kv_seqlen. Every head is
// computed by the same kernel as the playground (kernels/head.h).
#pragma once
#include <string>
#include <variant>

#include "config/config.h"
#include "io/npy.h"

namespace ap {

struct SdpaInputs {
  const Array* q = nullptr;  // (B, Hq, Sq, D) or (B, Sq, Hq·D)
  const Array* k = nullptr;  // (B, Hkv, Skv, D) or (B, Skv, Hkv·D)
  const Array* v = nullptr;  // (B, Hkv, Skv, Dv) or (B, Skv, Hkv·Dv)
  // bool or any integer dtype (nonzero = may attend, as NumPy masks saved as uint8
  // or int32 mean), or float (added to the scores); broadcasts to (B, Hq, Sq, T)
  const Array* mask = nullptr;
  const Array* past_key = nullptr;          // (B, Hkv, P, D), prepended to K
  const Array* past_value = nullptr;        // (B, Hkv, P, Dv)
  const Array* nonpad_kv_seqlen = nullptr;  // int64 (B,): keys from this index on are padding
};

struct SdpaOptions {
  int q_heads = 0, kv_heads = 0;  // required for 3D inputs
  double scale = 0;               // 0 = 1/√D
  double softcap = 0;
  bool causal = false;
  int qk_mode = -1;  // -1: no qk output; 0 scaled, 1 softcapped, 2 + bias, 3 softmax
  FullyMasked fully_masked = FullyMasked::Zero;
};

struct SdpaOutputs {
  Array y;                           // like Q: (B, Hq, Sq, Dv) or (B, Sq, Hq·Dv)
  Array present_key, present_value;  // (B, Hkv, T, ·), when a past was given
  Array qk;                          // (B, Hq, Sq, T), when qk_mode >= 0
  Array weights;                     // (B, Hq, Sq, T): the softmax probabilities
};

// On error, one sentence saying what is wrong with which input.
std::variant<SdpaOutputs, std::string> sdpa(const SdpaInputs& in, const SdpaOptions& o);

}  // namespace ap
