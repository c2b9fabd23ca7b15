// .npy reading and writing: see npy.h. The header is a Python dict literal,
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }, parsed here by
// a small recursive-descent reader that accepts exactly that subset.
#include "io/npy.h"

#include <cmath>
#include <cstring>
#include <fstream>
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
  size_t size;
};

std::variant<DTypeInfo, std::string> parse_descr(const std::string& d) {
  if (d.size() < 3) return "dtype '" + d + "' is not understood";
  const char order = d[0];
  const std::string kind = d.substr(1);
  if (order == '>' && kind != "b1" && kind != "u1" && kind != "i1")
    return "dtype '" + d + "' is big-endian; save the array as little-endian (e.g. arr.astype('<" + kind + "'))";
  if (order != '<' && order != '|' && order != '=') return "dtype '" + d + "' has an unknown byte order";
  if (kind == "f4") return DTypeInfo{DType::F32, 4};
  if (kind == "f8") return DTypeInfo{DType::F64, 8};
  if (kind == "f2") return DTypeInfo{DType::F16, 2};
  if (kind == "b1") return DTypeInfo{DType::Bool, 1};
  if (kind == "i8") return DTypeInfo{DType::I64, 8};
  return "dtype '" + d + "' is not supported: use float32, float64, float16, bool or int64";
}

template <typename T>
T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);  // little-endian hosts only (x86, wasm, arm64)
  return v;
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
  }
  return "?";
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
    header_len = size_t(load<uint32_t>(b.data() + 8));
    offset = 12;
  } else {
    return "unsupported .npy format version " + std::to_string(major);
  }
  if (header_len > 1 << 20 || offset + header_len > b.size()) return std::string("the .npy header is truncated");
  Header h;
  if (std::string e = DictParser(b.substr(offset, header_len)).parse(h); !e.empty()) return e;
  if (h.fortran) return std::string("the array is in Fortran order; save it in C order (np.ascontiguousarray)");
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
  const size_t data_bytes = size_t(n) * t.size, available = b.size() - offset - header_len;
  if (available < data_bytes)
    return "the file is truncated: shape " + a.shape_text() + " of " + dtype_name(t.dtype) + " needs " +
           std::to_string(data_bytes) + " bytes of data, " + std::to_string(available) + " follow the header";
  if (available > data_bytes)
    return std::to_string(available - data_bytes) + " unexpected bytes follow the data of shape " + a.shape_text();

  const char* p = b.data() + offset + header_len;
  a.values.resize(size_t(n));
  for (int64_t i = 0; i < n; ++i, p += t.size) {
    switch (t.dtype) {
      case DType::F32:
        a.values[size_t(i)] = load<float>(p);
        break;
      case DType::F64:
        a.values[size_t(i)] = load<double>(p);
        break;
      case DType::F16:
        a.values[size_t(i)] = half_to_float(load<uint16_t>(p));
        break;
      case DType::Bool: {
        const unsigned char v = static_cast<unsigned char>(*p);
        if (v > 1) return "bool element " + std::to_string(i) + " holds " + std::to_string(v) + ", not 0 or 1";
        a.values[size_t(i)] = v;
        break;
      }
      case DType::I64: {
        const int64_t v = load<int64_t>(p);
        if (v > (int64_t{1} << 53) || v < -(int64_t{1} << 53))
          return "int64 element " + std::to_string(i) + " is beyond ±2^53, which this reader does not keep exactly";
        a.values[size_t(i)] = double(v);
        break;
      }
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
  const char* descr = a.dtype == DType::F32    ? "<f4"
                      : a.dtype == DType::F64  ? "<f8"
                      : a.dtype == DType::F16  ? "<f2"
                      : a.dtype == DType::Bool ? "|b1"
                                               : "<i8";
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
        put(int64_t(v));
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
