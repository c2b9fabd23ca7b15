// Benchmark (not a test) of the training lab, natively or as wasm under Node:
//   ap_bench_train                     steps/s of the default task (+ evaluate() and probe() times)
//   ap_bench_train --tasks             steps to 95% / 99% eval accuracy for every task's
//                                      default_settings, seeds 1..3 (the figures in tasks.cpp)
//   ap_bench_train --tasks key=value.. the same for one set of settings, e.g.
//                                      task=induction layers=2 d_model=32 lr=0.003 steps=4000
// Keys: task L vocab layers heads d_model ln mlp lr batch steps seeds.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "train/trainer.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace ap::train;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

const char* build_name() {
#if defined(__EMSCRIPTEN__)
  return "wasm -O3 -msimd128";
#else
  return "native";
#endif
}

void throughput(const TrainSettings& s) {
  Trainer t(s);
  for (int i = 0; i < 20; ++i) t.step();  // warm-up: allocations settle
  int n = 0;
  const auto t0 = Clock::now();
  while (seconds_since(t0) < 2.0) {
    for (int i = 0; i < 50; ++i) t.step();
    n += 50;
  }
  const double step_s = seconds_since(t0) / n;
  auto t1 = Clock::now();
  for (int i = 0; i < 20; ++i) t.evaluate();
  const double eval_s = seconds_since(t1) / 20;
  t1 = Clock::now();
  for (int i = 0; i < 200; ++i) t.probe();
  const double probe_s = seconds_since(t1) / 200;
  std::printf(
      "%-10s L=%d vocab=%d layers=%d heads=%d d_model=%d ln=%d mlp=%d batch=%d: %7.0f steps/s "
      "(%.3f ms/step), evaluate %.3f ms, probe %.3f ms\n",
      task_info(s.task).key, s.length, s.vocab, s.layers, s.n_heads, s.d_model, s.layer_norm, s.mlp, s.batch,
      1.0 / step_s, 1e3 * step_s, 1e3 * eval_s, 1e3 * probe_s);
}

// Trains until max_steps, evaluating every 10 steps; prints when eval
// accuracy first reaches 95% and 99%.
void steps_to_accuracy(const TrainSettings& base, int max_steps, int seeds) {
  std::printf("%s: L=%d vocab=%d layers=%d heads=%d d_model=%d ln=%d mlp=%d lr=%g batch=%d\n", task_info(base.task).key,
              base.length, base.vocab, base.layers, base.n_heads, base.d_model, base.layer_norm, base.mlp,
              base.learning_rate, base.batch);
  for (uint32_t seed = 1; seed <= static_cast<uint32_t>(seeds); ++seed) {
    TrainSettings s = base;
    s.seed = seed;
    Trainer t(s);
    int at95 = -1, at99 = -1;
    EvalStats e;
    const auto t0 = Clock::now();
    while (t.steps() < max_steps && at99 < 0) {
      for (int i = 0; i < 10; ++i) t.step();
      e = t.evaluate();
      if (at95 < 0 && e.accuracy >= 0.95) at95 = t.steps();
      if (at99 < 0 && e.accuracy >= 0.99) at99 = t.steps();
    }
    std::printf("  seed %u: 95%% at %5d, 99%% at %5d steps; after %d steps eval loss %.4f accuracy %.3f (%.1f s)\n",
                seed, at95, at99, t.steps(), e.loss, e.accuracy, seconds_since(t0));
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::printf("build: %s\n", build_name());
  if (argc < 2 || std::strcmp(argv[1], "--tasks") != 0) {
    throughput(TrainSettings{});
    for (int k = 0; k < kTaskCount; ++k)
      if (static_cast<Task>(k) != TrainSettings{}.task) throughput(default_settings(static_cast<Task>(k)));
    return 0;
  }
  if (argc == 2) {
    for (const auto& info : all_tasks()) steps_to_accuracy(default_settings(info.task), 5000, 3);
    return 0;
  }
  TrainSettings s;
  int steps = 3000, seeds = 3;
  // task= first, so that the other keys override that task's defaults.
  for (int i = 2; i < argc; ++i)
    if (std::strncmp(argv[i], "task=", 5) == 0) {
      const auto task = task_from_key(argv[i] + 5);
      if (!task) {
        std::fprintf(stderr, "unknown task %s\n", argv[i] + 5);
        return 2;
      }
      s = default_settings(*task);
    }
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto eq = arg.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "expected key=value, got %s\n", argv[i]);
      return 2;
    }
    const std::string key = arg.substr(0, eq);
    const char* v = argv[i] + eq + 1;
    if (key == "L") s.length = std::atoi(v);
    else if (key == "vocab") s.vocab = std::atoi(v);
    else if (key == "layers") s.layers = std::atoi(v);
    else if (key == "heads") s.n_heads = std::atoi(v);
    else if (key == "d_model") s.d_model = std::atoi(v);
    else if (key == "ln") s.layer_norm = std::atoi(v) != 0;
    else if (key == "mlp") s.mlp = std::atoi(v) != 0;
    else if (key == "lr") s.learning_rate = std::atof(v);
    else if (key == "batch") s.batch = std::atoi(v);
    else if (key == "steps") steps = std::atoi(v);
    else if (key == "seeds") seeds = std::atoi(v);
    else if (key != "task") {
      std::fprintf(stderr, "unknown key %s\n", key.c_str());
      return 2;
    }
  }
  const auto errors = validate(s);
  for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
  if (!errors.empty()) return 2;
  steps_to_accuracy(s, steps, seeds);
  return 0;
}
