// libFuzzer target: the .safetensors reader (length, JSON header, every
// tensor's dtype, shape and offsets), then the GPT-2 loader on what parses
// (names, shapes against a fixed tiny config.json) and, if it loads, a
// forward over whatever values the weights hold. A file that parses reads
// every tensor within its bytes; nothing may crash, hang or read outside them.
// The loader is also fed the input in chunks of random sizes (drawn from a
// hash of the input): given the file's size it must answer as load_gpt2 does,
// the same sentence or a model whose logits have the same bits; not given
// it, a file load_gpt2 loads must load the same and one it refuses be refused.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <variant>

#include "base/rng.h"
#include "io/safetensors.h"
#include "model/gpt2.h"
#include "model/gpt2_forward.h"

namespace {
// The shape of the seed corpus' models (tests/fuzz/corpus/safetensors).
const char* const kConfig =
    R"({"model_type": "gpt2", "n_layer": 1, "n_head": 2, "n_embd": 4, "n_positions": 4, "vocab_size": 8})";

// Mostly 1 to 64 bytes a chunk, one in eight up to 4 KB, so that tensors are
// cut anywhere and sometimes arrive whole.
std::variant<ap::Gpt2Model, std::string> streamed(const std::string& bytes, uint64_t file_size) {
  ap::Gpt2Loader loader(kConfig, file_size);
  ap::Rng rng(ap::hash_bytes(bytes) + file_size);
  for (size_t at = 0; at < bytes.size();) {
    const uint64_t r = rng.next();
    const size_t n = std::min(bytes.size() - at, size_t(r % 8 == 0 ? 1 + (r >> 8) % 4096 : 1 + (r >> 8) % 64));
    if (const std::string e = loader.feed(bytes.data() + at, n); !e.empty()) {
      if (loader.feed(bytes.data(), 1) != e || loader.error() != e) __builtin_trap();  // refused from then on
      break;
    }
    at += n;
  }
  return loader.finish();
}

// The logits at the last of three tokens.
ap::Mat logits(const ap::Gpt2Model& model) {
  ap::Gpt2State s;
  if (!ap::gpt2_forward(model, {0, 7, 3}, ap::gpt2_default_edits(model.config), s).empty()) __builtin_trap();
  auto l = ap::gpt2_logits(model, s, {2});
  if (!std::holds_alternative<ap::Mat>(l)) __builtin_trap();
  return std::get<ap::Mat>(l);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto r = ap::parse_safetensors(bytes);
  if (auto* e = std::get_if<std::string>(&r)) {
    if (e->empty()) __builtin_trap();
  } else {
    for (const auto& t : std::get<ap::SafetensorsIndex>(r).tensors) {
      if (t.end > bytes.size() || t.begin > t.end) __builtin_trap();
      auto v = ap::read_safetensor(bytes, t);
      if (auto* values = std::get_if<std::vector<float>>(&v); values && int64_t(values->size()) != t.size())
        __builtin_trap();
    }
  }
  const auto m = ap::load_gpt2(kConfig, bytes);
  const auto known = streamed(bytes, bytes.size()), unknown = streamed(bytes, 0);
  if (auto* e = std::get_if<std::string>(&m)) {
    if (e->empty()) __builtin_trap();
    if (!std::holds_alternative<std::string>(known) || std::get<std::string>(known) != *e) __builtin_trap();
    if (!std::holds_alternative<std::string>(unknown) || std::get<std::string>(unknown).empty()) __builtin_trap();
    return 0;
  }
  const ap::Gpt2Model& model = std::get<ap::Gpt2Model>(m);
  const ap::Mat want = logits(model);
  for (const auto* other : {&known, &unknown}) {
    const ap::Gpt2Model* o = std::get_if<ap::Gpt2Model>(other);
    if (!o || o->notes != model.notes) __builtin_trap();
    const ap::Mat got = logits(*o);
    if (got.size() != want.size() || std::memcmp(got.data(), want.data(), sizeof(float) * size_t(want.size())) != 0)
      __builtin_trap();
  }
  return 0;
}
