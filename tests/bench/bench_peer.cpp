// The project's side of the benchmark against ONNX Runtime Web
// (tests/e2e/bench_ort.mjs): the layer's forward on data the page hands
// over, so that ORT's graph and the project compute on the very same x and
// weights (the page checks that the outputs agree before it times them).
// Built threaded (wasm pthreads); the page calls these from JavaScript.
#include <emscripten/emscripten.h>

#include <cstring>

#include "bench_common.h"
#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "layer/attention.h"

namespace {
ap::Config g_cfg;
ap::Inputs g_in;
ap::Trace g_trace;

void take(ap::Mat& m, int rows, int cols, const float*& data) {
  m.resize(rows, cols);
  std::memcpy(m.data(), data, sizeof(float) * size_t(rows) * cols);
  data += size_t(rows) * cols;
}
}  // namespace

extern "C" {

// Self-attention of n tokens at (d_model, n_heads), with the causal mask or
// none. data: x [n x d_model], then W_q, b_q, W_k, b_k, W_v, b_v, W_o, b_o in
// PyTorch's layout (W [d_out x d_in], b [d_out]). Returns 0, or 1 when the
// sizes are not a valid layer.
EMSCRIPTEN_KEEPALIVE int peer_setup(int n, int d_model, int n_heads, int causal, const float* data) {
  g_cfg = ap::Config{};
  g_cfg.text.clear();
  for (int i = 0; i < n; ++i) g_cfg.text += "w" + std::to_string(i % 97) + " ";
  g_cfg.d_model = d_model;
  g_cfg.n_heads = n_heads;
  g_cfg.causal = causal != 0;
  if (!ap::validate(g_cfg).empty()) return 1;
  g_in = ap::make_inputs(g_cfg);
  if (int(g_in.q_tokens.size()) != n) return 1;
  take(g_in.x_q, n, d_model, data);
  g_in.x_kv = g_in.x_q;
  for (ap::Linear* w : {&g_in.w_q, &g_in.w_k, &g_in.w_v, &g_in.w_o}) {
    take(w->weight, d_model, d_model, data);
    ap::Mat bias;
    take(bias, 1, d_model, data);
    w->bias = bias;
    w->strips = ap::pack_strips(w->weight);
  }
  return 0;
}

// One forward on `threads` threads; the output [n x d_model] stays until the next call.
EMSCRIPTEN_KEEPALIVE const float* peer_output(int threads) {
  ap::set_threads(threads);
  g_trace = ap::run(g_cfg, g_in);
  return g_trace.output.data();
}

// The best of `reps` forwards on `threads` threads, in ms.
EMSCRIPTEN_KEEPALIVE double peer_time(int threads, int reps) {
  ap::set_threads(threads);
  return 1e3 * best_of(reps, [] { keep(ap::run(g_cfg, g_in).output); });
}

}  // extern "C"

int main() { return 0; }
