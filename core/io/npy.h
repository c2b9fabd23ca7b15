// NumPy .npy files in and out: float32, float64, float16 (read into float32
// precision), bool and int64, in C order. Anything else, or anything
// malformed (bad magic, bad header, truncated data), is a readable error:
// the reader never reads past the bytes it was given.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ap {

enum class DType { F16, F32, F64, Bool, I64 };

struct Array {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;  // () for a scalar
  std::vector<double> values;  // C order; exact for every dtype (int64 up to ±2^53)

  int64_t size() const;
  std::string shape_text() const;  // "(2, 3, 4)"
};

const char* dtype_name(DType d);  // "float32", ...

// The largest array read or written: 2^26 elements (512 MiB as doubles), far
// above what attention of the playground's sizes needs.
inline constexpr int64_t kMaxNpyElements = int64_t{1} << 26;

// bytes: the whole file. On error, the message says what is wrong.
std::variant<Array, std::string> parse_npy(std::string_view bytes);
std::variant<Array, std::string> read_npy(const std::string& path);  // messages start with the path

std::string npy_bytes(const Array& a);  // version 1.0, little-endian, in a's dtype
// Empty on success, else the reason.
std::string write_npy(const std::string& path, const Array& a);

// Conversions of IEEE half precision (round to nearest even on the way down).
float half_to_float(uint16_t h);
uint16_t float_to_half(float f);

}  // namespace ap
