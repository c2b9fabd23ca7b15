// .safetensors reading: a file as the safetensors library lays it out reads
// back exactly, in F32, F16 and BF16; every kind of bad file is one sentence,
// never a crash or a read outside the bytes given.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <variant>

#include "base/rng.h"
#include "io/npy.h"
#include "io/safetensors.h"

namespace {

ap::SafetensorsIndex parse_ok(const std::string& bytes) {
  auto r = ap::parse_safetensors(bytes);
  if (auto* e = std::get_if<std::string>(&r)) FAIL("unexpected error: " << *e);
  return std::get<ap::SafetensorsIndex>(r);
}

std::string parse_error(const std::string& bytes) {
  auto r = ap::parse_safetensors(bytes);
  REQUIRE(std::holds_alternative<std::string>(r));
  return std::get<std::string>(r);
}

// A file from a header written by hand and `data` bytes after it.
std::string file(const std::string& header, const std::string& data = std::string(64, '\0')) {
  std::string out;
  for (int i = 0; i < 8; ++i) out += char((uint64_t(header.size()) >> (8 * i)) & 0xFF);
  return out + header + data;
}

}  // namespace

TEST_CASE("safetensors: what the writer lays out reads back, in F32, F16 and BF16") {
  const std::vector<float> values = {0.0f, -0.0f, 1.0f, -2.5f, 3.14159265f, 1e-3f, 65504.0f, -1e-7f};
  for (const char* dtype : {"F32", "F16", "BF16"}) {
    CAPTURE(dtype);
    const std::string bytes = ap::safetensors_bytes(
        {{"b", {{2, 4}, values, dtype}}, {"a.scalar", {{}, {7.0f}, dtype}}, {"empty", {{0, 3}, {}, dtype}}},
        {{"format", "pt"}});
    // The layout: header length, JSON padded to 8 bytes, then the tensors in name order.
    const uint64_t n = uint64_t(uint8_t(bytes[0])) | uint64_t(uint8_t(bytes[1])) << 8;
    CHECK(n % 8 == 0);
    CHECK(bytes[8] == '{');
    const ap::SafetensorsIndex index = parse_ok(bytes);
    CHECK(index.data_begin == 8 + n);
    REQUIRE(index.tensors.size() == 3);
    CHECK(index.tensors[0].name == "a.scalar");
    CHECK(index.tensors[0].shape_text() == "()");
    CHECK(index.tensors[0].size() == 1);
    const ap::SafetensorsEntry* b = index.find("b");
    REQUIRE(b);
    CHECK(b->shape_text() == "(2, 4)");
    CHECK(index.find("c") == nullptr);
    const auto read = std::get<std::vector<float>>(ap::read_safetensor(bytes, *b));
    for (size_t i = 0; i < values.size(); ++i) {
      // F32 exactly; F16 and BF16 as their own rounding of each value gives it.
      const float want = std::string(dtype) == "F32"   ? values[i]
                         : std::string(dtype) == "F16" ? ap::half_to_float(ap::float_to_half(values[i]))
                                                       : ap::bf16_to_float(ap::float_to_bf16(values[i]));
      CHECK(std::memcmp(&read[i], &want, 4) == 0);
    }
    CHECK(std::get<std::vector<float>>(ap::read_safetensor(bytes, *index.find("a.scalar"))) == std::vector<float>{7});
    CHECK(std::get<std::vector<float>>(ap::read_safetensor(bytes, *index.find("empty"))).empty());
    // A slice of elements, as the model loader reads rows.
    float two[2];
    CHECK(ap::read_safetensor(bytes, *b, 2, 2, two).empty());
    CHECK(two[0] == read[2]);
    CHECK(ap::read_safetensor(bytes, *b, 7, 2, two) == "elements [7, 9) are outside tensor 'b' of shape (2, 4)");
  }
}

