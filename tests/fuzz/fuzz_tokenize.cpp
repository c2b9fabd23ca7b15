// libFuzzer target: the tokenizer on arbitrary bytes. Tokens are never empty,
// and on valid UTF-8 every token is valid UTF-8 (no character is cut).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "text/tokenize.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool valid = !ap::find_invalid_utf8(text);
  size_t total = 0;
  for (const auto& t : ap::tokenize(text)) {
    if (t.empty()) __builtin_trap();
    if (valid && ap::find_invalid_utf8(t)) __builtin_trap();
    total += t.size();
  }
  if (total > size) __builtin_trap();
  return 0;
}
