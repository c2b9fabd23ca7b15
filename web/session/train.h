// The training lab's session: a tiny transformer (core/train/) learning a
// toy task, a few Adam steps per frame, with its curves and the probe the
// Train panel draws. Owned by the Session, so the JS API and the tests
// drive it without the panel.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "train/trainer.h"

namespace web {

struct TrainSession {
  ap::train::TrainSettings settings;            // what the trainer was made from (and the link records)
  ap::train::TrainSettings edit;                // the form, applied by "apply"
  std::vector<std::string> errors;              // why `edit` was not applied
  std::unique_ptr<ap::train::Trainer> trainer;  // made on first use
  bool running = false;
  int pending_steps = 0;  // asked for by "step" or the JS API, done over the next frames
  // Evaluation on the fixed batch, every few steps: the curve learners read.
  std::vector<int> eval_steps;
  std::vector<double> eval_loss, eval_accuracy;
  ap::train::EvalStats eval;  // current weights and ablation
  ap::train::Probe probe;
  double steps_per_second = 0;  // over the last frame that trained
  double longest_slice_ms = 0;  // the longest time training held a frame, since the restart
  uint64_t generation = 0;      // bumps when the probe changes; heatmaps re-upload
  std::string message;          // the last import's result
};

// A new trainer for `settings` (valid): step 0, curves cleared, ablation off.
void train_restart(TrainSession& p, const ap::train::TrainSettings& settings);
// Makes the trainer if there is none yet (the lab is lazy: most visits never train).
void train_ensure(TrainSession& p);
// Applies the form (`edit`) when valid, restarting; otherwise keeps its errors.
void train_apply_edit(TrainSession& p);
// Trains while running (or while steps are pending) for at most budget_ms of
// this frame, then refreshes the evaluation and the probe.
void train_tick(TrainSession& p, double budget_ms);
// Re-evaluates after the weights or the ablation changed outside step().
void train_refresh(TrainSession& p);
// Switches a head off or on; "" or why not.
std::string train_ablate(TrainSession& p, int layer, int head, bool on);
// Settings from a link's t_ keys (core/train/url.h): every usable one is
// applied; returns a note per one that is not. Restarts if they changed.
std::vector<std::string> train_apply_link(TrainSession& p,
                                          const std::vector<std::pair<std::string, std::string>>& pairs);

// Replaces the weights from a .npz of parameters() (as exported); "" or why not.
std::string train_import_npz(TrainSession& p, const std::string& bytes);
// The current weights as a .npz, one float64 array per parameter tensor.
std::string train_export_npz(const TrainSession& p);

}  // namespace web
