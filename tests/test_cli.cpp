// The `attn` command line, run in-process on real files: sdpa against an ONNX
// case, mha against the playground's own layer, check, and one clear line of
// error for each kind of bad input.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/attn_cli.h"
#include "io/npy.h"
#include "kernels/parallel.h"
#include "layer/attention.h"
#include "numpy_helpers.h"

namespace fs = std::filesystem;

namespace {

struct Run {
  int status;
  std::string out, err;
};

Run attn(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int status = ap::attn_main(args, out, err);
  return {status, out.str(), err.str()};
}

fs::path temp_dir() {
  const fs::path d = fs::temp_directory_path() / ("attn-cli-test-" + std::to_string(std::rand()));
  fs::create_directories(d);
  return d;
}

std::string save(const fs::path& dir, const std::string& name, const ap::Array& a) {
  const std::string p = (dir / name).string();
  REQUIRE(ap::write_npy(p, a).empty());
  return p;
}

ap::Array from(const ap::Mat& m) {
  return ap::Array{ap::DType::F32, {m.rows(), m.cols()}, std::vector<double>(m.data(), m.data() + m.size())};
}

ap::Array load(const std::string& p) { return std::get<ap::Array>(ap::read_npy(p)); }

std::string case_dir(const char* name) {
  const char* env = std::getenv("AP_CONFORMANCE_DIR");
  return (fs::path(env ? env : AP_CONFORMANCE_DIR) / name).string();
}

}  // namespace

TEST_CASE("attn sdpa reproduces an ONNX case, and attn check says so") {
  const std::string dir = case_dir("test_attention_3d_gqa_causal");
  if (!fs::exists(dir)) {
    MESSAGE("SKIPPED attn sdpa on ONNX data: no conformance folder at " << dir);
    return;
  }
  const fs::path tmp = temp_dir();
  const std::string y = (tmp / "y.npy").string();
  const Run r = attn({"sdpa", "--q", dir + "/Q.npy", "--k", dir + "/K.npy", "--v", dir + "/V.npy", "--causal",
                      "--q-heads", "9", "--kv-heads", "3", "--out", y, "--weights-out", (tmp / "p.npy").string()});
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("wrote " + y + " (2, 4, 72) float32") != std::string::npos);
  const Run ok = attn({"check", "--expected", dir + "/Y.npy", "--actual", y, "--atol", "1e-4"});
  CHECK(ok.status == 0);
  CHECK(ok.out.find("MATCH: every element within atol 0.0001") != std::string::npos);
  CHECK(load((tmp / "p.npy").string()).shape == std::vector<int64_t>{2, 9, 4, 6});

  // Without --causal the numbers differ, and check says where first.
  attn({"sdpa", "--q", dir + "/Q.npy", "--k", dir + "/K.npy", "--v", dir + "/V.npy", "--q-heads", "9", "--kv-heads",
        "3", "--out", y});
  const Run bad = attn({"check", "--expected", dir + "/Y.npy", "--actual", y});
  CHECK(bad.status == 1);
  CHECK(bad.out.find("MISMATCH: ") != std::string::npos);
  CHECK(bad.out.find("first at (0, 0, 0)") != std::string::npos);
  fs::remove_all(tmp);
}

TEST_CASE("attn mha computes the playground's layer from its weights") {
  ap::Config c;
  c.text = "a small example of attention";
  c.d_model = 16;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.causal = true;
  const ap::Inputs in = ap::make_inputs(c);
  const ap::Trace t = ap::run(c, in);
  const fs::path tmp = temp_dir();
  std::vector<std::string> args = {"mha", "--x",     save(tmp, "x.npy", from(in.x_q)), "--heads", "4", "--kv-heads",
                                   "2",   "--causal"};
  for (auto [flag, l] : {std::pair{"q", &in.w_q}, {"k", &in.w_k}, {"v", &in.w_v}, {"o", &in.w_o}}) {
    args.insert(args.end(), {std::string("--w") + flag, save(tmp, std::string("w") + flag + ".npy", from(l->weight))});
    args.insert(args.end(), {std::string("--b") + flag,
                             save(tmp, std::string("b") + flag + ".npy",
                                  ap::Array{ap::DType::F32,
                                            {l->bias.size()},
                                            std::vector<double>(l->bias.data(), l->bias.data() + l->bias.size())})});
  }
  const std::string y = (tmp / "y.npy").string();
  args.insert(args.end(), {"--out", y});
  const Run r = attn(args);
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  const ap::Array out = load(y);
  REQUIRE(out.shape == std::vector<int64_t>{t.n_q, 16});
  double worst = 0;
  for (int i = 0; i < t.n_q; ++i)
    for (int e = 0; e < 16; ++e) worst = std::max(worst, std::abs(out.values[size_t(i * 16 + e)] - t.output(i, e)));
  // The CLI projects in float64, the playground in float32: they agree to float32 rounding.
  CHECK(worst < 1e-5);
  fs::remove_all(tmp);
}

