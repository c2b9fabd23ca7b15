// .safetensors reading and writing: see safetensors.h. nlohmann-json parses
// the header (without exceptions); every number in it is checked before it
// is used as a size or an offset.
#include "io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "base/json_nesting.h"
#include "io/npy.h"

namespace ap {
namespace {

using nlohmann::json;

// Bytes per element of every dtype the format defines (sub-byte ones aside):
// the ranges of tensors that are not read are checked all the same.
int dtype_bytes(std::string_view d) {
  static const std::pair<const char*, int> sizes[] = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2}, {"U16", 2}, {"F16", 2},
      {"BF16", 2}, {"I32", 4}, {"U32", 4}, {"F32", 4},     {"I64", 8},     {"U64", 8}, {"F64", 8}};
  for (const auto& [name, size] : sizes)
    if (d == name) return size;
  return 0;
}

uint64_t load_le64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | uint64_t(static_cast<unsigned char>(p[i]));
  return v;
}

// A JSON value that is a non-negative integer (nlohmann keeps those that fit
// in 64 bits as unsigned or integer; larger ones and fractions as floats).
bool non_negative_integer(const json& v, uint64_t& out) {
  if (v.is_number_unsigned()) {
    out = v.get<uint64_t>();
    return true;
  }
  if (v.is_number_integer() && v.get<int64_t>() >= 0) {
    out = uint64_t(v.get<int64_t>());
    return true;
  }
  return false;
}

std::string in_quotes(const std::string& name) { return "'" + name + "'"; }

// One tensor's entry, checked on its own: its dtype, shape and offsets
// against the data's size (overlaps are checked over all of them later).
std::string read_entry(const std::string& name, const json& v, uint64_t data_begin, uint64_t data_size,
                       SafetensorsEntry& e) {
  const std::string t = "tensor " + in_quotes(name);
  if (!v.is_object()) return t + " is not described by a JSON object";
  const auto dtype = v.find("dtype"), shape = v.find("shape"), offsets = v.find("data_offsets");
  if (dtype == v.end() || shape == v.end() || offsets == v.end())
    return t + " lacks \"dtype\", \"shape\" or \"data_offsets\"";
  if (!dtype->is_string()) return t + " has a \"dtype\" that is not a string";
  e.name = name;
  e.dtype = dtype->get<std::string>();
  const int elem = dtype_bytes(e.dtype);
  if (elem == 0) return t + " has dtype " + in_quotes(e.dtype) + ", which is not a safetensors dtype this reader knows";
  if (!shape->is_array()) return t + " has a \"shape\" that is not a list";
  if (shape->size() > 32) return t + " has more than 32 dimensions";
  // The product is bounded by the data's size as it grows, so it cannot overflow.
  uint64_t elements = 1;
  bool too_big = false;
  for (const json& d : *shape) {
    uint64_t n = 0;
    if (!non_negative_integer(d, n))
      return t + " has a \"shape\" that holds something other than non-negative integers";
    e.shape.push_back(int64_t(std::min<uint64_t>(n, uint64_t(INT64_MAX))));
    if (n == 0) elements = 0;
    else if (elements > 0 && (too_big || n > data_size / elem / elements)) too_big = true;
    else elements *= n;
  }
  if (!offsets->is_array() || offsets->size() != 2) return t + " has \"data_offsets\" that are not a pair [begin, end]";
  uint64_t begin = 0, end = 0;
  if (!non_negative_integer((*offsets)[0], begin) || !non_negative_integer((*offsets)[1], end))
    return t + " has \"data_offsets\" that are not non-negative integers";
  if (begin > end)
    return t + " has data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
           "] that end before they begin";
  if (end > data_size)
    return t + " has data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
           "] that end past the file's " + std::to_string(data_size) + " bytes of data";
  if (too_big && elements > 0)
    return t + " has shape " + e.shape_text() + " of " + e.dtype + ", more bytes than the file holds";
  if (end - begin != elements * uint64_t(elem))
    return t + " has shape " + e.shape_text() + " of " + e.dtype + ", which needs " +
           std::to_string(elements * uint64_t(elem)) + " bytes, but its data_offsets [" + std::to_string(begin) + ", " +
           std::to_string(end) + "] hold " + std::to_string(end - begin);
  e.begin = data_begin + begin;
  e.end = data_begin + end;
  return "";
}

