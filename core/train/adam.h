// Adam (Kingma & Ba, 2015) with bias correction, and optional clipping of the
// gradient's global norm, over the model's Params.
#pragma once
#include "train/model.h"

namespace ap::train {

struct AdamOptions {
  double learning_rate = 1e-3;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // the paper's (and PyTorch's) defaults
  // > 0: scale the whole gradient down so its norm is at most this. Keeps a
  // learner's too-large learning rate from blowing the run up in one step.
  double clip_norm = 1.0;
};

class Adam {
 public:
  // Moments start at zero with params' shapes.
  explicit Adam(const Params& params);
  // One update of params from grads (same shapes). Returns the gradient's
  // global L2 norm before clipping.
  double step(Params& params, const Params& grads, const AdamOptions& o);
  int step_count() const { return t_; }

 private:
  Params m_, v_;
  int t_ = 0;
  // β1^t and β2^t as running products rather than std::pow: plain
  // multiplications round the same way on every platform.
  double beta1_t_ = 1, beta2_t_ = 1;
};

}  // namespace ap::train
