// libFuzzer target: the .npz reader (zip directory, stored and deflated
// entries, CRCs, size limits, then each entry's .npy). An archive that parses
// holds arrays of exactly the sizes their shapes say, and writes back to an
// archive that parses to the same names, dtypes and shapes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "io/npz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto r = ap::parse_npz(bytes);
  auto* arrays = std::get_if<0>(&r);
  if (!arrays) {
    if (std::get<std::string>(r).empty()) __builtin_trap();
    return 0;
  }
  if (arrays->empty()) __builtin_trap();
  for (const auto& [name, a] : *arrays)
    if (int64_t(a.values.size()) != a.size()) __builtin_trap();
  auto back = ap::parse_npz(ap::npz_bytes(*arrays));
  auto* again = std::get_if<0>(&back);
  if (!again || again->size() != arrays->size()) __builtin_trap();
  for (size_t i = 0; i < arrays->size(); ++i) {
    const auto& [name, a] = (*arrays)[i];
    const auto& [name2, b] = (*again)[i];
    if (name2 != name || b.dtype != a.dtype || b.shape != a.shape) __builtin_trap();
  }
  return 0;
}
