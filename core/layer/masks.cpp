// The mask kinds (masks.h): each marks a run of keys per query row, so the
// loops stay simple enough for the compiler to vectorise (a million cells at
// 1024 tokens).
#include "layer/masks.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "layer/trace.h"

namespace ap {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Adds `flag` to keys [from, to) of a row of n keys, clipped to the row.
void mark(uint8_t* why, int64_t n, int64_t from, int64_t to, uint8_t flag) {
  for (int64_t j = std::max<int64_t>(from, 0); j < std::min<int64_t>(to, n); ++j) why[j] |= flag;
}

// One mask kind: its flag, its reason in words, and the keys it blocks on
// query row i (its `why` row has n_kv flags).
struct MaskKind {
  Block flag;
  const char* reason;
  void (*apply)(const Config& cfg, const Trace& t, int i, uint8_t* why);
};

const MaskKind kKinds[] = {
    {kBlockCausal, "causal mask (key after the query)",
     [](const Config& cfg, const Trace& t, int i, uint8_t* why) {
       if (cfg.causal) mark(why, t.n_kv, int64_t(i) + t.causal_offset + 1, t.n_kv, kBlockCausal);
     }},
    {kBlockWindow, "outside the sliding window",
     [](const Config& cfg, const Trace& t, int i, uint8_t* why) {
       if (cfg.window <= 0) return;  // blocked at a distance of `window` or more: behind, and ahead without causal
       const int64_t diagonal = int64_t(i) + t.causal_offset;  // the key "at" query i's position
       mark(why, t.n_kv, 0, diagonal - cfg.window + 1, kBlockWindow);
       if (!cfg.causal) mark(why, t.n_kv, diagonal + cfg.window, t.n_kv, kBlockWindow);
     }},
    {kBlockKeyPad, "the key is [PAD]",
     [](const Config& cfg, const Trace& t, int, uint8_t* why) {
       if (cfg.mask_pad_keys)
         for (int j = 0; j < t.n_kv; ++j) why[j] |= t.kv_pad[size_t(j)] ? kBlockKeyPad : 0;
     }},
    {kBlockQueryPad, "the query is [PAD]",
     [](const Config& cfg, const Trace& t, int i, uint8_t* why) {
       if (cfg.mask_pad_queries && t.q_pad[size_t(i)]) mark(why, t.n_kv, 0, t.n_kv, kBlockQueryPad);
     }},
    {kBlockCustom, "custom mask",
     [](const Config& cfg, const Trace& t, int i, uint8_t* why) {
       if (cfg.custom_mask.empty()) return;
       const auto& row = cfg.custom_mask[size_t(i)];
       for (int j = 0; j < t.n_kv; ++j) why[j] |= row[size_t(j)] ? 0 : kBlockCustom;
     }},
    {kBlockFloatMask, "float mask is -inf",
     [](const Config& cfg, const Trace& t, int i, uint8_t* why) {
       if (cfg.float_mask.empty()) return;
       const auto& row = cfg.float_mask[size_t(i)];
       for (int j = 0; j < t.n_kv; ++j) why[j] |= row[size_t(j)] == kNegInf ? kBlockFloatMask : 0;
     }},
};

}  // namespace

int causal_offset(const Config& cfg, int n_q, int n_kv) {
  if (cfg.kv_cache > 0 && cfg.cross_text.empty()) return cfg.kv_cache;  // the cache is the past: bottom-right
  return cfg.causal_align == CausalAlign::BottomRight ? n_kv - n_q : 0;
}

void build_mask_rows(const Config& cfg, int r0, int r1, Trace& t) {
  const int n = t.n_kv;
  for (int i = r0; i < r1; ++i) {
    const size_t at = size_t(i) * size_t(n);
    uint8_t* why = t.blocked_by.data() + at;
    std::fill(why, why + n, uint8_t{0});
    for (const MaskKind& k : kKinds) k.apply(cfg, t, i, why);
    float* bias = t.bias.data() + at;
    uint8_t* allowed = t.allowed.data() + at;
    if (!cfg.float_mask.empty()) {
      const std::vector<float>& extra = cfg.float_mask[size_t(i)];
      for (int j = 0; j < n; ++j) bias[j] = why[j] ? kNegInf : extra[size_t(j)];
    } else {
      for (int j = 0; j < n; ++j) bias[j] = why[j] ? kNegInf : 0.0f;
    }
    for (int j = 0; j < n; ++j) allowed[j] = why[j] == 0;  // a float mask's −inf has its flag
  }
}

std::string block_reason(uint8_t flags) {
  std::string out;
  for (const MaskKind& k : kKinds)
    if (flags & k.flag) out += std::string(out.empty() ? "blocked: " : "; ") + k.reason;
  return out;
}

}  // namespace ap
