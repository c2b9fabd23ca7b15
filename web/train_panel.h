// The training lab: a tiny transformer (core/train/) learns a toy task live,
// a few Adam steps per frame, while the page draws its loss, its accuracy and
// the attention of every head on a fixed probe example.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "heatmap.h"
#include "train/trainer.h"

namespace web {

struct TrainPanel {
  ap::train::TrainSettings settings;  // what the trainer was made from (and the link records)
  ap::train::TrainSettings edit;      // the form, applied by "apply"
  std::vector<std::string> errors;    // why `edit` was not applied
  std::unique_ptr<ap::train::Trainer> trainer;  // made on first use
  bool running = false;
  int pending_steps = 0;              // asked for by "step" or the JS API, done over the next frames
  // Evaluation on the fixed batch, every few steps: the curve learners read.
  std::vector<int> eval_steps;
  std::vector<double> eval_loss, eval_accuracy;
  ap::train::EvalStats eval;          // current weights and ablation
  ap::train::Probe probe;
  double steps_per_second = 0;        // over the last frame that trained
  double longest_slice_ms = 0;        // the longest time training held a frame, since the restart
  uint64_t generation = 0;            // bumps when the probe changes; heatmaps re-upload
  uint64_t uploaded = 0;
  std::vector<std::unique_ptr<Heatmap>> maps;  // [layer·n_heads + head]
  std::string message;                // the last import's result
};

// A new trainer for `settings` (valid): step 0, curves cleared, ablation off.
void train_restart(TrainPanel& p, const ap::train::TrainSettings& settings);
// Makes the trainer if there is none yet (the lab is lazy: most visits never train).
void train_ensure(TrainPanel& p);
// Trains while running (or while steps are pending) for at most budget_ms of
// this frame, then refreshes the evaluation and the probe.
void train_tick(TrainPanel& p, double budget_ms);
// Re-evaluates after the weights or the ablation changed outside step().
void train_refresh(TrainPanel& p);

// Replaces the weights from a .npz of parameters() (as exported); "" or why not.
std::string train_import_npz(TrainPanel& p, const std::string& bytes);
// The current weights as a .npz, one float64 array per parameter tensor.
std::string train_export_npz(const TrainPanel& p);

// Returns true when the user asked to export the weights (the app downloads them)
// or to load weights (the app opens the file picker), through `export_weights` / `load_weights`.
void draw_train_panel(TrainPanel& p, float scale, bool& export_weights, bool& load_weights);

}  // namespace web
