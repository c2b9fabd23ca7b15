// Adam's update, tensor by tensor.
#include "train/adam.h"

#include <cmath>

namespace ap::train {

Adam::Adam(const Params& params) : m_(params.zeros_like()), v_(params.zeros_like()) {}

double Adam::step(Params& params, const Params& grads, const AdamOptions& o) {
  const std::vector<MatD*> p = params.tensors(), m = m_.tensors(), v = v_.tensors();
  const std::vector<const MatD*> g = grads.tensors();
  double sq = 0;
  for (const MatD* t : g) sq += t->squaredNorm();
  const double norm = std::sqrt(sq);
  // A non-finite gradient is left alone: the loss shows it, and scaling by
  // clip/inf would silently turn it into zeros.
  const double gscale = o.clip_norm > 0 && norm > o.clip_norm && std::isfinite(norm) ? o.clip_norm / norm : 1.0;

  ++t_;
  beta1_t_ *= o.beta1;
  beta2_t_ *= o.beta2;
  const double c1 = 1.0 / (1.0 - beta1_t_), c2 = 1.0 / (1.0 - beta2_t_);
  for (size_t i = 0; i < p.size(); ++i) {
    auto gi = g[i]->array() * gscale;
    m[i]->array() = o.beta1 * m[i]->array() + (1.0 - o.beta1) * gi;
    v[i]->array() = o.beta2 * v[i]->array() + (1.0 - o.beta2) * gi.square();
    p[i]->array() -= o.learning_rate * (m[i]->array() * c1) / ((v[i]->array() * c2).sqrt() + o.eps);
  }
  return norm;
}

}  // namespace ap::train
