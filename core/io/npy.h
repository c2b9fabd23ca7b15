// NumPy .npy files in and out. Read: format versions 1.0, 2.0 and 3.0; C or
// Fortran order; little-endian, big-endian or byte-order-free dtypes; bool,
// int8/16/32/64, uint8/16/32/64 and float16/32/64 (float16 into float32
// precision). Written: version 1.0, little-endian, C order. Anything else
// (object, string, complex or structured dtypes), or anything malformed (bad
// magic, bad header, data of another size than the header says), is a
// readable error: the reader never reads past the bytes it was given.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ap {

enum class DType { F16, F32, F64, Bool, I64, I8, I16, I32, U8, U16, U32, U64 };

struct Array {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;  // () for a scalar
  // C order (a Fortran-order file is reordered, as np.load's values read in C
  // order). Exact for every dtype: (u)int64 values beyond ±2^53, which a double
  // cannot hold exactly, are refused with a message rather than rounded.
  std::vector<double> values;

  int64_t size() const;
  std::string shape_text() const;  // "(2, 3, 4)"
};

const char* dtype_name(DType d);  // "float32", ...
bool is_float(DType d);           // float16, float32, float64
bool is_integer(DType d);         // int8 ... uint64 (not bool)
size_t dtype_size(DType d);       // bytes per element in a file

// The largest array read or written: 2^26 elements (512 MiB as doubles), far
// above what attention of the playground's sizes needs.
inline constexpr int64_t kMaxNpyElements = int64_t{1} << 26;

// bytes: the whole file. On error, one sentence says what is wrong.
std::variant<Array, std::string> parse_npy(std::string_view bytes);
std::variant<Array, std::string> read_npy(const std::string& path);  // messages start with the path

// Version 1.0, little-endian, C order, in a's dtype (integer dtypes saturate
// values outside their range; NaN becomes 0).
std::string npy_bytes(const Array& a);
// Empty on success, else the reason.
std::string write_npy(const std::string& path, const Array& a);

// Conversions of IEEE half precision (round to nearest even on the way down).
float half_to_float(uint16_t h);
uint16_t float_to_half(float f);

}  // namespace ap
