// libFuzzer target: the .npy reader, the import checks and the homework
// check. A file that parses holds exactly as many values as its shape says,
// writes back to bytes that parse to the same array, and gets a verdict
// against every homework target of a small layer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "analysis/homework.h"
#include "io/export.h"
#include "io/npy.h"
#include "layer/attention.h"
#include "small_layer.h"

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
  const ap::Config& small = small_layer();
  static const ap::Inputs in = ap::make_inputs(small);
  static const ap::Trace t = ap::run(small, in);
  for (const char* target : {"", "weights", "context", "output"}) {
    const ap::HomeworkReport h = ap::check_homework(small, in, t, *a, target);
    if (h.verdict.empty() || (h.correct && !h.compared)) __builtin_trap();
  }
  return 0;
}
