// libFuzzer target: the .safetensors reader (length, JSON header, every
// tensor's dtype, shape and offsets), then the GPT-2 loader on what parses
// (names, shapes against a fixed tiny config.json) and, if it loads, a
// forward over whatever values the weights hold. A file that parses reads
// every tensor within its bytes; nothing may crash, hang or read outside them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "io/safetensors.h"
#include "model/gpt2.h"
#include "model/gpt2_forward.h"

namespace {
// The shape of the seed corpus' models (tests/fuzz/corpus/safetensors).
const char* const kConfig =
    R"({"model_type": "gpt2", "n_layer": 1, "n_head": 2, "n_embd": 4, "n_positions": 4, "vocab_size": 8})";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto r = ap::parse_safetensors(bytes);
  if (auto* e = std::get_if<std::string>(&r)) {
    if (e->empty()) __builtin_trap();
    return 0;
  }
  for (const auto& t : std::get<ap::SafetensorsIndex>(r).tensors) {
    if (t.end > bytes.size() || t.begin > t.end) __builtin_trap();
    auto v = ap::read_safetensor(bytes, t);
    if (auto* values = std::get_if<std::vector<float>>(&v); values && int64_t(values->size()) != t.size())
      __builtin_trap();
  }
  auto m = ap::load_gpt2(kConfig, bytes);
  if (auto* e = std::get_if<std::string>(&m)) {
    if (e->empty()) __builtin_trap();
    return 0;
  }
  const ap::Gpt2Model& model = std::get<ap::Gpt2Model>(m);
  ap::Gpt2State s;
  if (!ap::gpt2_forward(model, {0, 7, 3}, ap::gpt2_default_edits(model.config), s).empty()) __builtin_trap();
  if (!std::holds_alternative<ap::Mat>(ap::gpt2_logits(model, s, {2}))) __builtin_trap();
  return 0;
}
