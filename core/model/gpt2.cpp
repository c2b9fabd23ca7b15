// GPT-2's config.json, sizes and weights' products: see gpt2.h. Loading
// the weights is in gpt2_load.cpp.
#include "model/gpt2.h"

#include <nlohmann/json.hpp>

#include "base/format.h"
#include "config/config.h"
#include "kernels/gemm.h"

namespace ap {
namespace {

using nlohmann::json;

// [SECTION] config.json

// An integer field in [lo, hi]; `present` says whether it was there.
std::string int_field(const json& j, const char* key, int lo, int hi, int& out, bool& present) {
  const auto it = j.find(key);
  present = it != j.end() && !it->is_null();
  if (!present) return "";
  // nlohmann keeps integers as signed or unsigned 64-bit (is_number_integer is true for both); lo >= 0.
  if (!it->is_number_integer())
    return format("config.json: %s must be an integer, not %s", key, it->dump().substr(0, 40).c_str());
  const bool in_range = it->is_number_unsigned()
                            ? it->get<uint64_t>() >= uint64_t(lo) && it->get<uint64_t>() <= uint64_t(hi)
                            : it->get<int64_t>() >= lo && it->get<int64_t>() <= hi;
  if (!in_range) return format("config.json: %s must be between %d and %d (got %s)", key, lo, hi, it->dump().c_str());
  out = int(it->get<int64_t>());
  return "";
}

std::string bool_field(const json& j, const char* key, bool& out) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  if (!it->is_boolean())
    return format("config.json: %s must be true or false, not %s", key, it->dump().substr(0, 40).c_str());
  out = it->get<bool>();
  return "";
}

// The limits of config.json's sizes: those of the attention layer that shows
// a chosen layer (config.h), and bounds that keep every size product in range.
constexpr int kMaxLayers = 256, kMaxPositions = 1 << 16, kMaxVocab = 1 << 20, kMaxInner = 1 << 16;

}  // namespace

std::variant<Gpt2Config, std::string> parse_gpt2_config(std::string_view text) {
  const json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::string("config.json is not valid JSON");
  if (!j.is_object()) return std::string("config.json is not a JSON object");
  Gpt2Config c;
  if (const auto it = j.find("model_type"); it != j.end() && !(it->is_string() && it->get<std::string>() == "gpt2"))
    return "config.json describes a " + (it->is_string() ? "'" + it->get<std::string>() + "'" : it->dump()) +
           " model (model_type), not GPT-2";
  struct Size {
    const char* key;
    int lo, hi;
    int* out;
  };
  const Size sizes[] = {{"n_layer", 1, kMaxLayers, &c.n_layer},
                        {"n_head", 1, Limits::max_heads, &c.n_head},
                        {"n_embd", 1, Limits::max_d_model, &c.n_embd},
                        {"vocab_size", 1, kMaxVocab, &c.vocab_size}};
  for (const Size& s : sizes) {
    bool present = false;
    if (std::string e = int_field(j, s.key, s.lo, s.hi, *s.out, present); !e.empty()) return e;
    if (!present) return format("config.json has no %s", s.key);
  }
  bool has_positions = false, has_ctx = false, has_inner = false;
  if (std::string e = int_field(j, "n_positions", 1, kMaxPositions, c.n_positions, has_positions); !e.empty()) return e;
  if (!has_positions) {
    if (std::string e = int_field(j, "n_ctx", 1, kMaxPositions, c.n_positions, has_ctx); !e.empty()) return e;
    if (!has_ctx) return std::string("config.json has neither n_positions nor n_ctx (the most tokens)");
  }
  if (c.n_embd % c.n_head != 0)
    return format("config.json: n_embd %d is not divisible by n_head %d", c.n_embd, c.n_head);
  if (std::string e = int_field(j, "n_inner", 1, kMaxInner, c.n_inner, has_inner); !e.empty()) return e;
  if (!has_inner) c.n_inner = 4 * c.n_embd;
  if (const auto it = j.find("layer_norm_epsilon"); it != j.end()) {
    if (!it->is_number() || !(it->get<double>() > 0) || !(it->get<double>() < 1))
      return "config.json: layer_norm_epsilon must be a number between 0 and 1 (got " + it->dump().substr(0, 40) + ")";
    c.layer_norm_epsilon = it->get<double>();
  }
  if (const auto it = j.find("activation_function"); it != j.end()) {
    if (!it->is_string()) return std::string("config.json: activation_function must be a string");
    c.activation_function = it->get<std::string>();
    const std::string& a = c.activation_function;
    if (a != "gelu_new" && a != "gelu_pytorch_tanh" && a != "gelu_fast")
      return "config.json: activation_function '" + a +
             "' is not supported: this forward uses GELU's tanh approximation (gelu_new, gelu_pytorch_tanh or "
             "gelu_fast)";
  }
  for (auto [key, out] : {std::pair{"tie_word_embeddings", &c.tie_word_embeddings},
                          {"scale_attn_weights", &c.scale_attn_weights},
                          {"scale_attn_by_inverse_layer_idx", &c.scale_attn_by_inverse_layer_idx}})
    if (std::string e = bool_field(j, key, *out); !e.empty()) return e;
  return c;
}