TEST_CASE("safetensors: bfloat16 conversion, worked out by hand") {
  CHECK(ap::bf16_to_float(0x3F80) == 1.0f);
  CHECK(ap::bf16_to_float(0xC020) == -2.5f);
  CHECK(ap::float_to_bf16(1.0f) == 0x3F80);
  // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties go to the even 1.
  CHECK(ap::float_to_bf16(1.0f + 0x1p-8f) == 0x3F80);
  CHECK(ap::float_to_bf16(1.0f + 0x1p-8f + 0x1p-20f) == 0x3F81);
  CHECK(ap::float_to_bf16(1.0f + 3 * 0x1p-8f) == 0x3F82);  // halfway again, up to the even 1 + 2^-6
  CHECK(std::isnan(ap::bf16_to_float(ap::float_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
  CHECK(ap::bf16_to_float(ap::float_to_bf16(std::numeric_limits<float>::infinity())) ==
        std::numeric_limits<float>::infinity());
}

TEST_CASE("safetensors: bad files get a clear message") {
  const auto t = [](const std::string& entries) { return "{" + entries + "}"; };
  const std::string ok = R"("a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]})";
  CHECK(parse_ok(file(t(ok))).tensors.size() == 1);
  // The length and the header.
  CHECK(parse_error("") == "not a .safetensors file: it is shorter than the 8 bytes that give the header's length");
  CHECK(parse_error(std::string("\x01\0\0\0\0\0\0\0", 8)) == "not a .safetensors file: its header length is 1 bytes");
  CHECK(parse_error(std::string("\xff\xff\xff\xff\0\0\0\0{}", 10)) ==
        "the .safetensors header claims 4294967295 bytes; the limit is 16 MiB");
  CHECK(parse_error(file(t(ok)).substr(0, 30)) ==
        "the .safetensors file is truncated: its header needs 57 bytes, and 22 follow the length");
  CHECK(parse_error(file("[1, 2]")) == "the .safetensors header is not a JSON object (it does not start with '{')");
  CHECK(parse_error(file("{\"a\": ")) == "the .safetensors header is not valid JSON");
  CHECK(parse_error(file(t(R"("a":{"dtype":"F32","shape":[[[1]]],"data_offsets":[0,4]})"))) ==
        "the .safetensors header nests deeper than a tensor's shape");
  CHECK(parse_error(file(t(ok + "," + ok))) == "the .safetensors header names tensor 'a' twice");
  // A tensor's entry.
  CHECK(parse_error(file(t(R"("a":[1])"))) == "tensor 'a' is not described by a JSON object");
  CHECK(parse_error(file(t(R"("a":{"dtype":"F32","shape":[4]})"))) ==
        "tensor 'a' lacks \"dtype\", \"shape\" or \"data_offsets\"");
  CHECK(parse_error(file(t(R"("a":{"dtype":4,"shape":[4],"data_offsets":[0,16]})"))) ==
        "tensor 'a' has a \"dtype\" that is not a string");
  CHECK(parse_error(file(t(R"("a":{"dtype":"F4","shape":[4],"data_offsets":[0,2]})"))) ==
        "tensor 'a' has dtype 'F4', which is not a safetensors dtype this reader knows");
  CHECK(parse_error(file(t(R"("a":{"dtype":"F32","shape":4,"data_offsets":[0,16]})"))) ==
        "tensor 'a' has a \"shape\" that is not a list");
  CHECK(parse_error(file(t(R"("a":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]})"))) ==
        "tensor 'a' has a \"shape\" that holds something other than non-negative integers");
  CHECK(parse_error(file(t(R"("a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,16]})"))) ==
        "tensor 'a' has a \"shape\" that holds something other than non-negative integers");
  CHECK(parse_error(file(t(R"("a":{"dtype":"F32","shape":[4],"data_offsets":[0]})"))) ==
        "tensor 'a' has \"data_offsets\" that are not a pair [begin, end]");
  CHECK(parse_error(file(t(R"("a":{"dtype":"F32","shape":[4],"data_offsets":[0,-16]})"))) ==
        "tensor 'a' has \"data_offsets\" that are not non-negative integers");
  CHECK(parse_error(file(t(R"("a":{"dtype":"F32","shape":[4],"data_offsets":[16,0]})"))) ==
        "tensor 'a' has data_offsets [16, 0] that end before they begin");
  CHECK(parse_error(file(t(R"("a":{"dtype":"F32","shape":[4],"data_offsets":[56,72]})"))) ==
        "tensor 'a' has data_offsets [56, 72] that end past the file's 64 bytes of data");
  CHECK(parse_error(file(t(R"("a":{"dtype":"F32","shape":[3],"data_offsets":[0,16]})"))) ==
        "tensor 'a' has shape (3) of F32, which needs 12 bytes, but its data_offsets [0, 16] hold 16");
  CHECK(parse_error(file(t(R"("a":{"dtype":"BF16","shape":[4294967296,4294967296],"data_offsets":[0,16]})"))) ==
        "tensor 'a' has shape (4294967296, 4294967296) of BF16, more bytes than the file holds");
  CHECK(parse_error(file(t(R"("a":{"dtype":"F32","shape":[18446744073709551615,2],"data_offsets":[0,8]})"))) ==
        "tensor 'a' has shape (9223372036854775807, 2) of F32, more bytes than the file holds");
  // Between tensors.
  CHECK(parse_error(file(t(ok + R"(,"b":{"dtype":"F16","shape":[4],"data_offsets":[8,16]})"))) ==
        "tensors 'a' and 'b' overlap in the file's data");
  // Empty tensors take no bytes and overlap nothing; metadata is ignored, whatever it holds.
  const ap::SafetensorsIndex i = parse_ok(file(
      t(ok + R"(,"e":{"dtype":"I64","shape":[0,5],"data_offsets":[8,8]},"__metadata__":{"format":"pt","n":{"x":1}})")));
  CHECK(i.tensors.size() == 2);
  CHECK(parse_ok(file("{}")).tensors.empty());
  // A header padded with spaces, as the writer pads it.
  CHECK(parse_ok(file(t(ok) + "      ")).tensors.size() == 1);
  // A dtype that is listed but not read.
  const ap::SafetensorsIndex ints = parse_ok(file(t(R"("m":{"dtype":"BOOL","shape":[4,4],"data_offsets":[0,16]})")));
  CHECK_FALSE(ints.tensors[0].readable());
  CHECK(std::get<std::string>(ap::read_safetensor(file(t(ok)), ints.tensors[0])) ==
        "tensor 'm' has dtype BOOL; only F32, F16 and BF16 tensors are read");
}

