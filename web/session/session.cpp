// The session (session.h): applying configs, the recompute scheduler and the
// derived numbers.
#include "session/session.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace web {
namespace {

// Outputs (weights·V, concat, the output projection) estimated below this
// are computed in the same call as the weights, so small configs stay
// synchronous for the JS API (about 5 ms); larger ones follow from the next
// frame on, so that new weights show first: an attention-only edit at
// (256, 768, 12) is about a third weights and two thirds outputs.
constexpr double kWithWeightsCost = 8e6;

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void derive(Session& s) {
  const ap::Trace& t = s.trace;
  s.derived.costs = ap::layer_costs(t.n_q, t.n_kv, t.d_model, t.n_heads, t.n_kv_heads, s.config.bias);
  s.derived.trace_bytes =
      ap::trace_bytes(t.n_q, t.n_kv, t.d_model, t.n_heads, s.config.softcap > 0, s.config.dropout > 0);
}

void swap_in(Session& s) {
  Pending& p = *s.pending;
  s.finishing.reset();  // it fills the trace being replaced
  s.trace = std::move(p.trace);
  if (!p.attention_only) s.inputs = std::move(p.inputs);
  s.config = p.config;
  s.weights_ms = s.compute_ms = p.ms;
  s.longest_slice_ms = p.longest_slice_ms;
  s.longest_piece_ms = p.plan.longest_piece_ms();
  s.pending.reset();
  shown_new_trace(s);
  s.finishing = std::make_unique<ap::Plan>();
  ap::plan_outputs(s.config, s.inputs, s.trace, *s.finishing);
}

// Runs the shown trace's outputs for about budget_ms.
void advance_finishing(Session& s, double budget_ms) {
  const auto t0 = std::chrono::steady_clock::now();
  const bool done = s.finishing->advance(budget_ms);
  const double ms = ms_since(t0);
  s.compute_ms += ms;
  s.longest_slice_ms = std::max(s.longest_slice_ms, ms);
  s.longest_piece_ms = std::max(s.longest_piece_ms, s.finishing->longest_piece_ms());
  if (done) s.finishing.reset();
}

// Recomputes the trace for `next` (valid). With `attention_only`, the
// projections of the current trace stand (same_projections holds) and only
// attention is redone: masks, scale, temperature, softcap, dropout, policy.
void recompute(Session& s, const ap::Config& next, bool attention_only = false) {
  s.pending = std::make_unique<Pending>();  // a newer edit replaces one under way
  Pending& p = *s.pending;
  p.config = next;
  p.attention_only = attention_only;
  p.in = attention_only ? &s.inputs : &p.inputs;
  if (!attention_only) {
    ap::plan_inputs(p.config, p.inputs, p.plan);
    p.plan.add(0, [&s, &p] {
      for (auto& note : ap::apply_imports(s.imported, p.config, p.inputs)) s.notes.push_back(std::move(note));
    });
    ap::plan_projections(p.config, *p.in, p.trace, p.plan);
  }
  ap::plan_weights(p.config, *p.in, p.trace, p.plan);  // its pieces read the trace when they run
  const bool at_once = s.generation == 0 || p.plan.total() <= kAtOnceCost;
  if (attention_only) {
    // Done before the next frame, the shown trace can give up its projections rather than copy them.
    p.trace = at_once ? ap::projections_of(std::move(s.trace)) : ap::projections_of(s.trace);
  }
  // The first trace is made whole before the first frame (the loader shows progress meanwhile).
  if (s.generation == 0)
    while (busy(s)) advance(s, 1e300);
  else if (at_once) advance(s, 1e300);
}

}  // namespace

void shown_new_trace(Session& s) {
  derive(s);
  ++s.generation;
  s.swap_frame = s.frame;
  s.view.head = std::clamp(s.view.head, 0, std::max(0, s.trace.n_heads - 1));
}

std::vector<std::string> apply_config(Session& s, const ap::Config& next) {
  if (s.model) return apply_model_config(s, next);
  auto errors = ap::validate(next);
  if (!errors.empty()) return errors;
  if (s.pending && next == s.pending->config) return {};  // already under way
  if (next == s.config && s.generation > 0) {
    s.pending.reset();  // back to what is shown
    return {};
  }
  recompute(s, next, s.generation > 0 && ap::same_projections(s.config, next));
  return {};
}

std::vector<std::string> apply_outside_edit(Session& s, const ap::Config& next) {
  auto errors = apply_config(s, next);
  if (errors.empty()) ++s.outside_edits;
  return errors;
}

const ap::Config& target_config(const Session& s) {
  return s.model ? s.model->target : s.pending ? s.pending->config : s.config;
}

