// Export (CSV, .npz, the PyTorch script) and import (shape checks, overrides).
#include <doctest/doctest.h>

#include <cmath>

#include "io/export.h"
#include "io/npz.h"
#include "layer/attention.h"
#include "numpy_helpers.h"

TEST_CASE("CSV of a tensor") {
  const ap::TensorData t{{2, 3}, {1.0f, -0.5f, 1.0f / 3.0f, std::nanf(""), -INFINITY, 2e-8f}};
  CHECK(ap::tensor_csv(t) == "1,-0.5,0.333333343\nnan,-inf,1.99999999e-08\n");
  const ap::TensorData s{{2, 1, 2}, {1, 2, 3, 4}};
  CHECK(ap::tensor_csv(s) == "1,2\n\n3,4\n");
}

TEST_CASE(".npz: a zip of .npy files with the right structure") {
  const ap::Array a{ap::DType::F32, {2}, {1, 2}};
  const std::string z = ap::npz_bytes({{"a", a}, {"bee", a}});
  CHECK(z.rfind("PK\x03\x04", 0) == 0);
  const size_t eocd = z.size() - 22;
  CHECK(z.substr(eocd, 4) == "PK\x05\x06");
  CHECK(int(z[eocd + 10]) == 2);  // two entries
  CHECK(z.find("bee.npy") != std::string::npos);
  CHECK(z.find(ap::npy_bytes(a)) != std::string::npos);  // stored, not compressed
}

TEST_CASE(".npz: read back what was written; damaged, unknown-method and truncated archives are refused") {
  const ap::Array a{ap::DType::F64, {2, 3}, {1, 2, 3, 4, 5, 6}}, b{ap::DType::F32, {1}, {-1.5}};
  const std::string z = ap::npz_bytes({{"l0.w_q", a}, {"b", b}});
  auto back = ap::parse_npz(z);
  REQUIRE(std::holds_alternative<std::vector<std::pair<std::string, ap::Array>>>(back));
  const auto& arrays = std::get<0>(back);
  REQUIRE(arrays.size() == 2);
  CHECK(arrays[0].first == "l0.w_q");
  CHECK(arrays[0].second.shape == a.shape);
  CHECK(arrays[0].second.values == a.values);
  CHECK(arrays[1].first == "b");
  CHECK(arrays[1].second.values == b.values);
  const auto error = [](const std::string& bytes) {
    auto r = ap::parse_npz(bytes);
    return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : std::string();
  };
  std::string damaged = z;
  damaged[damaged.find(ap::npy_bytes(a)) + 80] ^= 1;  // a byte of the first array's data
  CHECK(error(damaged).find("checksum") != std::string::npos);
  std::string bzip2 = z;
  bzip2[z.find("PK\x01\x02") + 10] = 12;  // the central directory's compression method: bzip2
  CHECK(error(bzip2) ==
        "'l0.w_q.npy' is compressed with zip method 12; only stored (np.savez) and deflated "
        "(np.savez_compressed) entries are read");
  CHECK(error(z.substr(0, 100)) == "the .npz is truncated (its zip directory, at the end of the file, is missing)");
  CHECK(error(z.substr(0, z.size() - 30)) ==
        "the .npz is truncated (its zip directory, at the end of the file, is missing)");
  CHECK(error("hello") == "not a .npz archive (no zip directory found)");
  CHECK(error(ap::npz_bytes({})) == "the .npz archive holds no arrays");
  // np.load drops ".npy" from every name that ends with it: an entry named ".npy" is "" (found by fuzz_npz).
  auto unnamed = ap::parse_npz(ap::npz_bytes({{"", b}}));
  REQUIRE(std::holds_alternative<std::vector<std::pair<std::string, ap::Array>>>(unnamed));
  CHECK(std::get<0>(unnamed)[0].first == "");
}

