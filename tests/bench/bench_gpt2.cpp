// Benchmark (not a test): GPT-2 small at its true size (124M parameters,
// random weights in GPT-2's layout, made in memory as a float32
// model.safetensors), natively or as wasm under Node. Prints the time to
// load (parse and convert) the 500 MB file, in one piece and fed in 16 MiB
// chunks as the page's download hands it over; the full forward at n = 16, 64,
// 256 and 1024 tokens with the last position's logits, its GFLOP/s and
// their share of the multiply-add peak and of the projection kernel's own
// rate measured in the same run; then where a forward's time goes, phase by
// phase (each timed alone on the same shapes), against the whole.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "base/rng.h"
#include "bench_common.h"
#include "io/safetensors.h"
#include "kernels/gemm.h"
#include "kernels/head.h"
#include "kernels/parallel.h"
#include "kernels/pointwise.h"
#include "model/gpt2.h"
#include "model/gpt2_forward.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

const char* const kConfig =
    R"({"model_type": "gpt2", "n_layer": 12, "n_head": 12, "n_embd": 768, "n_positions": 1024, "vocab_size": 50257,
        "activation_function": "gelu_new", "layer_norm_epsilon": 1e-05})";

// A model.safetensors of GPT-2 small's tensors, names and shapes (Conv1D
// weights [d_in x d_out]), written straight into one buffer: weights uniform
// with GPT-2's initial standard deviation 0.02, the residual projections
// scaled by 1/√(2·n_layer) as GPT-2 does, layer norms 1 and biases 0.
std::string gpt2_small_file() {
  const int64_t d = 768, m = 3072, vocab = 50257, positions = 1024;
  struct T {
    std::string name;
    std::vector<int64_t> shape;
    float std;  // 0: a layer norm's gain (1), -1: a bias (0)
  };
  std::vector<T> tensors = {{"wte.weight", {vocab, d}, 0.02f},
                            {"wpe.weight", {positions, d}, 0.01f},
                            {"ln_f.weight", {d}, 0},
                            {"ln_f.bias", {d}, -1}};
  const float resid = 0.02f / std::sqrt(24.0f);
  for (int l = 0; l < 12; ++l) {
    const std::string h = "h." + std::to_string(l) + ".";
    for (const char* ln : {"ln_1", "ln_2"}) {
      tensors.push_back({h + ln + ".weight", {d}, 0});
      tensors.push_back({h + ln + ".bias", {d}, -1});
    }
    tensors.push_back({h + "attn.c_attn.weight", {d, 3 * d}, 0.02f});
    tensors.push_back({h + "attn.c_attn.bias", {3 * d}, -1});
    tensors.push_back({h + "attn.c_proj.weight", {d, d}, resid});
    tensors.push_back({h + "attn.c_proj.bias", {d}, -1});
    tensors.push_back({h + "mlp.c_fc.weight", {d, m}, 0.02f});
    tensors.push_back({h + "mlp.c_fc.bias", {m}, -1});
    tensors.push_back({h + "mlp.c_proj.weight", {m, d}, resid});
    tensors.push_back({h + "mlp.c_proj.bias", {d}, -1});
  }
  std::string json = "{";
  uint64_t at = 0;
  std::sort(tensors.begin(), tensors.end(), [](const T& a, const T& b) { return a.name < b.name; });
  for (const T& t : tensors) {
    int64_t n = 1;
    std::string shape;
    for (int64_t s : t.shape) n *= s, shape += (shape.empty() ? "" : ",") + std::to_string(s);
    json += (json.size() > 1 ? "," : "") +
            ("\"" + t.name + "\":{\"dtype\":\"F32\",\"shape\":[" + shape + "],\"data_offsets\":[" + std::to_string(at) +
             "," + std::to_string(at + uint64_t(n) * 4) + "]}");
    at += uint64_t(n) * 4;
  }
  json += "}";
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string file(8 + json.size() + at, '\0');
  for (int i = 0; i < 8; ++i) file[size_t(i)] = char((uint64_t(json.size()) >> (8 * i)) & 0xFF);
  std::memcpy(file.data() + 8, json.data(), json.size());
  char* p = file.data() + 8 + json.size();
  ap::Rng rng(2019);
  for (const T& t : tensors) {
    int64_t n = 1;
    for (int64_t s : t.shape) n *= s;
    const double bound = t.std * std::sqrt(3.0);  // uniform in ±bound has this standard deviation
    for (int64_t i = 0; i < n; ++i, p += 4) {
      const float v = t.std > 0 ? float(rng.uniform(bound)) : t.std == 0 ? 1.0f : 0.0f;
      std::memcpy(p, &v, 4);
    }
  }
  return file;
}

