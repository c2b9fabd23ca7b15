// libFuzzer target: the URL fragment parser. Whatever a link holds, the
// result is a valid config, and it survives a round trip through the URL.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view query(reinterpret_cast<const char*>(data), size);
  const ap::QueryApplied r = ap::apply_query(ap::Config{}, query, {"panel", "head", "tensor", "embed"});
  if (!ap::validate(r.config).empty()) __builtin_trap();
  const ap::QueryApplied again = ap::apply_query(ap::Config{}, ap::config_to_query(r.config), {});
  if (!again.notes.empty() || !(again.config == r.config)) __builtin_trap();
  return 0;
}
