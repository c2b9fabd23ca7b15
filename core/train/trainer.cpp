// The training run: seeded batches, Adam steps, evaluation, the probe, head
// ablation and parameter import/export.
#include "train/trainer.h"

#include <algorithm>
#include <cmath>

namespace ap::train {

namespace {

ModelShape shape_of(const TrainSettings& s) {
  ModelShape m;
  m.vocab = model_vocab(s.vocab);
  m.n_ctx = sequence_length(s.task, s.length);
  m.d_model = s.d_model;
  m.n_heads = s.n_heads;
  m.n_layers = s.layers;
  m.layer_norm = s.layer_norm;
  m.mlp = s.mlp;
  return m;
}

Batch fixed_batch(const TrainSettings& s, const char* label, int B) {
  Rng rng = stream(s.seed, label);
  return make_batch(s.task, s.length, s.vocab, B, rng);
}

std::string shape_text(Eigen::Index r, Eigen::Index c) {
  return "[" + std::to_string(r) + " x " + std::to_string(c) + "]";
}

}  // namespace

Trainer::Trainer(const TrainSettings& settings)
    : settings_(settings),
      shape_(shape_of(settings)),
      params_(init_params(shape_, settings.seed)),
      grads_(params_.zeros_like()),
      adam_(params_),
      batch_rng_(stream(settings.seed, "train.batches")),
      // The eval batch and the probe have their own streams, so they do not
      // depend on how many steps were taken or on the batch size.
      eval_(fixed_batch(settings, "train.eval", kEvalSequences)),
      probe_(fixed_batch(settings, "train.probe", 1)),
      ablated_(static_cast<size_t>(settings.layers * settings.n_heads), 0) {
  adam_options_.learning_rate = settings.learning_rate;
}

StepStats Trainer::step() {
  const Batch batch = make_batch(settings_.task, settings_.length, settings_.vocab, settings_.batch, batch_rng_);
  forward(params_, shape_, batch, ablated_, scratch_);
  backward(params_, shape_, batch, ablated_, scratch_, grads_);
  StepStats st;
  st.step = steps() + 1;
  st.loss = scratch_.loss;
  st.accuracy = scratch_.accuracy();
  st.grad_norm = adam_.step(params_, grads_, adam_options_);
  history_.push_back(st);
  return st;
}

EvalStats Trainer::evaluate() const {
  forward(params_, shape_, eval_, ablated_, eval_scratch_);
  return {eval_scratch_.loss, eval_scratch_.accuracy(), eval_scratch_.scored};
}

Probe Trainer::probe() const {
  Activations act;
  forward(params_, shape_, probe_, ablated_, act);
  Probe p;
  p.T = probe_.T;
  p.tokens = probe_.tokens;
  p.targets = probe_.targets;
  p.probs = act.probs;
  p.loss = act.loss;
  p.accuracy = act.accuracy();
  for (int t = 0; t < p.T; ++t) {
    Eigen::Index arg = 0;
    act.probs.row(t).maxCoeff(&arg);
    p.labels.push_back(token_label(p.tokens[static_cast<size_t>(t)], settings_.vocab));
    p.predictions.push_back(static_cast<int>(arg));
    p.prediction_labels.push_back(token_label(static_cast<int>(arg), settings_.vocab));
  }
  for (const auto& layer : act.layers) p.weights.emplace_back(layer.weights.begin(), layer.weights.end());
  return p;
}

std::string Trainer::set_ablated(int layer, int head, bool on) {
  if (layer < 0 || layer >= settings_.layers)
    return "layer " + std::to_string(layer) + " does not exist: layers are 0.." + std::to_string(settings_.layers - 1);
  if (head < 0 || head >= settings_.n_heads)
    return "head " + std::to_string(head) + " does not exist: heads are 0.." + std::to_string(settings_.n_heads - 1);
  ablated_[static_cast<size_t>(layer * settings_.n_heads + head)] = on ? 1 : 0;
  return {};
}

bool Trainer::ablated(int layer, int head) const {
  if (layer < 0 || layer >= settings_.layers || head < 0 || head >= settings_.n_heads) return false;
  return ablated_[static_cast<size_t>(layer * settings_.n_heads + head)] != 0;
}

void Trainer::clear_ablation() { std::fill(ablated_.begin(), ablated_.end(), 0); }

std::vector<NamedTensor> Trainer::parameters() const {
  std::vector<NamedTensor> out;
  params_.for_each([&](const std::string& name, const MatD& m) { out.push_back({name, m}); });
  return out;
}

std::string Trainer::set_parameter(const std::string& name, const MatD& value) {
  MatD* target = nullptr;
  params_.for_each([&](const std::string& n, MatD& m) {
    if (n == name) target = &m;
  });
  if (!target) {
    std::string known;
    params_.for_each([&](const std::string& n, const MatD&) { known += (known.empty() ? "" : ", ") + n; });
    return "unknown parameter \"" + name + "\"; this model has: " + known;
  }
  if (value.rows() != target->rows() || value.cols() != target->cols())
    return name + " must be " + shape_text(target->rows(), target->cols()) + " (got " +
           shape_text(value.rows(), value.cols()) + ")";
  for (Eigen::Index i = 0; i < value.size(); ++i)
    if (!std::isfinite(value.data()[i]))
      return name + " has a non-finite value at [" + std::to_string(i / value.cols()) + ", " +
             std::to_string(i % value.cols()) + "]";
  *target = value;
  return {};
}

std::variant<Trainer, std::vector<std::string>> make_trainer(const TrainSettings& settings) {
  auto errors = validate(settings);
  if (!errors.empty()) return errors;
  return Trainer(settings);
}

Array to_array(const MatD& m) {
  Array a;
  a.dtype = DType::F64;
  if (m.rows() == 1) a.shape = {m.cols()};
  else a.shape = {m.rows(), m.cols()};
  a.values.assign(m.data(), m.data() + m.size());  // row-major: already C order
  return a;
}

std::variant<MatD, std::string> from_array(const Array& a) {
  if (a.shape.size() != 1 && a.shape.size() != 2)
    return "a parameter must be 1-D or 2-D (got shape " + a.shape_text() + ")";
  const int64_t rows = a.shape.size() == 1 ? 1 : a.shape[0], cols = a.shape.back();
  if (rows * cols != static_cast<int64_t>(a.values.size())) return "array holds the wrong number of values";
  MatD m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = a.values[static_cast<size_t>(i)];
  return m;
}

}  // namespace ap::train