ap::Mat random_rows(int n, int d, uint64_t seed) {
  ap::Rng rng(seed);
  ap::Mat x(n, d);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = float(rng.uniform(1.0));
  return x;
}

// One layer's phases at n tokens, each timed alone on the layer's shapes
// (seconds per layer), and the unembedding of one row.
struct Phases {
  double projections = 0, attention = 0, mlp = 0, layer_norm = 0, gelu = 0, unembedding = 0;
};

Phases time_phases(const ap::Gpt2Model& m, int n) {
  const ap::Gpt2Block& b = m.blocks[0];
  const ap::Mat x = random_rows(n, 768, 1), hidden = random_rows(n, 3072, 2);
  const int reps = n <= 64 ? 10 : n <= 256 ? 4 : 2;
  Phases p;
  p.projections = best_of(reps, [&] {
    for (const ap::Gpt2Linear* l : {&b.q, &b.k, &b.v, &b.o}) keep(l->forward(x));
  });
  p.mlp = best_of(reps, [&] {
    keep(b.fc.forward(x));
    keep(b.proj.forward(hidden));
  });
  ap::Mat y(n, 768);
  p.layer_norm = 2 * best_of(reps, [&] {
                   ap::layer_norm_rows(x, b.ln_1.gain, b.ln_1.bias, 1e-5, 0, n, y);
                   keep(y);
                 });
  ap::Mat g = hidden;
  p.gelu = best_of(reps, [&] {
    g = hidden;
    ap::gelu_tanh_rows(g, 0, n);
    keep(g);
  });
  // Twelve heads of causal attention on q, k, v of the layer's own projections (d_head 64).
  const ap::Mat q = b.q.forward(x), k = b.k.forward(x), v = b.v.forward(x);
  ap::Mat bias = ap::Mat::Zero(n, n);
  for (int r = 0; r < n; ++r)
    for (int c = r + 1; c < n; ++c) bias(r, c) = -std::numeric_limits<float>::infinity();
  std::vector<ap::Mat> qh, kh, vh;
  for (int h = 0; h < 12; ++h) {
    qh.push_back(q.middleCols(h * 64, 64));
    kh.push_back(k.middleCols(h * 64, 64));
    vh.push_back(v.middleCols(h * 64, 64));
  }
  ap::AttendOptions o;
  o.scale = 0.125f;
  p.attention = best_of(reps, [&] {
    for (int h = 0; h < 12; ++h) {
      ap::HeadTrace t;
      ap::attend(qh[size_t(h)], kh[size_t(h)], vh[size_t(h)], bias, o, t);
      keep(t.context);
    }
  });
  const ap::Mat last = random_rows(1, 768, 3);
  p.unembedding = best_of(2, [&] { keep(m.unembedding().forward(last)); });
  return p;
}

}  // namespace

