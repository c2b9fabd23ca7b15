// ONNX conformance: the 76 cases of ONNX's own Attention tests (opset 23/24),
// read from .npy + case.json at test time, natively and in wasm (Node reads
// the real files through NODERAWFS). The data live in the workplace's shared
// folder (AP_CONFORMANCE_DIR overrides): they are ONNX's (Apache-2.0), not ours.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "onnx/sdpa.h"

namespace fs = std::filesystem;

namespace {

std::string conformance_dir() {
  if (const char* env = std::getenv("AP_CONFORMANCE_DIR")) return env;
  return AP_CONFORMANCE_DIR;  // set by CMakeLists.txt
}

struct CaseResult {
  bool ok = true;
  std::string detail;
  double max_error = 0;
};

// Compares like the suite's verifier: -inf where expected, no NaN, |Δ| <= tol elsewhere.
void compare(const ap::Array& got, const ap::Array& want, const std::string& what, double tol, CaseResult& r) {
  if (got.shape != want.shape) {
    r.ok = false;
    r.detail += what + " has shape " + got.shape_text() + ", expected " + want.shape_text() + "; ";
    return;
  }
  for (size_t i = 0; i < want.values.size(); ++i) {
    const double g = got.values[i], w = want.values[i];
    const bool same_inf = std::isinf(w) && g == w;
    const double err = std::isinf(w) ? (same_inf ? 0 : INFINITY) : std::abs(g - w);
    if (std::isnan(g) || err > tol) {
      r.ok = false;
      r.detail +=
          what + "[" + std::to_string(i) + "] = " + std::to_string(g) + ", expected " + std::to_string(w) + "; ";
      return;
    }
    r.max_error = std::max(r.max_error, err);
  }
}

CaseResult run_case(const fs::path& dir) {
  CaseResult r;
  std::ifstream f(dir / "case.json");
  const auto c = nlohmann::json::parse(f);
  std::map<std::string, ap::Array> inputs, outputs;
  for (const auto& t : c["tensors"]) {
    auto a = ap::read_npy((dir / t["file"].get<std::string>()).string());
    if (auto* e = std::get_if<std::string>(&a)) return {false, *e, 0};
    (t["kind"] == "input" ? inputs : outputs)[t["role"].get<std::string>()] = std::get<ap::Array>(std::move(a));
  }
  const auto& at = c["attributes"];
  const auto get = [&](const char* role) { return inputs.count(role) ? &inputs[role] : nullptr; };
  ap::SdpaInputs in{
      get("Q"), get("K"), get("V"), get("attn_mask"), get("past_key"), get("past_value"), get("nonpad_kv_seqlen")};
  ap::SdpaOptions o;
  o.q_heads = at["q_num_heads"].get<int>();
  o.kv_heads = at["kv_num_heads"].get<int>();
  o.scale = at["scale"].get<double>();
  o.softcap = at["softcap"].get<double>();
  o.causal = at["is_causal"].get<int>() != 0;
  if (outputs.count("qk_matmul_output")) o.qk_mode = at["qk_matmul_output_mode"].get<int>();
  auto result = ap::sdpa(in, o);
  if (auto* e = std::get_if<std::string>(&result)) return {false, *e, 0};
  const ap::SdpaOutputs& out = std::get<ap::SdpaOutputs>(result);
  const double tol = c["recommended_tolerance"]["abs"].get<double>();
  compare(out.y, outputs["Y"], "Y", tol, r);
  if (outputs.count("qk_matmul_output")) compare(out.qk, outputs["qk_matmul_output"], "qk_matmul_output", tol, r);
  for (const char* p : {"present_key", "present_value"})
    if (outputs.count(p))
      compare(std::string(p) == "present_key" ? out.present_key : out.present_value, outputs[p], p, 0.0, r);
  // Fully masked rows must be exactly 0 in Y (bit-exact, not within tolerance).
  const auto& ys = out.y.shape;
  for (const auto& bhq : c["derived"]["fully_masked_rows_bhq"]) {
    const int64_t b = bhq[0], h = bhq[1], i = bhq[2];
    const int64_t Dv = ys.size() == 4 ? ys[3] : ys[2] / o.q_heads, Hq = o.q_heads, Sq = ys.size() == 4 ? ys[2] : ys[1];
    for (int64_t d = 0; d < Dv; ++d) {
      const size_t idx =
          ys.size() == 4 ? size_t(((b * Hq + h) * Sq + i) * Dv + d) : size_t(((b * Sq + i) * Hq + h) * Dv + d);
      if (out.y.values[idx] != 0.0) {
        r.ok = false;
        r.detail += "fully masked row (" + std::to_string(b) + ", " + std::to_string(h) + ", " + std::to_string(i) +
                    ") is not exactly 0; ";
        break;
      }
    }
  }
  return r;
}

}  // namespace

TEST_CASE("ONNX conformance: all 76 Attention cases") {
  const fs::path root = conformance_dir();
  if (!fs::is_directory(root)) {
    MESSAGE("SKIPPED all ONNX conformance cases: no data at "
            << root.string()
            << " (the suite is in the workplace's shared/conformance/onnx_attention; set AP_CONFORMANCE_DIR)");
    return;
  }
  std::vector<fs::path> cases;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory() && fs::exists(e.path() / "case.json")) cases.push_back(e.path());
  std::sort(cases.begin(), cases.end());
  CHECK(cases.size() == 76);
  int passed = 0;
  double worst_f32 = 0, worst_f16 = 0;
  for (const auto& dir : cases) {
    const CaseResult r = run_case(dir);
    CAPTURE(dir.filename().string());
    CAPTURE(r.detail);
    CHECK(r.ok);
    passed += r.ok;
    const bool half = dir.filename().string().find("fp16") != std::string::npos ||
                      dir.filename().string().find("softmax_precision") != std::string::npos;
    (half ? worst_f16 : worst_f32) = std::max(half ? worst_f16 : worst_f32, r.max_error);
  }
  MESSAGE("ONNX conformance: " << passed << " of " << cases.size() << " cases passed, 0 skipped; largest error "
                               << worst_f32 << " on float32 cases (tolerance 1e-4), " << worst_f16
                               << " on float16 cases (tolerance 1e-3)");
}
