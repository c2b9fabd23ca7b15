// .npy reading and writing: every supported dtype round-trips; every kind of
// malformed file is a readable error, never a crash or an out-of-bounds read.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <variant>

#include "base/rng.h"
#include "io/npy.h"

namespace {

ap::Array parse_ok(const std::string& bytes) {
  auto r = ap::parse_npy(bytes);
  if (auto* e = std::get_if<std::string>(&r)) FAIL("unexpected error: " << *e);
  return std::get<ap::Array>(r);
}

std::string parse_error(const std::string& bytes) {
  auto r = ap::parse_npy(bytes);
  REQUIRE(std::holds_alternative<std::string>(r));
  return std::get<std::string>(r);
}

// A file as NumPy 1.24 writes it: np.save of np.arange(6, dtype='<f4').reshape(2, 3).
std::string numpy_file() {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  header.append(128 - 10 - header.size() - 1, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += char(header.size());
  out += char(0);
  out += header;
  for (int i = 0; i < 6; ++i) {
    const float v = float(i);
    out.append(reinterpret_cast<const char*>(&v), 4);
  }
  return out;
}

}  // namespace

TEST_CASE("reads a file as NumPy writes it") {
  const ap::Array a = parse_ok(numpy_file());
  CHECK(a.dtype == ap::DType::F32);
  CHECK(a.shape == std::vector<int64_t>{2, 3});
  CHECK(a.values == std::vector<double>{0, 1, 2, 3, 4, 5});
  CHECK(ap::npy_bytes(a) == numpy_file());  // byte for byte what NumPy writes
}

TEST_CASE("every dtype round-trips through npy_bytes and parse_npy") {
  ap::Rng rng(3);
  for (ap::DType d : {ap::DType::F32, ap::DType::F64, ap::DType::F16, ap::DType::Bool, ap::DType::I64}) {
    ap::Array a{d, {3, 1, 4}, {}};
    for (int i = 0; i < 12; ++i) {
      const double x = rng.uniform(100.0);
      a.values.push_back(d == ap::DType::Bool  ? double(x > 0)
                         : d == ap::DType::I64 ? std::round(x * 1e9)
                         : d == ap::DType::F32 ? double(float(x))
                         : d == ap::DType::F16 ? double(ap::half_to_float(ap::float_to_half(float(x))))
                                               : x);
    }
    const ap::Array b = parse_ok(ap::npy_bytes(a));
    CAPTURE(ap::dtype_name(d));
    CHECK(b.dtype == d);
    CHECK(b.shape == a.shape);
    CHECK(b.values == a.values);
  }
  CHECK(parse_ok(ap::npy_bytes(ap::Array{ap::DType::F32, {}, {2.5}})).values == std::vector<double>{2.5});  // scalar
  CHECK(parse_ok(ap::npy_bytes(ap::Array{ap::DType::F32, {0, 3}, {}})).size() == 0);                        // empty
}

TEST_CASE("float16: every half value round-trips, and rounding is to nearest even") {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = ap::half_to_float(uint16_t(h));
    if (std::isnan(f)) continue;
    CHECK(ap::float_to_half(f) == h);
  }
  CHECK(ap::float_to_half(1.0f) == 0x3C00);
  CHECK(ap::float_to_half(65504.0f) == 0x7BFF);
  CHECK(ap::float_to_half(65520.0f) == 0x7C00);             // rounds up to infinity, as NumPy does
  CHECK(ap::float_to_half(1.0f + 0x1p-11f) == 0x3C00);      // a tie: to even
  CHECK(ap::float_to_half(1.0f + 3 * 0x1p-11f) == 0x3C02);  // a tie: to even
  CHECK(ap::float_to_half(0.1f) == 0x2E66);
  CHECK(ap::float_to_half(0x1p-24f) == 0x0001);  // smallest subnormal
  CHECK(ap::float_to_half(0x1p-26f) == 0x0000);
  CHECK(ap::half_to_float(0xFC00) == -std::numeric_limits<float>::infinity());
}

TEST_CASE("malformed files get a clear message") {
  const std::string good = numpy_file();
  CHECK(parse_error("") == "not a .npy file (no \\x93NUMPY magic)");
  CHECK(parse_error("PK\x03\x04 a zip file") == "not a .npy file (no \\x93NUMPY magic)");
  CHECK(parse_error(good.substr(0, 40)) == "the .npy header is truncated");
  CHECK(parse_error(good.substr(0, good.size() - 1)) ==
        "the file is truncated: shape (2, 3) of float32 needs 24 bytes of data, 23 follow the header");
  CHECK(parse_error(good + "x") == "1 unexpected bytes follow the data of shape (2, 3)");
  std::string v9 = good;
  v9[6] = 9;
  CHECK(parse_error(v9) == "unsupported .npy format version 9");
  const auto with_header = [&](std::string dict) {
    std::string s = good;
    dict.resize(117, ' ');
    s.replace(10, 117, dict);
    return s;
  };
  CHECK(parse_error(with_header("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }")) ==
        "dtype '>f4' is big-endian; save the array as little-endian (e.g. arr.astype('<f4'))");
  CHECK(parse_error(with_header("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }")) ==
        "dtype '<i4' is not supported: use float32, float64, float16, bool or int64");
  CHECK(parse_error(with_header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }")) ==
        "the array is in Fortran order; save it in C order (np.ascontiguousarray)");
  CHECK(parse_error(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }")) ==
        "'shape' holds something other than non-negative integers");
  CHECK(parse_error(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999, 99999999), }")) ==
        "the array (99999999, 99999999) has more than 2^26 elements");
  CHECK(parse_error(with_header("{'descr': '<f4', 'shape': (2, 3), }")) ==
        "the header lacks 'descr', 'fortran_order' or 'shape'");
  CHECK(parse_error(with_header("not a dict")) == "the header is not a Python dict");
  ap::Array b{ap::DType::Bool, {2}, {1, 0}};
  std::string bad_bool = ap::npy_bytes(b);
  bad_bool.back() = 7;
  CHECK(parse_error(bad_bool) == "bool element 1 holds 7, not 0 or 1");
}

TEST_CASE("property: random corruptions of a valid file never crash the reader") {
  const std::string good = ap::npy_bytes(ap::Array{ap::DType::F64, {4, 5}, std::vector<double>(20, 1.5)});
  ap::Rng rng(11);
  int errors = 0;
  for (int trial = 0; trial < 5000; ++trial) {
    std::string s = good;
    const int edits = 1 + int(rng.next() % 4);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      const size_t at = rng.next() % s.size();
      switch (rng.next() % 3) {
        case 0:
          s[at] = char(rng.next());
          break;
        case 1:
          s.erase(at, 1 + rng.next() % 8);
          break;
        default:
          s.resize(at);
          break;
      }
    }
    auto r = ap::parse_npy(s);
    if (auto* a = std::get_if<ap::Array>(&r)) CHECK(int64_t(a->values.size()) == a->size());
    else ++errors;
  }
  CHECK(errors > 1000);
}

TEST_CASE("read_npy and write_npy name the file in their errors") {
  auto r = ap::read_npy("/nonexistent/q.npy");
  REQUIRE(std::holds_alternative<std::string>(r));
  CHECK(std::get<std::string>(r) == "/nonexistent/q.npy: cannot open the file");
  CHECK(ap::write_npy("/nonexistent/y.npy", ap::Array{}) == "/nonexistent/y.npy: cannot create the file");
}
