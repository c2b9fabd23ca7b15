// Export (CSV, .npz, the PyTorch script) and import (shape checks, overrides).
#include <doctest/doctest.h>

#include <cmath>

#include "io/export.h"
#include "layer/attention.h"

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

TEST_CASE(".npz: read back what was written; damaged, compressed and truncated archives are refused") {
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
  std::string deflated = z;
  deflated[8] = 8;  // compression method: deflate
  CHECK(error(deflated).find("np.savez_compressed") != std::string::npos);
  CHECK(error(z.substr(0, 100)).find("past the end") != std::string::npos);
  CHECK(error(z.substr(0, 20)).find("ends inside") != std::string::npos);
  CHECK(error("hello").find("not a .npz") != std::string::npos);
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
  const auto arrays = ap::export_arrays(c, in, t);
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
