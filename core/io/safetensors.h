// Hugging Face .safetensors files: an 8-byte little-endian header length, a
// JSON header {name: {"dtype", "shape", "data_offsets": [begin, end]}, ...,
// "__metadata__": {...}}, then the tensors' bytes (offsets count from the
// end of the header). Parsed from bytes in memory, as the browser hands them
// over; every range is checked before anything is read, and a bad file is
// one sentence, never a crash. F32, F16 and BF16 tensors read as float32;
// a tensor of another dtype is listed (a model may ignore it) but refused by
// name when read.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ap {

// The header of GPT-2 XL, the largest GPT-2, is about 40 KB; 16 MiB leaves
// room for any model with tens of thousands of tensors and bounds what a
// bad length can make the JSON parser allocate.
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = uint64_t{16} << 20;

struct SafetensorsEntry {
  std::string name;
  std::string dtype;            // as the file names it: "F32", "F16", "BF16", "I64", "BOOL", ...
  std::vector<int64_t> shape;   // () for a scalar
  uint64_t begin = 0, end = 0;  // the tensor's bytes in the file: [begin, end), absolute offsets

  int64_t size() const;            // elements: the product of the shape
  std::string shape_text() const;  // "(768, 2304)", "()" for a scalar
  bool readable() const;           // F32, F16 or BF16
};

struct SafetensorsIndex {
  uint64_t data_begin = 0;                                    // 8 + the header's length
  uint64_t file_size = 0;                                     // as given to the parser
  std::vector<SafetensorsEntry> tensors;                      // sorted by name; __metadata__ is not one
  const SafetensorsEntry* find(std::string_view name) const;  // nullptr if absent
};

// Bytes a reader needs from the start of the file to parse its header
// (8 + the header's length), from at least its first 8 bytes; checks the
// length against the limit and the file's size.
std::variant<uint64_t, std::string> safetensors_header_size(std::string_view first_bytes, uint64_t file_size);
// The header alone: `prefix` holds at least safetensors_header_size() bytes
// of a file of `file_size` bytes (a download can read these first and refuse
// a file before fetching the rest). Every tensor's range is checked against
// file_size: inside the data, of exactly product(shape) · dtype size bytes,
// and no two overlapping.
std::variant<SafetensorsIndex, std::string> parse_safetensors_header(std::string_view prefix, uint64_t file_size);
// A whole file in memory.
std::variant<SafetensorsIndex, std::string> parse_safetensors(std::string_view bytes);

// Elements [first, first + count) of a tensor, in C order, as float32 into
// out[0, count). `bytes` is the file from its start (at least to e.end).
// Empty on success; otherwise why (a dtype other than F32/F16/BF16, a range
// outside the tensor or the bytes).
std::string read_safetensor(std::string_view bytes, const SafetensorsEntry& e, int64_t first, int64_t count,
                            float* out);
// Every element of a tensor as float32.
std::variant<std::vector<float>, std::string> read_safetensor(std::string_view bytes, const SafetensorsEntry& e);

// A tensor to write: float32 values in C order, stored as F32, F16 or BF16
// (rounded to nearest even).
struct SafetensorOut {
  std::vector<int64_t> shape;
  std::vector<float> values;
  std::string dtype = "F32";
};
// A file as the safetensors library writes one: tensors sorted by name, laid
// out in that order without gaps, the header padded with spaces to a multiple
// of 8 bytes. Metadata, if any, goes to "__metadata__".
std::string safetensors_bytes(const std::vector<std::pair<std::string, SafetensorOut>>& tensors,
                              const std::vector<std::pair<std::string, std::string>>& metadata = {});

// bfloat16 <-> float32 (the upper 16 bits; rounding to nearest even on the way down).
float bf16_to_float(uint16_t b);
uint16_t float_to_bf16(float f);

}  // namespace ap
