// The session: what the page knows and does, without drawing it. The applied
// Config, the Trace computed from it (in slices over frames when large, new
// weights before their outputs), the numbers derived from it, imports,
// notes, what the link records and the training lab. No ImGui, no
// Emscripten: built natively and tested with doctest (tests/session/).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "config/config.h"
#include "io/export.h"
#include "kernels/plan.h"
#include "layer/attention.h"
#include "session/homework.h"
#include "session/lessons.h"
#include "session/model.h"
#include "session/train.h"

namespace web {

// Everything the core derives from the trace for the panels (analysis.h),
// each computed when first asked for.
struct Derived {
  uint64_t generation = 0;              // the trace generation `head_stats` belongs to
  ap::HeadAnalysis head_stats;          // per-head statistics and similarity
  std::unique_ptr<ap::Plan> head_plan;  // fills `head_stats` (a large trace takes several frames)
  ap::LayerCosts costs;
  size_t trace_bytes = 0;  // what the shown trace holds (config.h's trace_bytes)
  // The Sizes panel's rows, [size_presets()]: one layer of each model at the
  // trace's lengths, and the config its "use" button would apply (or why not).
  struct Preset {
    ap::LayerCosts costs;
    size_t trace_bytes = 0;  // what the shown trace holds (config.h's trace_bytes)
    ap::Config config;
    std::string error;  // the first validation error of `config`, "" if usable
  };
  uint64_t presets_generation = 0;
  std::vector<Preset> presets;
  ap::ScalingSamples scaling_samples;  // drawn once (fixed seed): the slow part
  std::vector<ap::ScalingPoint> scaling;
  double scaling_temperature = 0;      // the temperature `scaling` was computed for
  double scaling_uniform_entropy = 0;  // log(n_keys) of the samples: the entropy of uniform attention
};

// A recompute too large for one frame, spread over frames (plan.h): the
// page keeps drawing the current trace until this one is done.
struct Pending {
  ap::Config config;  // what is being computed
  bool attention_only = false;
  ap::Inputs inputs;               // made by the plan (full recomputes)
  const ap::Inputs* in = nullptr;  // &inputs, or the session's current inputs (attention only)
  ap::Trace trace;
  ap::Plan plan;
  double ms = 0;                // compute time so far, summed over slices
  double longest_slice_ms = 0;  // the longest a frame spent on it
};

// What the page shows besides the config, which the link records too.
struct ViewState {
  std::string panel = "heads";    // a key of the panel registry
  bool panel_requested = false;   // select `panel` on the next frame (openPanel, pipeline clicks)
  int head = 0;                   // the head shown large (Heads), compared (Compare) and in Tensors
  std::string tensor = "scores";  // the Tensors panel's
  bool embed = false;             // #embed=1: the chosen view only, no controls
};

struct Session {
  ap::Config config;                 // applied and valid: the config of `trace`
  ap::Inputs inputs;                 // made from config (and imports): what export_arrays needs
  ap::Trace trace;                   // computed from config
  std::unique_ptr<Pending> pending;  // a larger config under way, if any
  // The shown trace's contexts, concat and output, after its weights were
  // shown (plan_outputs on trace; trace.outputs_ready tells when done).
  std::unique_ptr<ap::Plan> finishing;
  uint64_t generation = 0;      // bumps with every new trace; views re-upload then
  uint64_t frame = 0;           // frames drawn
  uint64_t swap_frame = 0;      // the frame during or after which the shown trace came in
  double weights_ms = 0;        // of the last trace: from the edit to its weights shown (summed over slices)
  double compute_ms = 0;        // compute time of the last trace (summed over its slices), outputs included
  double longest_slice_ms = 0;  // of the last pending recompute
  double longest_piece_ms = 0;  // its slowest piece of work (plan.h)
  double longest_frame_ms =
      0;  // the most a frame took in the page's code (measured by the platform); computing() resets it
  Derived derived;
  ap::Imported imported;           // .npy tensors that replace X or the projections
  std::vector<std::string> notes;  // what a link or an import could not use, shown until dismissed
  // Bumps when the config is set from outside the controls (a link, the JS
  // API, a panel, reset): the controls then show it instead of their draft.
  uint64_t outside_edits = 0;
  ViewState view;
  std::vector<std::string> panel_keys;  // the panel registry's keys, for links and openPanel
  bool online = true;
  TrainSession train;
  // A real GPT-2, when loaded: the config, inputs and trace above are then its chosen layer's (model.h).
  std::unique_ptr<ModelSession> model;
  std::unique_ptr<ModelLoad> loading;  // a model's files as they arrive
  ModelFetch fetch;                    // the download, as the page reports it
  Lessons lessons;                     // the lessons, the open one and the learner's progress
  Homework homework;                   // the learner's own result, checked against the trace
};

// [SECTION] the config and its trace
// Validates `next`; if valid and different, recomputes the trace and the
// derived numbers: at once when that is quick (so the JS API reads them right
// after), else over the next frames (see advance). Returns the validation
// errors; on errors the session is unchanged.
std::vector<std::string> apply_config(Session& s, const ap::Config& next);
// apply_config for an edit from outside the controls (the controls show it).
std::vector<std::string> apply_outside_edit(Session& s, const ap::Config& next);
// After the trace was replaced: the derived numbers, a new generation, the focused head in range.
void shown_new_trace(Session& s);
// The config the session is heading for: the pending one, or the applied one.
const ap::Config& target_config(const Session& s);
// Advances a pending recompute by about budget_ms: a new trace up to its
// weights, swapped in when they are done; then the shown trace's outputs.
void advance(Session& s, double budget_ms);
// Whether anything is still being computed (a pending trace or the outputs of the shown one).
bool busy(const Session& s);
// The plan whose progress the page shows as a bar, or nullptr (outputs that
// take a frame or two follow the weights without one: it would flicker).
const ap::Plan* shown_progress(const Session& s);
// Recomputes the current config (after imports change).
void refresh(Session& s);
// Recomputes everything for `next` (valid), nothing reused, before returning:
// for a config whose trace has nothing in common with the shown one (a model unloaded).
void recompute_whole(Session& s, const ap::Config& next);
// Back to the defaults, without imported tensors or notes.
void reset(Session& s);
// The work of one frame before drawing: a slice of a recompute and of training.
void begin_frame(Session& s);

// [SECTION] derived numbers, on demand
// Computes the per-head statistics and similarity of the current trace for
// about budget_ms, starting them for a new trace (lazy: O(heads²·n²),
// needed only by the Compare panel and analysis()). True when done.
bool advance_head_analysis(Session& s, double budget_ms);
// The scaling lab's curves, computed if missing or stale (they are slow to start).
void ensure_scaling(Session& s);
// The Sizes panel's rows for the current trace.
const std::vector<Derived::Preset>& size_preset_rows(Session& s);
// Selects a panel (as if its tab were clicked); false for an unknown key.
bool open_panel(Session& s, const std::string& key);

// Budgets, in ms of a frame: a slice of a large recompute, of the Compare
// panel's statistics (it may share a frame with a recompute's) and of training.
inline constexpr double kSliceMs = 16, kStatsSliceMs = 10, kTrainSliceMs = 8;
// Work a frame can absorb: plans estimated below this run at once, larger
// ones a slice per frame. A unit of plan cost is about 0.6 ns in wasm
// (core/layer/attention.cpp), so this is about 35 ms.
inline constexpr double kAtOnceCost = 60e6;

}  // namespace web