TEST_CASE(".npz: deflated entries are inflated by zlib; bombs, bad checksums and truncated streams are refused") {
  using testing_numpy::deflated, testing_numpy::zip;
  const ap::Array a{ap::DType::F64, {2, 3}, {1, 2, 3, 4, 5, 6}}, b{ap::DType::U8, {4}, {0, 1, 255, 7}};
  const std::string a_npy = ap::npy_bytes(a), b_npy = ap::npy_bytes(b);
  const auto error = [](const std::string& bytes) {
    auto r = ap::parse_npz(bytes);
    return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : std::string();
  };
  // Stored and deflated entries side by side.
  auto back = ap::parse_npz(
      zip({deflated("a.npy", a_npy), {"b.npy", b_npy, 0, deflated("", b_npy).crc, uint32_t(b_npy.size())}}));
  REQUIRE(std::holds_alternative<std::vector<std::pair<std::string, ap::Array>>>(back));
  const auto& arrays = std::get<0>(back);
  REQUIRE(arrays.size() == 2);
  CHECK(arrays[0].first == "a");
  CHECK(arrays[0].second.values == a.values);
  CHECK(arrays[1].second.dtype == ap::DType::U8);
  CHECK(arrays[1].second.values == b.values);

  // A bomb: 64 MiB of zeros deflate to about 64 KiB; declared as a's size, inflating stops one byte past it.
  testing_numpy::ZipEntry bomb = deflated("a.npy", a_npy + std::string(size_t(64) << 20, '\0'));
  CHECK(bomb.payload.size() < 100000);
  bomb.size = uint32_t(a_npy.size());
  CHECK(error(zip({bomb})) ==
        "'a.npy': it inflates to more than the " + std::to_string(a_npy.size()) + " bytes its header declares");
  // A declaration beyond what an archive may hold is refused before inflating anything.
  bomb.size = 0xFFFFFFF0u;
  const std::string too_much = "the .npz declares more than the " + std::to_string(ap::kMaxNpzInflatedBytes) +
                               " bytes (2^26 float64 values and a header) an archive may inflate to, from ";
  CHECK(error(zip({bomb})) == too_much + "'a.npy' on");
  // Two entries of 300 MiB each: each fits, together they do not (and neither is inflated).
  testing_numpy::ZipEntry half = deflated("h.npy", "x");
  half.size = 300u << 20;
  testing_numpy::ZipEntry other = half;
  other.name = "i.npy";
  CHECK(error(zip({half, other})) == too_much + "'i.npy' on");
  // Fewer bytes than declared.
  testing_numpy::ZipEntry short_entry = deflated("a.npy", a_npy);
  short_entry.size += 1;
  CHECK(error(zip({short_entry})) == "'a.npy': it inflates to " + std::to_string(a_npy.size()) + " bytes, not the " +
                                         std::to_string(a_npy.size() + 1) + " its header declares");
  // A bad checksum.
  testing_numpy::ZipEntry bad_crc = deflated("a.npy", a_npy);
  bad_crc.crc ^= 1;
  CHECK(error(zip({deflated("b.npy", b_npy), bad_crc})) == "'a.npy' is damaged (its checksum does not match)");
  // A truncated stream: the entry holds only the first half of its deflate data.
  testing_numpy::ZipEntry cut = deflated("a.npy", a_npy);
  cut.payload.resize(cut.payload.size() / 2);
  CHECK(error(zip({cut})) == "'a.npy': it is truncated (its compressed data ends before the deflate stream does)");
  // Not deflate at all: a block of the reserved type 3.
  testing_numpy::ZipEntry junk = deflated("a.npy", a_npy);
  junk.payload = std::string(1, char(0x07)) + junk.payload;
  CHECK(error(zip({junk})) == "'a.npy': its compressed data is damaged (zlib: invalid block type)");
  // An entry that inflates fine to something that is not a .npy file.
  CHECK(error(zip({deflated("c.npy", "hello")})) == "'c.npy': not a .npy file (no \\x93NUMPY magic)");
}

TEST_CASE("the PyTorch script states the shapes of this config") {
  ap::Config c;
  c.d_model = 48;
  c.n_heads = 6;
  c.n_kv_heads = 2;
  c.causal = true;
  const ap::Inputs in = ap::make_inputs(c);
  const ap::Trace t = ap::run(c, in);
  const std::string s = ap::pytorch_script(c, t, "x.npz");
  CHECK(s.find("q = q.view(1, 11, 6, 8).transpose(1, 2)") != std::string::npos);
  CHECK(s.find("k = k.repeat_interleave(3, dim=1)") != std::string::npos);
  CHECK(s.find("assert output.shape == (1, 11, 48)") != std::string::npos);
  const auto arrays = ap::export_arrays(in, t);
  CHECK(arrays[0].first == "x");
  CHECK(arrays[0].second.shape == std::vector<int64_t>{1, 11, 48});
}

TEST_CASE("import: shapes are checked, and imported tensors drive the forward pass") {
  ap::Config c;
  c.text = "one two three";
  c.d_model = 8;
  c.n_heads = 2;
  std::string err;
  ap::Array x{ap::DType::F32, {3, 8}, std::vector<double>(24, 0.25)};
  CHECK(ap::import_matrix(ap::ImportRole::X, x, c, &err));
  x.shape = {4, 6};
  CHECK(!ap::import_matrix(ap::ImportRole::X, x, c, &err));
  CHECK(err == "x.npy is (4, 6) but this config needs (3, 8): match the text's tokens and d_model first");
  ap::Array q{ap::DType::F64, {1, 2, 3, 4}, std::vector<double>(24, 1.0)};
  CHECK(ap::import_matrix(ap::ImportRole::Q, q, c, &err));
  q.values[5] = NAN;
  CHECK(!ap::import_matrix(ap::ImportRole::Q, q, c, &err));
  CHECK(err == "q.npy holds NaN at flat index 5: imported values must be finite");
  CHECK(!ap::import_matrix(ap::ImportRole::K, ap::Array{ap::DType::Bool, {3, 8}, std::vector<double>(24, 1)}, c, &err));
  CHECK(err == "k.npy holds bool; import float16, float32 or float64");

  // Importing the computed X changes nothing; importing 2·Q doubles the scores.
  ap::Inputs in = ap::make_inputs(c);
  const ap::Trace base = ap::run(c, in);
  ap::Imported imp;
  imp.x = in.x_q;
  imp.q = base.q_proj * 2;
  ap::Inputs in2 = ap::make_inputs(c);
  CHECK(ap::apply_imports(imp, c, in2).empty());
  const ap::Trace t = ap::run(c, in2);
  CHECK((t.heads[1].scores - 2 * base.heads[1].scores).cwiseAbs().maxCoeff() <= 1e-5f);
  CHECK((t.k_proj - base.k_proj).cwiseAbs().maxCoeff() == 0.0f);
  // When the config changes shape, the imports that no longer fit are dropped with a note.
  c.text = "one two three four";
  ap::Inputs in3 = ap::make_inputs(c);
  const auto notes = ap::apply_imports(imp, c, in3);
  CHECK(notes.size() == 2);
  CHECK(imp.empty());
}