TEST_CASE("attn --threads sets the pool's size, before or after the command") {
  const int saved = ap::threads();
  const fs::path tmp = temp_dir();
  const std::string y = save(tmp, "y.npy", ap::Array{ap::DType::F32, {2, 3}, {1, 2, 3, 4, 5, 6}});
  const Run a = attn({"--threads", "3", "check", "--expected", y, "--actual", y});
  CHECK(a.status == 0);
  CHECK(ap::threads() == std::min(3, ap::max_threads()));
  const Run b = attn({"check", "--expected", y, "--actual", y, "--threads", "1"});
  CHECK(b.status == 0);
  CHECK(ap::threads() == 1);
  const Run bad = attn({"check", "--threads", "0", "--expected", y, "--actual", y});
  CHECK(bad.status == 2);
  CHECK(bad.err.find("--threads") != std::string::npos);
  ap::set_threads(saved);
  fs::remove_all(tmp);
}

TEST_CASE("bad input: one clear line on stderr and exit status 2") {
  const fs::path tmp = temp_dir();
  const ap::Array q{ap::DType::F32, {1, 2, 3, 4}, std::vector<double>(24, 0.5)};
  const std::string qp = save(tmp, "q.npy", q);
  const std::string k5 = save(tmp, "k5.npy", ap::Array{ap::DType::F32, {1, 2, 3, 5}, std::vector<double>(30, 0.5)});
  ap::Array with_nan = q;
  with_nan.values[7] = std::nan("");
  const std::string nanp = save(tmp, "nan.npy", with_nan);
  const std::string ints = save(tmp, "i.npy", ap::Array{ap::DType::I64, {1, 2, 3, 4}, std::vector<double>(24, 1)});
  const std::string q3 = save(tmp, "q3.npy", ap::Array{ap::DType::F32, {1, 3, 10}, std::vector<double>(30, 0.5)});
  {
    std::ofstream f((tmp / "trunc.npy").string(), std::ios::binary);
    const std::string bytes = ap::npy_bytes(q);
    f.write(bytes.data(), std::streamsize(bytes.size() - 5));
  }
  const std::string y = (tmp / "y.npy").string();
  std::ofstream((tmp / "empty.npy").string()).close();
  struct Case {
    std::vector<std::string> args;
    std::string error;
  } cases[] = {
      {{"sdpa", "--q", qp, "--k", k5, "--v", qp, "--out", y},
       "attn: Q and K must have the same head size; got 4 and 5\n"},
      {{"sdpa", "--q", nanp, "--k", qp, "--v", qp, "--out", y},
       "attn: Q holds NaN at flat index 7: attention inputs must be finite\n"},
      {{"sdpa", "--q", ints, "--k", qp, "--v", qp, "--out", y},
       "attn: Q must be float16, float32 or float64, not int64\n"},
      {{"sdpa", "--q", (tmp / "trunc.npy").string(), "--k", qp, "--v", qp, "--out", y},
       "attn: " + (tmp / "trunc.npy").string() +
           ": the file is truncated: shape (1, 2, 3, 4) of float32 needs 96 bytes of data, 91 follow the header\n"},
      {{"sdpa", "--q", q3, "--k", q3, "--v", q3, "--q-heads", "3", "--kv-heads", "3", "--out", y},
       "attn: Q's hidden size 10 is not divisible by 3 heads\n"},
      {{"sdpa", "--q", q3, "--k", q3, "--v", q3, "--q-heads", "5", "--kv-heads", "3", "--out", y},
       "attn: K's hidden size 10 is not divisible by 3 heads\n"},
      {{"sdpa", "--q", qp, "--k", qp, "--out", y}, "attn: --v is required (see attn --help)\n"},
      {{"sdpa", "--q", (tmp / "missing.npy").string(), "--k", qp, "--v", qp, "--out", y},
       "attn: " + (tmp / "missing.npy").string() + ": cannot open the file\n"},
      {{"check", "--expected", qp, "--actual", qp, "--atol", "-1"},
       "attn: --atol: must be a number >= 0, not -1 (see attn --help)\n"},
      {{"frobnicate"}, "attn: unknown command \"frobnicate\": use sdpa, mha, check or model (see attn --help)\n"},
      {{"sdpa", "--q", qp, "--k", qp, "--v", qp, "--mask",
        save(tmp, "m.npy", ap::Array{ap::DType::Bool, {2, 5}, std::vector<double>(10, 1)}), "--out", y},
       "attn: the mask (2, 5) does not broadcast to (B, Hq, Sq, T) = (1, 2, 3, 3)\n"},
      {{"sdpa", "--q", qp, "--k", qp, "--v", qp, "--nonpad", save(tmp, "n.npy", ap::Array{ap::DType::F32, {1}, {2}}),
        "--out", y},
       "attn: nonpad_kv_seqlen must be int64 of shape (1,); got float32 (1,)\n"},
      {{"sdpa", "--q", qp, "--k", qp, "--v", qp, "--past-key", qp, "--out", y},
       "attn: past_key and past_value come together\n"},
      {{"sdpa", "--q", save(tmp, "e.npy", ap::Array{ap::DType::F32, {}, {1.0}}), "--k", qp, "--v", qp, "--out", y},
       "attn: Q, K and V must all be 3D (B, S, H·D) or all 4D (B, H, S, D); got (), (1, 2, 3, 4) and (1, 2, 3, 4)\n"},
      {{"check", "--expected", qp, "--actual", (tmp / "empty.npy").string()},
       "attn: " + (tmp / "empty.npy").string() + ": not a .npy file (no \\x93NUMPY magic)\n"},
      {{"mha", "--x", qp, "--wq", qp, "--wk", qp, "--wv", qp, "--wo", qp, "--heads", "2", "--out", y},
       "attn: --x must be (S, d_model) or (B, S, d_model); got (1, 2, 3, 4)\n"},
  };
  for (const auto& c : cases) {
    const Run r = attn(c.args);
    CAPTURE(c.args[0]);
    CHECK(r.status == 2);
    CHECK(r.err == c.error);
  }
  // A shape mismatch in check is a mismatch (status 1), said on stdout.
  const Run shapes = attn({"check", "--expected", qp, "--actual", k5});
  CHECK(shapes.status == 1);
  CHECK(shapes.out == "MISMATCH: shapes differ: expected (1, 2, 3, 4), actual (1, 2, 3, 5)\n");
  CHECK(attn({"--help"}).status == 0);
  fs::remove_all(tmp);
}

