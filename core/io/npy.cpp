// .npy reading and writing: see npy.h. The header is a Python dict literal,
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }, parsed here by
// a small recursive-descent reader that accepts exactly that subset.
#include "io/npy.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

namespace ap {
namespace {

// [SECTION] header dict

struct Header {
  std::string descr;
  bool fortran = false;
  std::vector<int64_t> shape;
  bool has_descr = false, has_fortran = false, has_shape = false;
};

class DictParser {
 public:
  explicit DictParser(std::string_view s) : s_(s) {}

  std::string parse(Header& h) {
    skip();
    if (!eat('{')) return "the header is not a Python dict";
    for (;;) {
      skip();
      if (eat('}')) break;
      std::string key;
      if (!string(key)) return "a header key is not a quoted string";
      skip();
      if (!eat(':')) return "the header lacks ':' after '" + key + "'";
      skip();
      if (key == "descr") {
        if (peek('[')) return "the array has a structured dtype (named fields): save each field as its own array";
        if (!string(h.descr)) return "'descr' is not a string";
        h.has_descr = true;
      } else if (key == "fortran_order") {
        if (word("True")) h.fortran = true;
        else if (word("False")) h.fortran = false;
        else return "'fortran_order' is not True or False";
        h.has_fortran = true;
      } else if (key == "shape") {
        if (std::string e = tuple(h.shape); !e.empty()) return e;
        h.has_shape = true;
      } else {
        return "the header has an unexpected key '" + key + "'";
      }
      skip();
      if (eat(',')) continue;
      skip();
      if (eat('}')) break;
      return "the header dict is malformed after '" + key + "'";
    }
    if (!h.has_descr || !h.has_fortran || !h.has_shape) return "the header lacks 'descr', 'fortran_order' or 'shape'";
    return "";
  }