int64_t gpt2_parameters(const Gpt2Config& c) {
  const int64_t d = c.n_embd, m = c.n_inner;
  const int64_t block = 4 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * m + m) + (m * d + d);
  return int64_t(c.vocab_size) * d * (c.tie_word_embeddings ? 1 : 2) + int64_t(c.n_positions) * d + c.n_layer * block +
         2 * d;
}

size_t gpt2_weight_bytes(const Gpt2Config& c) {
  // Only the unembedding's row count (vocab) is not a multiple of 16 in
  // GPT-2; its strips are padded to whole strips in a SIMD build.
  const int64_t pad = simd_kernels() ? (kStripCols - c.vocab_size % kStripCols) % kStripCols : 0;
  const int64_t extra = pad * c.n_embd * (c.tie_word_embeddings ? 1 : 2);
  int64_t padded_blocks = 0;  // the other products' d_out padded likewise (nothing for GPT-2's sizes)
  if (simd_kernels()) {
    const auto padded = [](int64_t d_out) { return (kStripCols - d_out % kStripCols) % kStripCols; };
    const int64_t d = c.n_embd, m = c.n_inner;
    padded_blocks = c.n_layer * (4 * padded(d) * d + padded(m) * d + padded(d) * m);
  }
  return size_t(gpt2_parameters(c) + extra + padded_blocks) * sizeof(float);
}

std::string gpt2_weights_fit(const Gpt2Config& c, size_t limit) {
  const size_t need = gpt2_weight_bytes(c);
  if (need <= limit) return "";
  return format("this model's %lld parameters need %.0f MiB as float32; the limit is %.0f MiB",
                (long long)gpt2_parameters(c), double(need) / (1 << 20), double(limit) / (1 << 20));
}

Mat Gpt2Linear::forward(const Mat& x) const {
  static const std::vector<float> none;
  return strips.empty() ? linear_forward(x, weight, none, bias) : linear_forward_packed(x, d_out, strips, bias);
}

Mat Gpt2Linear::unpacked() const { return strips.empty() ? weight : unpack_strips(strips, d_out, d_in); }

float Gpt2Linear::at(int row, int col) const {
  if (strips.empty()) return weight(row, col);
  return strips[(size_t(row / kStripCols) * d_in + col) * kStripCols + size_t(row % kStripCols)];
}

size_t Gpt2Linear::bytes() const {
  return sizeof(float) * (size_t(weight.size()) + strips.size() + size_t(bias.size()));
}

size_t Gpt2Model::bytes() const {
  const auto ln = [](const Gpt2LayerNorm& l) { return sizeof(float) * size_t(l.gain.size() + l.bias.size()); };
  size_t b = wte.bytes() + lm_head.bytes() + sizeof(float) * size_t(wpe.size()) + ln(ln_f);
  for (const Gpt2Block& k : blocks)
    b +=
        ln(k.ln_1) + ln(k.ln_2) + k.q.bytes() + k.k.bytes() + k.v.bytes() + k.o.bytes() + k.fc.bytes() + k.proj.bytes();
  return b;
}

}  // namespace ap