TEST_CASE("attn sdpa reads NumPy's Fortran-order, big-endian and integer-mask files like C-order little-endian ones") {
  if (!testing_numpy::have_numpy()) {
    MESSAGE("SKIPPED attn on NumPy's layouts: no " << testing_numpy::kPython << " with NumPy");
    return;
  }
  const fs::path tmp = temp_dir();
  REQUIRE(testing_numpy::run_python(R"PY(
import sys, numpy as np
out = sys.argv[1]
rng = np.random.default_rng(4)
for name in "qkv":
    a = rng.standard_normal((1, 2, 3, 4)).astype("<f4")
    np.save(f"{out}/{name}_c_le.npy", a)
    np.save(f"{out}/{name}_f_le.npy", np.asfortranarray(a))
    np.save(f"{out}/{name}_c_be.npy", a.astype(">f4"))
    np.save(f"{out}/{name}_f_be.npy", np.asfortranarray(a.astype(">f4")))
m = np.array([[True, False, False], [True, True, False], [False, True, True]])
np.save(f"{out}/mask_bool.npy", m)
np.save(f"{out}/mask_u1_f.npy", np.asfortranarray(np.where(m, rng.integers(1, 256, m.shape), 0).astype("|u1")))
np.save(f"{out}/mask_i4_f_be.npy", np.asfortranarray(np.where(m, rng.choice([-7, 1, 9], m.shape), 0).astype(">i4")))
np.save(f"{out}/mask_i8.npy", np.where(m, -1, 0).astype("<i8"))
np.save(f"{out}/mask_float.npy", np.where(m, 0.0, -np.inf).astype("<f4"))
e = rng.standard_normal((3, 5))
np.save(f"{out}/expected_f8.npy", e)
np.save(f"{out}/actual_f4_be.npy", np.asfortranarray(e.astype(">f4")))
)PY",
                                    {tmp.string()}) == 0);
  const auto in = [&](const std::string& name) { return (tmp / (name + ".npy")).string(); };
  const auto run = [&](const std::string& q, const std::string& k, const std::string& v, const std::string& mask) {
    const std::string y = (tmp / "y.npy").string();
    std::vector<std::string> args = {"sdpa", "--q", in(q), "--k", in(k), "--v", in(v), "--out", y};
    if (!mask.empty()) args.insert(args.end(), {"--mask", in(mask)});
    const Run r = attn(args);
    CAPTURE(r.err);
    CHECK(r.status == 0);
    return testing_numpy::read_file(y);
  };
  const std::string base = run("q_c_le", "k_c_le", "v_c_le", "");
  REQUIRE(base.size() > 128);
  for (const char* layout : {"f_le", "c_be", "f_be"}) {
    CAPTURE(layout);
    const std::string l = layout;
    CHECK(run("q_" + l, "k_" + l, "v_" + l, "") == base);  // byte for byte the same output file
  }
  CHECK(run("q_f_be", "k_c_le", "v_f_le", "") == base);
  // Any integer dtype is a mask like bool: nonzero may attend. The mask matters here.
  const std::string masked = run("q_c_le", "k_c_le", "v_c_le", "mask_bool");
  CHECK(masked != base);
  for (const char* mask : {"mask_u1_f", "mask_i4_f_be", "mask_i8", "mask_float"}) {
    CAPTURE(mask);
    CHECK(run("q_c_le", "k_c_le", "v_c_le", mask) == masked);
  }
  // check compares float64 expected with float32 actual in float64, and says so.
  const Run close = attn({"check", "--expected", in("expected_f8"), "--actual", in("actual_f4_be")});
  CHECK(close.status == 0);
  CHECK(close.out.find("15 elements (float64 vs float32)\nthe dtypes differ: both compared as float64\n") !=
        std::string::npos);
  CHECK(close.out.find("MATCH: every element") != std::string::npos);
  // Exactly: float32 rounding shows, so nothing was rounded to float32 before comparing.
  const Run exact =
      attn({"check", "--expected", in("expected_f8"), "--actual", in("actual_f4_be"), "--atol", "0", "--rtol", "0"});
  CHECK(exact.status == 1);
  CHECK(exact.out.find("MISMATCH: 15 of 15 elements differ") != std::string::npos);
  fs::remove_all(tmp);
}