TEST_CASE("safetensors: the header alone, as a download reads it first") {
  const std::string bytes = ap::safetensors_bytes({{"w", {{1000}, std::vector<float>(1000, 1.0f), "F32"}}});
  const uint64_t need = std::get<uint64_t>(ap::safetensors_header_size(bytes.substr(0, 8), bytes.size()));
  CHECK(need < 100);
  auto r = ap::parse_safetensors_header(bytes.substr(0, size_t(need)), bytes.size());
  REQUIRE(std::holds_alternative<ap::SafetensorsIndex>(r));
  CHECK(std::get<ap::SafetensorsIndex>(r).tensors[0].end == bytes.size());
  CHECK(std::get<std::string>(ap::parse_safetensors_header(bytes.substr(0, 20), bytes.size())) ==
        "only 20 bytes of the file were given; its header needs " + std::to_string(need));
  // A file that is shorter than its header says is refused before any download of the rest.
  CHECK(std::get<std::string>(ap::parse_safetensors_header(bytes.substr(0, size_t(need)), bytes.size() - 1)) ==
        "tensor 'w' has data_offsets [0, 4000] that end past the file's 3999 bytes of data");
}

TEST_CASE("safetensors property: random corruptions of a valid file never crash the reader") {
  const std::string good = ap::safetensors_bytes(
      {{"a", {{3, 5}, std::vector<float>(15, 0.5f), "F16"}}, {"b", {{7}, std::vector<float>(7, -1.0f), "BF16"}}});
  ap::Rng rng(99);
  int parsed = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bad = good;
    const int edits = 1 + int(rng.next() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = size_t(rng.next() % bad.size());
      switch (rng.next() % 3) {
        case 0:
          bad[at] = char(rng.next());
          break;
        case 1:
          bad.erase(at, 1 + rng.next() % 8);
          break;
        default:
          bad.insert(at, 1, "0123456789[]{},:\"- "[rng.next() % 19]);
          break;
      }
      if (bad.empty()) bad = "x";
    }
    auto r = ap::parse_safetensors(bad);
    if (auto* e = std::get_if<std::string>(&r)) {
      REQUIRE_FALSE(e->empty());
      continue;
    }
    ++parsed;
    for (const auto& t : std::get<ap::SafetensorsIndex>(r).tensors) {
      REQUIRE(t.end <= bad.size());
      auto v = ap::read_safetensor(bad, t);
      if (auto* values = std::get_if<std::vector<float>>(&v)) REQUIRE(int64_t(values->size()) == t.size());
    }
  }
  MESSAGE(parsed << " of 3000 corrupted files still parsed (every one within its bytes)");
}