// A lookup table: 65,536 floats built once make F16 conversion a load per element.
const std::vector<float>& half_table() {
  static const std::vector<float> table = [] {
    std::vector<float> t(1 << 16);
    for (uint32_t h = 0; h < t.size(); ++h) t[h] = half_to_float(uint16_t(h));
    return t;
  }();
  return table;
}

uint16_t load_le16(const char* p) {
  return uint16_t(uint16_t(static_cast<unsigned char>(p[0])) | uint16_t(static_cast<unsigned char>(p[1])) << 8);
}

}  // namespace

int64_t SafetensorsEntry::size() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string SafetensorsEntry::shape_text() const {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}

bool SafetensorsEntry::readable() const { return dtype == "F32" || dtype == "F16" || dtype == "BF16"; }

const SafetensorsEntry* SafetensorsIndex::find(std::string_view name) const {
  const auto it = std::lower_bound(tensors.begin(), tensors.end(), name,
                                   [](const SafetensorsEntry& e, std::string_view n) { return e.name < n; });
  return it != tensors.end() && it->name == name ? &*it : nullptr;
}

std::variant<uint64_t, std::string> safetensors_header_size(std::string_view first, uint64_t file_size) {
  if (first.size() < 8 || file_size < 8)
    return std::string("not a .safetensors file: it is shorter than the 8 bytes that give the header's length");
  const uint64_t n = load_le64(first.data());
  if (n < 2) return "not a .safetensors file: its header length is " + std::to_string(n) + " bytes";
  if (n > kMaxSafetensorsHeaderBytes)
    return "the .safetensors header claims " + std::to_string(n) + " bytes; the limit is " +
           std::to_string(kMaxSafetensorsHeaderBytes >> 20) + " MiB";
  if (n > file_size - 8)
    return "the .safetensors file is truncated: its header needs " + std::to_string(n) + " bytes, and " +
           std::to_string(file_size - 8) + " follow the length";
  return 8 + n;
}

std::variant<SafetensorsIndex, std::string> parse_safetensors_header(std::string_view prefix, uint64_t file_size) {
  auto size = safetensors_header_size(prefix, file_size);
  if (auto* e = std::get_if<std::string>(&size)) return *e;
  const uint64_t data_begin = std::get<uint64_t>(size);
  if (prefix.size() < data_begin)
    return "only " + std::to_string(prefix.size()) + " bytes of the file were given; its header needs " +
           std::to_string(data_begin);
  const std::string_view text = prefix.substr(8, data_begin - 8);
  if (text[0] != '{') return std::string("the .safetensors header is not a JSON object (it does not start with '{')");
  // The header nests three deep (the header, a tensor, its shape).
  if (ap::json_nesting(text) > 3) return std::string("the .safetensors header nests deeper than a tensor's shape");
  // nlohmann keeps the last of two equal keys; a file that names a tensor twice is refused instead.
  std::set<std::string> keys;
  std::string duplicate;
  const json::parser_callback_t cb = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth == 1 && parsed.is_string() &&
        !keys.insert(parsed.get<std::string>()).second && duplicate.empty())
      duplicate = parsed.get<std::string>();
    return true;
  };
  const json j = json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::string("the .safetensors header is not valid JSON");
  if (!j.is_object()) return std::string("the .safetensors header is not a JSON object");
  if (!duplicate.empty()) return "the .safetensors header names tensor " + in_quotes(duplicate) + " twice";
  SafetensorsIndex index;
  index.data_begin = data_begin;
  index.file_size = file_size;
  for (const auto& [name, v] : j.items()) {
    if (name == "__metadata__") continue;  // free-form strings: nothing the reader needs
    SafetensorsEntry e;
    if (std::string err = read_entry(name, v, data_begin, file_size - data_begin, e); !err.empty()) return err;
    index.tensors.push_back(std::move(e));
  }
  // Sorted by name already (nlohmann's objects are std::maps); overlaps are found in the order of the data.
  std::vector<const SafetensorsEntry*> by_offset;
  for (const auto& e : index.tensors)
    if (e.end > e.begin) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const SafetensorsEntry* a, const SafetensorsEntry* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_offset.size(); ++i)
    if (by_offset[i]->begin < by_offset[i - 1]->end)
      return "tensors " + in_quotes(by_offset[i - 1]->name) + " and " + in_quotes(by_offset[i]->name) +
             " overlap in the file's data";
  return index;
}