// [SECTION] attn model: GPT-2's real vocabulary with tiny random weights
// (tests/reference/gpt2_numpy.py): the ids must be gpt-3-encoder's, the
// logits and attention those of the float64 NumPy forward.

namespace {

std::string model_dir() { return std::string(AP_GPT2_REFERENCE_DIR) + "/tiny_vocab"; }

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), path << " is missing: run the suite through ctest (the gpt2_reference fixture)");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double max_abs_diff(const ap::Array& a, const ap::Array& b) {
  REQUIRE(a.shape == b.shape);
  double d = 0;
  for (size_t i = 0; i < a.values.size(); ++i) d = std::max(d, std::abs(a.values[i] - b.values[i]));
  return d;
}

double max_abs(const ap::Array& a) {
  double m = 0;
  for (double v : a.values) m = std::max(m, std::abs(v));
  return m;
}

}  // namespace

TEST_CASE("attn model: gpt-3-encoder's ids, NumPy's logits and attention, an ablation") {
  const std::string dir = model_dir(), ref = dir + "/reference/";
  const std::string text = read_text(ref + "text.txt");
  const fs::path tmp = temp_dir();
  const std::string t = (tmp / "t.npy").string(), l = (tmp / "l.npy").string(), a = (tmp / "a.npy").string();
  const Run r = attn({"model", "--model", dir, "--text", text, "--tokens-out", t, "--logits-out", l, "--attn-out", a});
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("next token after the text:") != std::string::npos);
  const ap::Array tokens = load(t), expected_tokens = load(ref + "tokens.npy");
  CHECK(tokens.dtype == ap::DType::I64);
  CHECK(tokens.values == expected_tokens.values);  // exactly the reference tokenizer's ids
  const int n = int(tokens.values.size());
  // Tolerances as tests/test_gpt2.cpp states them: float32 against float64
  // through two layers, the logits relative to the largest logit.
  const ap::Array logits = load(l), expected_logits = load(ref + "logits.npy");
  CHECK(logits.shape == std::vector<int64_t>{n, 50257});
  CHECK(max_abs_diff(logits, expected_logits) < 1e-5 * max_abs(expected_logits));
  const ap::Array attn_w = load(a);
  REQUIRE(attn_w.shape == std::vector<int64_t>{2, 4, n, n});
  for (int layer = 0; layer < 2; ++layer) {
    const ap::Array w = load(ref + "weights_" + std::to_string(layer) + ".npy");
    ap::Array mine{ap::DType::F32, w.shape, {}};
    const size_t per = size_t(4 * n * n);
    mine.values.assign(attn_w.values.begin() + layer * per, attn_w.values.begin() + (layer + 1) * per);
    CHECK(max_abs_diff(mine, w) < 2e-5);
  }
  // Head 2 of layer 1 zeroed: NumPy's ablated logits.
  const Run ab = attn({"model", "--model", dir, "--text", text, "--ablate", "1.2", "--logits-out", l});
  REQUIRE(ab.status == 0);
  const ap::Array ablated = load(ref + "ablated_logits.npy");
  CHECK(max_abs_diff(load(l), ablated) < 1e-5 * max_abs(ablated));
  CHECK(max_abs_diff(ablated, expected_logits) > 1e-3);  // the ablation changes the prediction
  fs::remove_all(tmp);
}

