// .npy reading and writing: every supported dtype round-trips; every kind of
// malformed file is a readable error, never a crash or an out-of-bounds read.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <variant>

#include "base/rng.h"
#include "io/npy.h"
#include "io/npz.h"
#include "numpy_helpers.h"

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
  using D = ap::DType;
  for (D d : {D::F32, D::F64, D::F16, D::Bool, D::I64, D::I8, D::I16, D::I32, D::U8, D::U16, D::U32, D::U64}) {
    ap::Array a{d, {3, 1, 4}, {}};
    // Integers within each dtype's range: |x| < 100 times a scale that fits.
    const double scale = ap::dtype_size(d) == 1 ? 1 : ap::dtype_size(d) == 2 ? 100 : ap::dtype_size(d) == 4 ? 1e6 : 1e9;
    const bool is_unsigned = d == D::U8 || d == D::U16 || d == D::U32 || d == D::U64;
    for (int i = 0; i < 12; ++i) {
      const double x = rng.uniform(100.0);
      a.values.push_back(d == D::Bool        ? double(x > 0)
                         : ap::is_integer(d) ? std::round((is_unsigned ? std::abs(x) : x) * scale)
                         : d == D::F32       ? double(float(x))
                         : d == D::F16       ? double(ap::half_to_float(ap::float_to_half(float(x))))
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
  CHECK(parse_error(with_header("{'descr': '<x4', 'fortran_order': False, 'shape': (2, 3), }")) ==
        "dtype '<x4' is not supported: use bool, (u)int8/16/32/64 or float16/32/64");
  CHECK(parse_error(with_header("{'descr': '!f4', 'fortran_order': False, 'shape': (2, 3), }")) ==
        "dtype '!f4' has an unknown byte order");
  CHECK(parse_error(with_header("{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }")) ==
        "dtype '<c8' is complex, which is not supported: save the real and imaginary parts apart");
  CHECK(parse_error(with_header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }")) ==
        "the array has a structured dtype (named fields): save each field as its own array");
  // The header's size is checked against the data for every dtype: (2, 3) of int64 needs 48 bytes.
  CHECK(parse_error(with_header("{'descr': '>i8', 'fortran_order': True, 'shape': (2, 3), }")) ==
        "the file is truncated: shape (2, 3) of int64 needs 48 bytes of data, 24 follow the header");
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

TEST_CASE("Fortran order and big-endian bytes, worked out by hand") {
  std::string header = "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }";
  std::string file = numpy_file();
  header.resize(117, ' ');
  file.replace(10, 117, header);
  // The file holds 0..5 with the first axis fastest: [[0, 2, 4], [1, 3, 5]].
  CHECK(parse_ok(file).values == std::vector<double>{0, 2, 4, 1, 3, 5});
  std::string big = numpy_file();
  big.replace(10, 14, "{'descr': '>f4");
  for (size_t at = 128; at < big.size(); at += 4) std::reverse(big.begin() + long(at), big.begin() + long(at) + 4);
  CHECK(parse_ok(big).values == std::vector<double>{0, 1, 2, 3, 4, 5});
  // uint16 0x0102 big-endian is 258; little-endian, 513.
  ap::Array u{ap::DType::U16, {1}, {513}};
  std::string u_big = ap::npy_bytes(u);
  u_big.replace(u_big.find("'<u2'"), 5, "'>u2'");
  CHECK(parse_ok(u_big).values == std::vector<double>{258});
}

TEST_CASE("property: random corruptions of a valid file never crash the reader") {
  const std::string good = ap::npy_bytes(ap::Array{ap::DType::F64, {4, 5}, std::vector<double>(20, 1.5)});
  ap::Rng rng(11);
  const auto corrupt = [&](std::string s) {
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
    return s;
  };
  int errors = 0;
  for (int trial = 0; trial < 5000; ++trial) {
    auto r = ap::parse_npy(corrupt(good));
    if (auto* a = std::get_if<ap::Array>(&r)) CHECK(int64_t(a->values.size()) == a->size());
    else ++errors;
  }
  CHECK(errors > 1000);

  // The same for an archive of deflated entries (as np.savez_compressed writes),
  // where a corruption may land in the compressed stream, the sizes or the directory.
  const ap::Array ints{ap::DType::I32, {3, 2}, {1, -2, 3, 4, 5, 60000}};
  const std::string archive = testing_numpy::zip(
      {testing_numpy::deflated("a.npy", good), testing_numpy::deflated("b.npy", ap::npy_bytes(ints))});
  REQUIRE(std::holds_alternative<std::vector<std::pair<std::string, ap::Array>>>(ap::parse_npz(archive)));
  int archive_errors = 0;
  for (int trial = 0; trial < 5000; ++trial) {
    auto r = ap::parse_npz(corrupt(archive));
    if (auto* arrays = std::get_if<0>(&r)) {
      for (const auto& [name, a] : *arrays) CHECK(int64_t(a.values.size()) == a.size());
    } else {
      ++archive_errors;
    }
  }
  CHECK(archive_errors > 1000);
}

TEST_CASE("read_npy and write_npy name the file in their errors") {
  auto r = ap::read_npy("/nonexistent/q.npy");
  REQUIRE(std::holds_alternative<std::string>(r));
  CHECK(std::get<std::string>(r) == "/nonexistent/q.npy: cannot open the file");
  CHECK(ap::write_npy("/nonexistent/y.npy", ap::Array{}) == "/nonexistent/y.npy: cannot create the file");
}