 private:
  void skip() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool peek(char c) const { return i_ < s_.size() && s_[i_] == c; }
  bool eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool word(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  bool string(std::string& out) {
    if (i_ >= s_.size() || (s_[i_] != '\'' && s_[i_] != '"')) return false;
    const char quote = s_[i_++];
    const size_t end = s_.find(quote, i_);
    if (end == std::string_view::npos || end - i_ > 64) return false;
    out = std::string(s_.substr(i_, end - i_));
    i_ = end + 1;
    return true;
  }
  std::string tuple(std::vector<int64_t>& out) {
    if (!eat('(')) return "'shape' is not a tuple";
    for (;;) {
      skip();
      if (eat(')')) return "";
      int64_t v = 0;
      size_t digits = 0;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
        if (++digits > 12) return "a dimension in 'shape' is too large";
        v = v * 10 + (s_[i_++] - '0');
      }
      if (digits == 0) return "'shape' holds something other than non-negative integers";
      if (out.size() >= 32) return "'shape' has more than 32 dimensions";
      out.push_back(v);
      skip();
      if (eat(',')) continue;
      skip();
      if (eat(')')) return "";
      return "'shape' is malformed";
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

struct DTypeInfo {
  DType dtype;
  bool swap;  // big-endian in the file: bytes reversed on a little-endian host
};

std::variant<DTypeInfo, std::string> parse_descr(const std::string& d) {
  if (d.size() < 2) return "dtype '" + d + "' is not understood";
  const char order = d[0];
  const std::string kind = d.substr(1);
  // '|' (no byte order) and '=' (native) read as the host's order, as np.load does.
  if (order != '<' && order != '>' && order != '|' && order != '=')
    return "dtype '" + d + "' has an unknown byte order";
  static const std::pair<const char*, DType> kinds[] = {{"b1", DType::Bool}, {"i1", DType::I8},  {"i2", DType::I16},
                                                        {"i4", DType::I32},  {"i8", DType::I64}, {"u1", DType::U8},
                                                        {"u2", DType::U16},  {"u4", DType::U32}, {"u8", DType::U64},
                                                        {"f2", DType::F16},  {"f4", DType::F32}, {"f8", DType::F64}};
  for (const auto& [name, dtype] : kinds)
    if (kind == name) return DTypeInfo{dtype, order == '>' && dtype_size(dtype) > 1};
  const char c = kind[0];
  if (c == 'c') return "dtype '" + d + "' is complex, which is not supported: save the real and imaginary parts apart";
  if (c == 'O') return "dtype '" + d + "' holds Python objects, which cannot be read without running Python";
  if (c == 'U' || c == 'S' || c == 'a') return "dtype '" + d + "' holds strings, which are not supported: save numbers";
  return "dtype '" + d + "' is not supported: use bool, (u)int8/16/32/64 or float16/32/64";
}

static_assert(std::endian::native == std::endian::little, "the .npy reader and writer assume a little-endian host");

template <typename T>
T load(const char* p, bool swap) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, p, sizeof bytes);
  if (swap) std::reverse(bytes, bytes + sizeof bytes);
  T v;
  std::memcpy(&v, bytes, sizeof v);
  return v;
}

// One element of the file as a double; an error names the element by its C-order flat index.
std::string element(DType d, const char* p, bool swap, size_t at, double& out) {
  switch (d) {
    case DType::F16:
      out = half_to_float(load<uint16_t>(p, swap));
      return "";
    case DType::F32:
      out = load<float>(p, swap);
      return "";
    case DType::F64:
      out = load<double>(p, swap);
      return "";
    case DType::Bool: {
      const unsigned char v = static_cast<unsigned char>(*p);
      if (v > 1) return "bool element " + std::to_string(at) + " holds " + std::to_string(v) + ", not 0 or 1";
      out = v;
      return "";
    }
    case DType::I8:
      out = load<int8_t>(p, swap);
      return "";
    case DType::I16:
      out = load<int16_t>(p, swap);
      return "";
    case DType::I32:
      out = load<int32_t>(p, swap);
      return "";
    case DType::U8:
      out = load<uint8_t>(p, swap);
      return "";
    case DType::U16:
      out = load<uint16_t>(p, swap);
      return "";
    case DType::U32:
      out = load<uint32_t>(p, swap);
      return "";
    case DType::I64: {
      const int64_t v = load<int64_t>(p, swap);
      if (v > (int64_t{1} << 53) || v < -(int64_t{1} << 53))
        return "int64 element " + std::to_string(at) + " is beyond ±2^53, which this reader does not keep exactly";
      out = double(v);
      return "";
    }
    case DType::U64: {
      const uint64_t v = load<uint64_t>(p, swap);
      if (v > (uint64_t{1} << 53))
        return "uint64 element " + std::to_string(at) + " is beyond 2^53, which this reader does not keep exactly";
      out = double(v);
      return "";
    }
  }
  return "unknown dtype";
}

// v in T's range (NaN as 0): the writer's integer dtypes never overflow.
template <typename T>
T saturate(double v) {
  if (std::isnan(v)) return 0;
  if (v <= double(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
  if (v >= double(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return T(v);
}

}  // namespace

// [SECTION] public API

int64_t Array::size() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string Array::shape_text() const {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

const char* dtype_name(DType d) {
  switch (d) {
    case DType::F16:
      return "float16";
    case DType::F32:
      return "float32";
    case DType::F64:
      return "float64";
    case DType::Bool:
      return "bool";
    case DType::I64:
      return "int64";
    case DType::I8:
      return "int8";
    case DType::I16:
      return "int16";
    case DType::I32:
      return "int32";
    case DType::U8:
      return "uint8";
    case DType::U16:
      return "uint16";
    case DType::U32:
      return "uint32";
    case DType::U64:
      return "uint64";
  }
  return "?";
}

bool is_float(DType d) { return d == DType::F16 || d == DType::F32 || d == DType::F64; }
bool is_integer(DType d) { return !is_float(d) && d != DType::Bool; }

size_t dtype_size(DType d) {
  switch (d) {
    case DType::Bool:
    case DType::I8:
    case DType::U8:
      return 1;
    case DType::F16:
    case DType::I16:
    case DType::U16:
      return 2;
    case DType::F32:
    case DType::I32:
    case DType::U32:
      return 4;
    case DType::F64:
    case DType::I64:
    case DType::U64:
      return 8;
  }
  return 8;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h >> 15) << 31, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
  if (exp == 0x1F) {  // inf or NaN
    const uint32_t bits = sign | 0x7F800000u | (mant << 13);
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  const float magnitude = exp == 0 ? std::ldexp(float(mant), -24) : std::ldexp(float(mant | 0x400), int(exp) - 25);
  return sign ? -magnitude : magnitude;
}

uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint16_t sign = uint16_t((x >> 16) & 0x8000);
  const float a = std::fabs(f);
  if (std::isnan(f)) return uint16_t(sign | 0x7E00);
  if (a >= 65520.0f) return uint16_t(sign | 0x7C00);  // rounds to infinity
  if (a < 0x1p-25f) return sign;                      // rounds to zero
  int e;
  std::frexp(a, &e);  // a = m·2^e, m in [0.5, 1)
  // Half keeps 11 significant bits; below 2^-14 the spacing is fixed at 2^-24.
  const int shift = std::max(e - 11, -24);
  const float q = std::nearbyint(std::ldexp(a, -shift));  // round half to even (default rounding mode)
  const float r = std::ldexp(q, shift);
  int er;
  std::frexp(r, &er);
  if (r < 0x1p-14f) return uint16_t(sign | uint16_t(std::ldexp(r, 24)));  // subnormal
  const uint16_t exp_bits = uint16_t(er - 1 + 15), mant = uint16_t(std::ldexp(r, 11 - er)) & 0x3FF;
  return uint16_t(sign | (exp_bits << 10) | mant);
}

std::variant<Array, std::string> parse_npy(std::string_view b) {
  static const char magic[] = "\x93NUMPY";
  if (b.size() < 10 || std::memcmp(b.data(), magic, 6) != 0)
    return std::string("not a .npy file (no \\x93NUMPY magic)");
  const int major = static_cast<unsigned char>(b[6]);
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = size_t(static_cast<unsigned char>(b[8])) | size_t(static_cast<unsigned char>(b[9])) << 8;
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) return std::string("the .npy header is truncated");
    header_len = size_t(load<uint32_t>(b.data() + 8, false));
    offset = 12;
  } else {
    return "unsupported .npy format version " + std::to_string(major);
  }
  if (header_len > 1 << 20 || offset + header_len > b.size()) return std::string("the .npy header is truncated");
  Header h;
  if (std::string e = DictParser(b.substr(offset, header_len)).parse(h); !e.empty()) return e;
  const auto info = parse_descr(h.descr);
  if (auto* e = std::get_if<std::string>(&info)) return *e;
  const DTypeInfo t = std::get<DTypeInfo>(info);

  Array a;
  a.dtype = t.dtype;
  a.shape = h.shape;
  int64_t n = 1;
  for (int64_t d : a.shape) {
    if (d != 0 && n > kMaxNpyElements / d) return "the array " + a.shape_text() + " has more than 2^26 elements";
    n *= d;
  }
  if (n > kMaxNpyElements) return "the array " + a.shape_text() + " has more than 2^26 elements";
  const size_t item = dtype_size(t.dtype), data_bytes = size_t(n) * item, available = b.size() - offset - header_len;
  if (available < data_bytes)
    return "the file is truncated: shape " + a.shape_text() + " of " + dtype_name(t.dtype) + " needs " +
           std::to_string(data_bytes) + " bytes of data, " + std::to_string(available) + " follow the header";
  if (available > data_bytes)
    return std::to_string(available - data_bytes) + " unexpected bytes follow the data of shape " + a.shape_text();

  // A Fortran-order file holds the first axis fastest: element i of the file
  // goes to the C-order index `at`, stepped like an odometer over the shape.
  const size_t rank = a.shape.size();
  std::vector<int64_t> index(rank, 0), stride(rank, 1);
  if (n > 0)  // then every axis is >= 1 and no product exceeds n
    for (size_t d = rank; d-- > 1;) stride[d - 1] = stride[d] * a.shape[d];
  const char* p = b.data() + offset + header_len;
  a.values.resize(size_t(n));
  int64_t at = 0;
  for (int64_t i = 0; i < n; ++i, p += item) {
    const size_t to = size_t(h.fortran ? at : i);
    if (std::string e = element(t.dtype, p, t.swap, to, a.values[to]); !e.empty()) return e;
    if (!h.fortran) continue;
    for (size_t d = 0; d < rank; ++d) {
      at += stride[d];
      if (++index[d] < a.shape[d]) break;
      at -= stride[d] * a.shape[d];
      index[d] = 0;
    }
  }
  return a;
}

std::variant<Array, std::string> read_npy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return path + ": cannot open the file";
  f.seekg(0, std::ios::end);
  const std::streamoff size = f.tellg();
  if (size < 0 || size > (std::streamoff(kMaxNpyElements) * 8 + (1 << 20))) return path + ": the file is too large";
  std::string bytes(size_t(size), '\0');
  f.seekg(0);
  f.read(bytes.data(), size);
  if (!f) return path + ": cannot read the file";
  auto r = parse_npy(bytes);
  if (auto* e = std::get_if<std::string>(&r)) return path + ": " + *e;
  return r;
}

std::string npy_bytes(const Array& a) {
  static const char* const descrs[] = {"<f2", "<f4", "<f8", "|b1", "<i8", "|i1",
                                       "<i2", "<i4", "|u1", "<u2", "<u4", "<u8"};
  const char* descr = descrs[size_t(a.dtype)];
  std::string dict =
      std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + a.shape_text() + ", }";
  // Pad with spaces so the data starts on a 64-byte boundary, ending in '\n'.
  const size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  std::string out = std::string("\x93NUMPY\x01\x00", 8);
  out += char(dict.size() & 0xFF);
  out += char(dict.size() >> 8);
  out += dict;
  const auto put = [&](const auto v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); };
  for (double v : a.values) {
    switch (a.dtype) {
      case DType::F32:
        put(float(v));
        break;
      case DType::F64:
        put(v);
        break;
      case DType::F16:
        put(float_to_half(float(v)));
        break;
      case DType::Bool:
        put(uint8_t(v != 0));
        break;
      case DType::I64:
        put(saturate<int64_t>(v));
        break;
      case DType::I8:
        put(saturate<int8_t>(v));
        break;
      case DType::I16:
        put(saturate<int16_t>(v));
        break;
      case DType::I32:
        put(saturate<int32_t>(v));
        break;
      case DType::U8:
        put(saturate<uint8_t>(v));
        break;
      case DType::U16:
        put(saturate<uint16_t>(v));
        break;
      case DType::U32:
        put(saturate<uint32_t>(v));
        break;
      case DType::U64:
        put(saturate<uint64_t>(v));
        break;
    }
  }
  return out;
}

std::string write_npy(const std::string& path, const Array& a) {
  std::ofstream f(path, std::ios::binary);
  if (!f) return path + ": cannot create the file";
  const std::string bytes = npy_bytes(a);
  f.write(bytes.data(), std::streamsize(bytes.size()));
  return f ? "" : path + ": cannot write the file";
}

}  // namespace ap