int main() {
#if defined(__GLIBC__)
  // As in bench.cpp: keep freed memory for reuse rather than faulting it in again on every forward.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  const auto start = Clock::now();
  std::printf("build: %s, projection kernel: %s, %d thread%s\n",
#if defined(__EMSCRIPTEN__)
              "wasm -O3 -msimd128",
#else
              "native",
#endif
              ap::simd_kernels() ? "SIMD128 5x16 blocks (4x16 for attention)" : "Eigen", ap::threads(),
              ap::threads() > 1 ? "s" : "");
  const double peak = peak_gflops();
  std::printf("multiply-add peak (registers only): %.1f GFLOP/s\n", peak);

  auto t0 = Clock::now();
  std::string file = gpt2_small_file();
  const double make_s = seconds_since(t0);
  t0 = Clock::now();
  auto loaded = ap::load_gpt2(kConfig, file);
  const double load_s = seconds_since(t0);
  if (auto* e = std::get_if<std::string>(&loaded)) {
    std::printf("load failed: %s\n", e->c_str());
    return 1;
  }
  const ap::Gpt2Model model = std::move(std::get<ap::Gpt2Model>(loaded));
  std::printf("gpt2 small, random weights: %lld parameters, a %.1f MB F32 model.safetensors made in %.2f s\n",
              (long long)ap::gpt2_parameters(model.config), double(file.size()) / 1e6, make_s);
  std::printf("load (parse, convert%s): %.2f s, %.0f MB/s; the model holds %.1f MB\n",
              ap::simd_kernels() ? ", pack" : ", transpose Conv1D", load_s, double(file.size()) / 1e6 / load_s,
              double(model.bytes()) / 1e6);
  {
    // The page's way: the same bytes 16 MiB at a time, as its download hands
    // them over, into a second model (the first is kept, so that neither load
    // reuses memory the other freed).
    constexpr size_t kChunk = size_t(16) << 20;
    t0 = Clock::now();
    ap::Gpt2Loader loader(kConfig, file.size());
    for (size_t at = 0; at < file.size() && loader.error().empty(); at += kChunk)
      loader.feed(file.data() + at, std::min(kChunk, file.size() - at));
    const auto streamed = loader.finish();
    const double stream_s = seconds_since(t0);
    if (auto* e = std::get_if<std::string>(&streamed)) {
      std::printf("streamed load failed: %s\n", e->c_str());
      return 1;
    }
    std::printf("load fed in 16 MiB chunks: %.2f s, %.0f MB/s; at most %.1f MB of the file staged at once\n", stream_s,
                double(file.size()) / 1e6 / stream_s, double(loader.peak_staged_bytes()) / 1e6);
  }
  std::printf("\n");
  std::string().swap(file);  // the file's bytes are no longer needed

  std::printf("%-6s %10s %10s %10s %12s %12s %10s\n", "n", "ms", "GFLOP", "GFLOP/s", "of peak", "GEMM GFLOP/s",
              "of GEMM");
  std::string phase_rows;
  const ap::Gpt2Edits edits = ap::gpt2_default_edits(model.config);
  for (int n : {16, 64, 256, 1024}) {
    std::vector<int> tokens(static_cast<size_t>(n));
    ap::Rng rng(static_cast<uint64_t>(n));
    for (int& t : tokens) t = int(rng.next() % 50257);
    const int reps = n <= 64 ? 5 : n <= 256 ? 3 : 2;
    ap::Gpt2State s;
    const double fwd_s = best_of(reps, [&] {
      s = ap::Gpt2State{};  // every run from the start: a state with these tokens would skip all layers
      ap::gpt2_forward(model, tokens, edits, s);
      keep(std::get<ap::Mat>(ap::gpt2_logits(model, s, {n - 1})));
    });
    const double flops = ap::gpt2_forward_flops(model.config, n, 1);
    // The projection kernel alone on the model's widest product at the same n: what the products can reach here.
    const ap::Mat x = random_rows(n, 768, 7);
    const double gemm_s = best_of(reps + 2, [&] { keep(model.blocks[0].fc.forward(x)); });
    const double gemm = 2.0 * n * 768 * 3072 / gemm_s / 1e9;
    const double rate = flops / fwd_s / 1e9;
    std::printf("%-6d %10.1f %10.2f %10.2f %12.2f %12.2f %10.2f\n", n, fwd_s * 1e3, flops / 1e9, rate, rate / peak,
                gemm, rate / gemm);

    const Phases p = time_phases(model, n);
    const double layers = 12;
    const double sum = layers * (p.projections + p.attention + p.mlp + p.layer_norm + p.gelu) + p.unembedding;
    char row[256];
    std::snprintf(row, sizeof row, "%-6d %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f\n", n,
                  layers * p.projections * 1e3, layers * p.attention * 1e3, layers * p.mlp * 1e3,
                  layers * p.layer_norm * 1e3, layers * p.gelu * 1e3, p.unembedding * 1e3, (fwd_s - sum) * 1e3,
                  fwd_s * 1e3);
    phase_rows += row;
  }
  std::printf("\nwhere a forward's time goes, ms (each phase timed alone, x 12 layers; other = the rest):\n");
  std::printf("%-6s %9s %9s %9s %9s %9s %9s %9s %9s\n", "n", "q,k,v,o", "attention", "MLP", "LayerNorm", "GELU",
              "unembed", "other", "forward");
  std::printf("%s", phase_rows.c_str());
  for (int n : {64, 256, 1024}) {
    const ap::Gpt2Memory mem = ap::gpt2_memory(model.config, n);
    std::printf(
        "%smemory at n = %d: weights %.0f MB, residuals %.1f MB, kept attention %.1f MB, scratch %.1f MB, "
        "chosen layer %.1f MB: %.0f MB\n",
        n == 64 ? "\n" : "", n, mem.weights / 1e6, mem.residuals / 1e6, mem.attention / 1e6, mem.scratch / 1e6,
        mem.chosen_layer / 1e6, mem.total() / 1e6);
  }
  std::printf("\nbenchmark time: %.1f s\n", seconds_since(start));
  return 0;
}
