// The training lab's session: see train.h.
#include "session/train.h"

#include <algorithm>
#include <chrono>

#include "io/npz.h"
#include "train/url.h"

namespace web {

void train_restart(TrainSession& p, const ap::train::TrainSettings& settings) {
  p.settings = p.edit = settings;
  p.trainer = std::make_unique<ap::train::Trainer>(settings);
  p.running = false;
  p.pending_steps = 0;
  p.eval_steps.clear();
  p.eval_loss.clear();
  p.eval_accuracy.clear();
  p.steps_per_second = 0;
  p.longest_slice_ms = 0;
  p.errors.clear();
  train_refresh(p);
}

void train_ensure(TrainSession& p) {
  if (!p.trainer) train_restart(p, p.settings);
}

void train_apply_edit(TrainSession& p) {
  p.errors = ap::train::validate(p.edit);
  if (p.errors.empty()) train_restart(p, p.edit);
}

void train_refresh(TrainSession& p) {
  if (!p.trainer) return;
  p.eval = p.trainer->evaluate();
  p.probe = p.trainer->probe();
  const int step = p.trainer->step_count();
  if (!p.eval_steps.empty() && p.eval_steps.back() == step) {  // same step, new weights or ablation
    p.eval_loss.back() = p.eval.loss;
    p.eval_accuracy.back() = p.eval.accuracy;
  } else {
    p.eval_steps.push_back(step);
    p.eval_loss.push_back(p.eval.loss);
    p.eval_accuracy.push_back(p.eval.accuracy);
  }
  ++p.generation;
}

void train_tick(TrainSession& p, double budget_ms) {
  if (!p.trainer || (!p.running && p.pending_steps == 0)) return;
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const auto elapsed_ms = [&] { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); };
  int done = 0;
  // Whole steps until the frame's budget is spent: a step at the largest
  // settings takes a few ms in wasm (see the README), so a frame stays short.
  do {
    p.trainer->step();
    ++done;
    if (p.pending_steps > 0) --p.pending_steps;
  } while ((p.running || p.pending_steps > 0) && elapsed_ms() < budget_ms);
  train_refresh(p);  // evaluation and probe belong to the frame's slice too
  const double ms = elapsed_ms();
  p.steps_per_second = done / (ms / 1000.0);
  p.longest_slice_ms = std::max(p.longest_slice_ms, ms);
}

std::string train_ablate(TrainSession& p, int layer, int head, bool on) {
  train_ensure(p);
  std::string e = p.trainer->set_ablated(layer, head, on);
  if (e.empty()) train_refresh(p);
  return e;
}

std::vector<std::string> train_apply_link(TrainSession& p,
                                          const std::vector<std::pair<std::string, std::string>>& pairs) {
  auto t = ap::train::apply_settings(ap::train::TrainSettings{}, pairs);
  if (!(t.settings == p.settings) || !p.trainer) {
    p.settings = p.edit = t.settings;
    p.trainer.reset();  // made on the lab's first use
  }
  return std::move(t.notes);
}

std::string train_import_npz(TrainSession& p, const std::string& bytes) {
  train_ensure(p);
  auto parsed = ap::parse_npz(bytes);
  if (auto* e = std::get_if<std::string>(&parsed)) return "weights .npz: " + *e;
  const auto& arrays = std::get<0>(parsed);
  // Check every tensor before changing any, so a bad file changes nothing.
  std::vector<std::pair<std::string, ap::train::MatD>> values;
  const auto expected = p.trainer->parameters();
  for (const auto& want : expected) {
    auto it = std::find_if(arrays.begin(), arrays.end(), [&](const auto& a) { return a.first == want.name; });
    if (it == arrays.end())
      return "weights .npz: no '" + want.name +
             "' (export from a run with the same layers, layer norm and MLP settings)";
    auto m = ap::train::from_array(it->second);
    if (auto* e = std::get_if<std::string>(&m)) return "weights .npz: '" + want.name + "': " + *e;
    auto& v = std::get<ap::train::MatD>(m);
    if (v.rows() != want.value.rows() || v.cols() != want.value.cols())
      return "weights .npz: '" + want.name + "' is " + std::to_string(v.rows()) + " x " + std::to_string(v.cols()) +
             ", this model needs " + std::to_string(want.value.rows()) + " x " + std::to_string(want.value.cols());
    if (!v.allFinite()) return "weights .npz: '" + want.name + "' holds NaN or infinite values";
    values.emplace_back(want.name, std::move(v));
  }
  for (const auto& [name, v] : values)
    if (auto e = p.trainer->set_parameter(name, v); !e.empty()) return "weights .npz: " + e;
  train_refresh(p);
  return "";
}

std::string train_export_npz(const TrainSession& p) {
  std::vector<std::pair<std::string, ap::Array>> arrays;
  for (const auto& t : p.trainer->parameters()) arrays.emplace_back(t.name, ap::train::to_array(t.value));
  return ap::npz_bytes(arrays);
}

}  // namespace web