void advance(Session& s, double budget_ms) {
  if (s.pending) {
    if (!s.pending->plan.done()) {
      const auto t0 = std::chrono::steady_clock::now();
      const bool done = s.pending->plan.advance(budget_ms);
      const double ms = ms_since(t0);
      s.pending->ms += ms;
      s.pending->longest_slice_ms = std::max(s.pending->longest_slice_ms, ms);
      // A trace finished late in a frame's slice comes in at the start of the
      // next, so the views' work on it (pooling, uploads) gets a frame of its own.
      if (!done || (budget_ms < 1e300 && ms > budget_ms / 2)) return;
    }
    swap_in(s);
    // New weights end the call, so that they show on this frame, unless their outputs are cheap.
    if (s.finishing->total() > kWithWeightsCost) return;
  }
  if (s.finishing) advance_finishing(s, budget_ms);
}

bool busy(const Session& s) { return s.pending || s.finishing || model_busy(s); }

const ap::Plan* shown_progress(const Session& s) {
  if (model_busy(s)) return s.model->work->plan.total() > kAtOnceCost ? &s.model->work->plan : nullptr;
  if (s.pending) return &s.pending->plan;
  if (s.finishing && s.finishing->total() > kAtOnceCost) return s.finishing.get();
  return nullptr;
}

void refresh(Session& s) {
  if (!s.model) recompute(s, s.config);
}

void recompute_whole(Session& s, const ap::Config& next) {
  recompute(s, next);
  while (busy(s)) advance(s, 1e300);
  ++s.outside_edits;
}

void reset(Session& s) {
  s.model.reset();
  s.loading.reset();
  s.imported = {};
  recompute(s, ap::Config{});
  s.notes.clear();
  ++s.outside_edits;
}

void begin_frame(Session& s) {
  // A large recompute and training run between frames, in slices, so the
  // page keeps drawing. New weights get a frame on screen before their
  // outputs are computed (a slice here would hold the frame that shows them).
  ++s.frame;
  advance_model(s, kSliceMs);
  if (s.pending || s.swap_frame + 1 < s.frame) advance(s, kSliceMs);
  train_tick(s.train, kTrainSliceMs);
  update_homework(s);  // a held homework, re-checked against a new trace
  check_lesson(s);     // a step is done the moment its state holds
}

bool advance_head_analysis(Session& s, double budget_ms) {
  Derived& d = s.derived;
  if (d.generation != s.generation) {  // a new trace: the plan's pieces read s.trace
    d.head_plan = std::make_unique<ap::Plan>();
    ap::plan_head_analysis(s.trace, d.head_stats, *d.head_plan);
    d.generation = s.generation;
  }
  if (d.head_plan && d.head_plan->advance(budget_ms)) d.head_plan.reset();
  return d.head_stats.done;
}

void ensure_scaling(Session& s) {
  // The scaling lab's random scores are drawn once, from a fixed seed, on first
  // use (about 0.1 s in wasm); the curves depend only on the temperature.
  Derived& d = s.derived;
  if (d.scaling_samples.d_head.empty()) d.scaling_samples = ap::scaling_samples(2017, 32, 48);
  if (d.scaling.empty() || d.scaling_temperature != s.config.temperature) {
    d.scaling = ap::scaling_curves(d.scaling_samples, s.config.temperature);
    d.scaling_temperature = s.config.temperature;
    d.scaling_uniform_entropy = std::log(double(d.scaling_samples.n_keys));
  }
}

const std::vector<Derived::Preset>& size_preset_rows(Session& s) {
  Derived& d = s.derived;
  if (d.presets_generation == s.generation && !d.presets.empty()) return d.presets;
  d.presets.clear();
  for (const ap::SizePreset& p : ap::size_presets()) {
    Derived::Preset row;
    row.costs = ap::layer_costs(s.trace.n_q, s.trace.n_kv, p.d_model, p.n_heads, p.n_heads, true);
    row.config = s.config;
    row.config.d_model = p.d_model;
    row.config.n_heads = p.n_heads;
    row.config.n_kv_heads = 0;
    // A decoder's attention is causal, an encoder's is not; an encoder-decoder has both, so the learner's choice stays.
    if (p.stack != ap::Stack::EncoderDecoder) row.config.causal = p.stack == ap::Stack::Decoder;
    const auto errors = ap::validate(row.config);
    if (!errors.empty()) row.error = errors[0];
    d.presets.push_back(std::move(row));
  }
  d.presets_generation = s.generation;
  return d.presets;
}

bool open_panel(Session& s, const std::string& key) {
  if (std::find(s.panel_keys.begin(), s.panel_keys.end(), key) == s.panel_keys.end()) return false;
  s.view.panel = key;
  s.view.panel_requested = true;
  return true;
}

}  // namespace web