std::variant<SafetensorsIndex, std::string> parse_safetensors(std::string_view bytes) {
  return parse_safetensors_header(bytes, bytes.size());
}

std::string read_safetensor(std::string_view bytes, const SafetensorsEntry& e, int64_t first, int64_t count,
                            float* out) {
  if (!e.readable())
    return "tensor " + in_quotes(e.name) + " has dtype " + e.dtype + "; only F32, F16 and BF16 tensors are read";
  if (first < 0 || count < 0 || first > e.size() || count > e.size() - first)
    return "elements [" + std::to_string(first) + ", " + std::to_string(first + count) + ") are outside tensor " +
           in_quotes(e.name) + " of shape " + e.shape_text();
  if (e.end > bytes.size())
    return "tensor " + in_quotes(e.name) + " ends at byte " + std::to_string(e.end) + ", past the " +
           std::to_string(bytes.size()) + " bytes given";
  if (count == 0) return "";  // an empty tensor: its (null) buffer is not touched
  const int elem = dtype_bytes(e.dtype);
  const char* p = bytes.data() + e.begin + uint64_t(first) * uint64_t(elem);
  const size_t n = size_t(count);
  if (e.dtype == "F32") {
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(out, p, n * 4);
    } else {
      for (size_t i = 0; i < n; ++i) {
        const uint32_t bits = uint32_t(load_le16(p + 4 * i)) | uint32_t(load_le16(p + 4 * i + 2)) << 16;
        std::memcpy(out + i, &bits, 4);
      }
    }
  } else if (e.dtype == "F16") {
    const float* table = half_table().data();
    for (size_t i = 0; i < n; ++i) out[i] = table[load_le16(p + 2 * i)];
  } else {
    for (size_t i = 0; i < n; ++i) out[i] = bf16_to_float(load_le16(p + 2 * i));
  }
  return "";
}

std::variant<std::vector<float>, std::string> read_safetensor(std::string_view bytes, const SafetensorsEntry& e) {
  if (!e.readable()) return read_safetensor(bytes, e, 0, 0, nullptr);
  std::vector<float> v(size_t(e.size()));
  if (std::string err = read_safetensor(bytes, e, 0, e.size(), v.data()); !err.empty()) return err;
  return v;
}

float bf16_to_float(uint16_t b) {
  const uint32_t bits = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t float_to_bf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if (std::isnan(f)) return uint16_t((bits >> 16) | 0x40);  // stays a (quiet) NaN
  bits += 0x7FFF + ((bits >> 16) & 1);                      // round to nearest, ties to even
  return uint16_t(bits >> 16);
}

std::string safetensors_bytes(const std::vector<std::pair<std::string, SafetensorOut>>& tensors,
                              const std::vector<std::pair<std::string, std::string>>& metadata) {
  std::vector<const std::pair<std::string, SafetensorOut>*> sorted;
  for (const auto& t : tensors) sorted.push_back(&t);
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  json header = json::object();
  if (!metadata.empty()) {
    json m = json::object();
    for (const auto& [k, v] : metadata) m[k] = v;
    header["__metadata__"] = m;
  }
  std::string data;
  for (const auto* t : sorted) {
    const SafetensorOut& o = t->second;
    const size_t begin = data.size();
    for (float v : o.values) {
      if (o.dtype == "F32") {
        uint32_t bits;
        std::memcpy(&bits, &v, 4);
        for (int i = 0; i < 4; ++i) data += char((bits >> (8 * i)) & 0xFF);
      } else {
        const uint16_t h = o.dtype == "F16" ? float_to_half(v) : float_to_bf16(v);
        data += char(h & 0xFF), data += char(h >> 8);
      }
    }
    header[t->first] = {{"dtype", o.dtype}, {"shape", o.shape}, {"data_offsets", {begin, data.size()}}};
  }
  std::string text = header.dump(-1, ' ', false, json::error_handler_t::replace);
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out;
  for (int i = 0; i < 8; ++i) out += char((uint64_t(text.size()) >> (8 * i)) & 0xFF);
  return out + text + data;
}

}  // namespace ap
