// What a training run is: the task, the model's size and the optimiser's
// knobs. Like Config (config.h) for the playground, it is the single source
// of truth the UI edits; validate() says in plain words what is wrong.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "train/tasks.h"

namespace ap::train {

struct TrainSettings {
  Task task = Task::Reverse;
  int length = 6;   // L: content tokens per sequence (T = sequence_length(task, L))
  int vocab = 10;   // content tokens "0".."vocab-1"; the model adds SEP
  int layers = 1;   // 1 or 2 attention layers
  int n_heads = 2;  // d_head = d_model / n_heads
  int d_model = 32;
  bool layer_norm = false;      // pre-LN before attention and MLP, and a final LN before the unembedding
  bool mlp = false;             // a GELU MLP (d_model -> 4·d_model -> d_model) after each attention
  double learning_rate = 3e-3;  // Adam's step size
  int batch = 32;               // B: sequences per step
  uint32_t seed = 1;            // initial weights, training batches, the eval batch and the probe

  bool operator==(const TrainSettings&) const = default;
};

// Limits, and why: a step must stay well under a frame (16 ms) in wasm at the
// largest settings, and heatmaps of T = 2L <= 64 rows stay readable.
struct TrainLimits {
  static constexpr int max_length = 32;
  static constexpr int max_vocab = 64;
  static constexpr int max_layers = 2;
  static constexpr int max_heads = 8;
  static constexpr int max_d_model = 128;
  static constexpr int max_batch = 256;
  static constexpr double max_learning_rate = 1.0;
};

// Empty when the settings are usable; otherwise one readable sentence per problem.
std::vector<std::string> validate(const TrainSettings& s);

// Settings per task that learn quickly and show a clear head pattern
// (measured; see settings.cpp). default_settings(Task::Reverse) == TrainSettings{}.
TrainSettings default_settings(Task task);

}  // namespace ap::train
