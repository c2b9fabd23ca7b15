// A training run for the "train attention in the tab" lab: the model, Adam,
// the seeded batches and the history, behind one small class the UI drives a
// few steps per frame.
//
// Reproducibility: the same TrainSettings give a bit-identical loss curve on
// every run on the same platform (tested): batches, the eval batch, the probe
// and the initial weights come from SplitMix64 streams of the seed, nothing
// is threaded, and Eigen's products sum in a fixed order for fixed sizes.
// Native and wasm agree on the batches and the initial weights bit for bit
// (integer arithmetic, uniform draws, √ and + − × ÷, all correctly rounded),
// but NOT on the curve: exp, log and tanh come from different libms (glibc vs
// Emscripten's musl) and may differ in the last bit, and native Eigen sums
// with SSE2 packets where wasm sums in scalar order; the tiny differences grow
// over training, so curves agree closely at first and then only in shape.
#pragma once
#include <string>
#include <variant>
#include <vector>

#include "io/npy.h"
#include "train/adam.h"
#include "train/model.h"
#include "train/settings.h"

namespace ap::train {

// Loss and accuracy of the batch a step trained on, measured before its
// update (so step 1's loss is the untrained model's, about ln V).
struct StepStats {
  int step = 0;          // 1, 2, ...
  double loss = 0;       // mean cross-entropy over scored positions, nats
  double accuracy = 0;   // fraction of scored positions whose most likely token is the target
  double grad_norm = 0;  // global gradient norm before clipping
};

struct EvalStats {
  double loss = 0, accuracy = 0;
  int scored = 0;  // scored positions in the eval batch
};

// What the heatmaps show: one fixed example through the current weights.
struct Probe {
  int T = 0;
  std::vector<int> tokens;                     // [T]
  std::vector<std::string> labels;             // [T] token_label() of each token, e.g. "3", "|"
  std::vector<int> targets;                    // [T] -1 where not scored
  std::vector<int> predictions;                // [T] most likely next token at every position
  std::vector<std::string> prediction_labels;  // [T]
  MatD probs;                                  // [T x V] softmax of the logits
  std::vector<std::vector<MatD>> weights;      // [layers][n_heads] each [T x T]: row = query, column = key
  double loss = 0, accuracy = 0;               // on this example's scored positions
};

struct NamedTensor {
  std::string name;  // see Params::for_each
  MatD value;
};

// Sequences in the fixed evaluation batch: 64 · L scored tokens, so accuracy
// moves in steps of at most 1/128 for L >= 2.
inline constexpr int kEvalSequences = 64;

class Trainer {
 public:
  // Precondition: validate(settings) is empty (use make_trainer() otherwise).
  explicit Trainer(const TrainSettings& settings);

  const TrainSettings& settings() const { return settings_; }
  const ModelShape& shape() const { return shape_; }

  // One Adam step on a fresh batch (the next from the seed's stream), with
  // the current ablation applied. Appends to history().
  StepStats step();
  int steps() const { return static_cast<int>(history_.size()); }
  const std::vector<StepStats>& history() const { return history_; }

  // Loss and accuracy on a fixed batch of kEvalSequences drawn from the seed,
  // the same at every step, with the current ablation.
  EvalStats evaluate() const;
  // The fixed probe example (one sequence per task and settings) through the
  // current weights and ablation.
  Probe probe() const;

  // Ablate (on = true) or restore head `head` of layer `layer`. Empty string,
  // or why not (out of range). Applies to step(), evaluate() and probe().
  std::string set_ablated(int layer, int head, bool on);
  bool ablated(int layer, int head) const;
  void clear_ablation();

  // Every parameter tensor by name (Params::for_each order), e.g. to save as .npy.
  std::vector<NamedTensor> parameters() const;
  // Replaces one tensor. Empty string on success; otherwise the reason
  // (unknown name, wrong shape, non-finite values) and nothing changes.
  // Adam's moments are kept.
  std::string set_parameter(const std::string& name, const MatD& value);

  const Batch& eval_batch() const { return eval_; }
  const Batch& probe_example() const { return probe_; }

 private:
  TrainSettings settings_;
  ModelShape shape_;
  Params params_, grads_;
  Adam adam_;
  AdamOptions adam_options_;
  Rng batch_rng_;
  Batch eval_, probe_;
  HeadMask ablated_;
  std::vector<StepStats> history_;
  // Reused by step() and evaluate() so that nothing is allocated once the
  // sizes settle (see Workspace in model.h); this is why a Trainer must not
  // be shared between threads, even through const methods.
  Activations scratch_;
  mutable Activations eval_scratch_;
};

// A Trainer, or validate()'s messages.
std::variant<Trainer, std::vector<std::string>> make_trainer(const TrainSettings& settings);

// .npy conversions for parameters(): a [1 x n] bias becomes shape (n,), any
// other tensor (rows, cols), float64. The reverse accepts 1-D arrays as
// [1 x n] and 2-D as given; any dtype (values are held as doubles).
Array to_array(const MatD& m);
std::variant<MatD, std::string> from_array(const Array& a);

}  // namespace ap::train