TEST_CASE("attn model: bad folders, files, texts and ablations exit 2 with one line") {
  const std::string dir = model_dir();
  const fs::path tmp = temp_dir();
  // A copy of the folder to break piece by piece.
  const auto copy = [&](const char* name) {
    const fs::path d = tmp / name;
    fs::create_directories(d);
    for (const char* f : {"config.json", "model.safetensors", "vocab.json", "merges.txt"})
      fs::copy_file(fs::path(dir) / f, d / f);
    return d;
  };
  const fs::path truncated = copy("truncated");
  fs::resize_file(truncated / "model.safetensors", fs::file_size(truncated / "model.safetensors") / 2);
  const fs::path no_merges = copy("no_merges");
  fs::remove(no_merges / "merges.txt");
  const fs::path wrong_width = copy("wrong_width");
  {
    std::string cfg = read_text((wrong_width / "config.json").string());
    const size_t at = cfg.find("\"n_embd\": 64");
    REQUIRE(at != std::string::npos);
    cfg.replace(at, 12, "\"n_embd\": 96");
    std::ofstream((wrong_width / "config.json").string()) << cfg;
  }
  std::string long_text;
  for (int i = 0; i < 80; ++i) long_text += " word";
  const struct {
    std::vector<std::string> args;
    const char* says;
  } cases[] = {
      {{"model", "--model", (tmp / "nowhere").string(), "--text", "hi"}, "nowhere"},
      {{"model", "--model", truncated.string(), "--text", "hi"}, "model.safetensors"},
      {{"model", "--model", no_merges.string(), "--text", "hi"}, "no tokenizer"},
      {{"model", "--model", wrong_width.string(), "--text", "hi"}, "shape"},
      {{"model", "--model", dir, "--text", long_text}, "n_positions"},
      {{"model", "--model", dir, "--text", "hi", "--ablate", "1-2"}, "LAYER.HEAD"},
      {{"model", "--model", dir, "--text", "hi", "--ablate", "2.0"}, "layers 0-1"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.args);
    const Run r = attn(c.args);
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find(c.says) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);  // one line
  }
  fs::remove_all(tmp);
}
