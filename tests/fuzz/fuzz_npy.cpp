// libFuzzer target: the .npy reader and the import checks. A file that
// parses holds exactly as many values as its shape says, and writes back to
// bytes that parse to the same array.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "io/export.h"
#include "io/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto r = ap::parse_npy(bytes);
  auto* a = std::get_if<ap::Array>(&r);
  if (!a) return 0;
  if (int64_t(a->values.size()) != a->size()) __builtin_trap();
  auto back = ap::parse_npy(ap::npy_bytes(*a));
  auto* b = std::get_if<ap::Array>(&back);
  if (!b || b->shape != a->shape || b->dtype != a->dtype) __builtin_trap();
  const ap::Config cfg;
  std::string error;
  for (auto role : {ap::ImportRole::X, ap::ImportRole::Q, ap::ImportRole::K, ap::ImportRole::V})
    if (!ap::import_matrix(role, *a, cfg, &error) && error.empty()) __builtin_trap();
  return 0;
}
