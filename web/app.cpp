// App: applying configs, deriving the panels' numbers, laying out the windows.
#include "app.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "config/json.h"
#include "config/url.h"
#include "train/url.h"

#include "imgui.h"

namespace web {
namespace {

constexpr const char* kPanelNames[] = {"heads", "compare", "pipeline", "tensors", "masks", "scaling", "sizes", "memory", "train"};
constexpr const char* kPanelTitles[] = {"Heads", "Compare heads", "Pipeline", "Tensors", "Masks", "Why √d", "Sizes", "Memory layout", "Train"};
static_assert(sizeof kPanelNames / sizeof *kPanelNames == size_t(Panel::Count));

void derive(App& app) {
  const ap::Trace& t = app.trace;
  app.derived.costs = ap::layer_costs(t.n_q, t.n_kv, t.d_model, t.n_heads, t.n_kv_heads, app.config.bias);
}

}  // namespace

void drop_gpu_resources(App& app) {
  const auto drop = [](std::unique_ptr<Heatmap>& m) {
    if (m) m->abandon();
    m.reset();
  };
  for (auto& m : app.heads.maps) drop(m);
  app.heads.maps.clear();
  for (auto& m : app.train.maps) drop(m);
  app.train.maps.clear();
  for (auto* m : {&app.heads.legend, &app.heads.focus_map, &app.compare.similarity, &app.compare.legend, &app.tensors.map,
                  &app.tensors.legend_seq, &app.tensors.legend_div, &app.masks.map})
    drop(*m);
  app.heads.focus_shown = -1;
  app.heads.generation = app.compare.generation = app.tensors.generation = app.masks.generation = 0;
}

bool advance_head_analysis(App& app, double budget_ms) {
  Derived& d = app.derived;
  if (d.generation != app.generation) {  // a new trace: the plan's pieces read app.trace
    d.heads_plan = std::make_unique<ap::Plan>();
    ap::plan_head_analysis(app.trace, d.heads, *d.heads_plan);
    d.generation = app.generation;
  }
  if (d.heads_plan && d.heads_plan->advance(budget_ms)) d.heads_plan.reset();
  return d.heads.done;
}

void ensure_scaling(App& app) {
  // The scaling lab's random scores are drawn once, from a fixed seed, on first
  // use (about 0.1 s in wasm); the curves depend only on the temperature.
  Derived& d = app.derived;
  if (d.scaling_samples.d_head.empty()) d.scaling_samples = ap::scaling_samples(2017, 32, 48);
  if (d.scaling.empty() || d.scaling_temperature != app.config.temperature) {
    d.scaling = ap::scaling_curves(d.scaling_samples, app.config.temperature);
    d.scaling_temperature = app.config.temperature;
  }
}

const char* panel_name(Panel p) { return kPanelNames[int(p)]; }

std::optional<Panel> panel_from_name(const std::string& name) {
  for (int i = 0; i < int(Panel::Count); ++i)
    if (name == kPanelNames[i]) return Panel(i);
  return std::nullopt;
}

void open_panel(App& app, Panel p) {
  app.panel = p;
  app.panel_requested = true;
}

namespace {

// Work a frame can absorb: plans estimated below this run at once, larger
// ones a slice per frame. A unit of plan cost is about 0.6 ns in wasm
// (core/attention.cpp), so this is about 35 ms.
constexpr double kAtOnceCost = 60e6;
// Outputs (weights·V, concat, the output projection) estimated below this
// are computed in the same call as the weights, so small configs stay
// synchronous for the JS API (about 5 ms); larger ones follow from the next
// frame on, so that new weights show first: an attention-only edit at
// (256, 768, 12) is about a third weights and two thirds outputs.
constexpr double kWithWeightsCost = 8e6;
// A slice of a larger recompute per frame: with the drawing, under 50 ms
// (a piece that has begun runs to its end, a few ms past this at times).
constexpr double kSliceMs = 16;
// A slice of the Compare panel's statistics per frame (it may share a frame with a recompute's).
constexpr double kStatsSliceMs = 10;

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void swap_in(App& app) {
  Pending& p = *app.pending;
  app.finishing.reset();  // it fills the trace being replaced
  app.trace = std::move(p.trace);
  if (!p.attention_only) app.inputs = std::move(p.inputs);
  app.config = p.config;
  app.weights_ms = app.compute_ms = p.ms;
  app.longest_slice_ms = p.longest_slice_ms;
  app.longest_piece_ms = p.plan.longest_piece_ms();
  app.pending.reset();
  derive(app);
  ++app.generation;
  app.swap_frame = app.frame;
  app.finishing = std::make_unique<ap::Plan>();
  ap::plan_outputs(app.config, app.inputs, app.trace, *app.finishing);
}

// Runs the shown trace's outputs for about budget_ms.
void advance_finishing(App& app, double budget_ms) {
  const auto t0 = std::chrono::steady_clock::now();
  const bool done = app.finishing->advance(budget_ms);
  const double ms = ms_since(t0);
  app.compute_ms += ms;
  app.longest_slice_ms = std::max(app.longest_slice_ms, ms);
  app.longest_piece_ms = std::max(app.longest_piece_ms, app.finishing->longest_piece_ms());
  if (done) app.finishing.reset();
}

// Recomputes the trace for `next` (valid). With `attention_only`, the
// projections of the current trace stand (same_projections holds) and only
// attention is redone: masks, scale, temperature, softcap, dropout, policy.
void recompute(App& app, const ap::Config& next, bool attention_only = false) {
  app.pending = std::make_unique<Pending>();  // a newer edit replaces one under way
  Pending& p = *app.pending;
  p.config = next;
  p.attention_only = attention_only;
  p.in = attention_only ? &app.inputs : &p.inputs;
  if (!attention_only) {
    ap::plan_inputs(p.config, p.inputs, p.plan);
    p.plan.add(0, [&app, &p] {
      for (auto& note : ap::apply_imports(app.imported, p.config, p.inputs)) app.notes.push_back(std::move(note));
    });
    ap::plan_projections(p.config, *p.in, p.trace, p.plan);
  }
  ap::plan_weights(p.config, *p.in, p.trace, p.plan);  // its pieces read the trace when they run
  const bool at_once = app.generation == 0 || p.plan.total() <= kAtOnceCost;
  if (attention_only) {
    // Done before the next frame, the shown trace can give up its projections rather than copy them.
    p.trace = at_once ? ap::projections_of(std::move(app.trace)) : ap::projections_of(app.trace);
  }
  // The first trace is made whole before the first frame (the loader shows progress meanwhile).
  if (app.generation == 0)
    while (busy(app)) advance_pending(app, 1e300);
  else if (at_once)
    advance_pending(app, 1e300);
}

// The page's own keys, and the training lab's settings (core/train/url.h).
const std::vector<std::string>& page_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k = {"panel", "head", "tensor", "embed"};
    for (const auto& t : ap::train::settings_keys()) k.push_back(t);
    return k;
  }();
  return keys;
}

}  // namespace

std::vector<std::string> apply_config(App& app, const ap::Config& next) {
  auto errors = ap::validate(next);
  if (!errors.empty()) return errors;
  if (app.pending && next == app.pending->config) return {};  // already under way
  if (next == app.config && app.generation > 0) {
    app.pending.reset();  // back to what is shown
    return {};
  }
  recompute(app, next, app.generation > 0 && ap::same_projections(app.config, next));
  return {};
}

const ap::Config& target_config(const App& app) { return app.pending ? app.pending->config : app.config; }

void advance_pending(App& app, double budget_ms) {
  if (app.pending) {
    if (!app.pending->plan.done()) {
      const auto t0 = std::chrono::steady_clock::now();
      const bool done = app.pending->plan.advance(budget_ms);
      const double ms = ms_since(t0);
      app.pending->ms += ms;
      app.pending->longest_slice_ms = std::max(app.pending->longest_slice_ms, ms);
      // A trace finished late in a frame's slice comes in at the start of the
      // next, so the views' work on it (pooling, uploads) gets a frame of its own.
      if (!done || (budget_ms < 1e300 && ms > budget_ms / 2)) return;
    }
    swap_in(app);
    // New weights end the call, so that they show on this frame, unless their outputs are cheap.
    if (app.finishing->total() > kWithWeightsCost) return;
  }
  if (app.finishing) advance_finishing(app, budget_ms);
}

bool busy(const App& app) { return app.pending || app.finishing; }

void refresh(App& app) { recompute(app, app.config); }

void reset(App& app) {
  app.imported = {};
  recompute(app, ap::Config{});
  app.notes.clear();
  app.controls.synced = false;
  app.controls.errors.clear();
}

void apply_link(App& app, const std::string& query) {
  ap::QueryApplied r = ap::apply_query(ap::Config{}, query, page_keys());
  app.notes = std::move(r.notes);
  std::vector<std::pair<std::string, std::string>> train_pairs;
  for (const auto& [key, value] : r.other) {
    if (key.rfind("t_", 0) == 0) {
      train_pairs.emplace_back(key, value);
      continue;
    }
    if (key == "panel") {
      if (auto p = panel_from_name(value)) app.panel = *p, app.panel_requested = true;
      else app.notes.push_back("panel=" + value.substr(0, 40) + " ignored: not a panel name");
    } else if (key == "head" || key == "embed") {
      char* end = nullptr;
      const long v = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end || v < 0 || v > 1000) app.notes.push_back(key + " ignored: not a small whole number");
      else if (key == "head") app.heads.focus = app.compare.head = app.tensors.head = int(v);
      else app.embed = v != 0;
    } else if (key == "tensor") {
      const auto& names = ap::tensor_names();
      if (std::find(names.begin(), names.end(), value) != names.end()) app.tensors.name = value;
      else app.notes.push_back("tensor ignored: not a tensor name");
    }
  }
  if (!(r.config == app.config) || app.generation == 0) recompute(app, r.config);
  if (!train_pairs.empty()) {
    auto t = ap::train::apply_settings(ap::train::TrainSettings{}, train_pairs);
    for (auto& n : t.notes) app.notes.push_back(std::move(n));
    if (!(t.settings == app.train.settings) || !app.train.trainer) {
      app.train.settings = app.train.edit = t.settings;
      app.train.trainer.reset();  // made on the lab's first frame
    }
  }
  app.heads.focus = std::min(app.heads.focus, app.trace.n_heads - 1);
  app.controls.synced = false;
  app.controls.errors.clear();
}

std::string current_link(const App& app) {
  std::string q = ap::config_to_query(app.config);
  q += std::string("&panel=") + panel_name(app.panel) + "&head=" + std::to_string(app.heads.focus);
  if (app.panel == Panel::Tensors) q += "&tensor=" + app.tensors.name;
  if (app.panel == Panel::Train) q += "&" + ap::train::settings_to_query(app.train.settings);
  if (app.embed) q += "&embed=1";
  return q;
}

std::string import_npy(App& app, const std::string& role_name, const std::string& bytes) {
  if (role_name == "npz") {
    std::string error = train_import_npz(app.train, bytes);
    app.train.message = error.empty() ? "weights loaded" : error;
    return error;
  }
  const auto role = ap::import_role(role_name);
  if (!role) return "name the file x.npy, q.npy, k.npy or v.npy: the name says what it replaces";
  auto parsed = ap::parse_npy(bytes);
  if (auto* e = std::get_if<std::string>(&parsed)) return role_name + ".npy: " + *e;
  std::string error;
  auto m = ap::import_matrix(*role, std::get<ap::Array>(parsed), app.config, &error);
  if (!m) return error;
  (*role == ap::ImportRole::X ? app.imported.x : *role == ap::ImportRole::Q ? app.imported.q
                                              : *role == ap::ImportRole::K ? app.imported.k
                                                                           : app.imported.v) = std::move(*m);
  recompute(app, app.config);
  return "";
}

ExportFile export_file(const App& app, const std::string& kind, const std::string& tensor, int head) {
  ExportFile f;
  if (kind == "config") return {"attention_config.json", "application/json", ap::config_to_json(app.config), ""};
  if ((kind == "pytorch" || kind == "npz") && !app.trace.outputs_ready)
    return {"", "", "", "the output is still being computed (new weights are shown first): try again in a moment"};
  if (kind == "pytorch")
    return {"attention_playground.py", "text/x-python", ap::pytorch_script(app.config, app.trace, "attention_playground.npz"), ""};
  if (kind == "npz")
    return {"attention_playground.npz", "application/octet-stream",
            ap::npz_bytes(ap::export_arrays(app.config, app.inputs, app.trace)), ""};
  if (kind == "weights") {
    if (!app.train.trainer) return {"", "", "", "nothing trained yet: open the Train tab first"};
    return {std::string("attention_train_") + ap::train::task_info(app.train.settings.task).key + "_step" +
                std::to_string(app.train.trainer->steps()) + ".npz",
            "application/octet-stream", train_export_npz(app.train), ""};
  }
  if (kind != "npy" && kind != "csv") {
    f.error = "unknown export '" + kind + "'; known: npy, csv, config, pytorch, npz, weights";
    return f;
  }
  auto td = ap::find_tensor(app.trace, tensor, head, &f.error);
  if (!td) return f;
  const std::string base = tensor + (head >= 0 && ap::per_head_tensor(tensor) ? "_head" + std::to_string(head) : "");
  if (kind == "npy") return {base + ".npy", "application/octet-stream", ap::npy_bytes(ap::to_array(*td)), ""};
  return {base + ".csv", "text/csv", ap::tensor_csv(*td), ""};
}

void draw_app(App& app, float width, float height, float scale) {
  // A large recompute and training run between frames, in slices, so the
  // page keeps drawing (training: half a 60 Hz frame, as it runs for long).
  // New weights get a frame on screen before their outputs are computed
  // (a slice here would hold the frame that shows them).
  ++app.frame;
  if (app.pending || app.swap_frame + 1 < app.frame) advance_pending(app, kSliceMs);
  train_tick(app.train, 8.0);
  // Side by side on a wide canvas, stacked on a narrow (phone) one; the views alone when embedded.
  const bool wide = width >= 760 * scale;
  const float controls_w = app.embed ? 0 : wide ? std::min(380 * scale, width * 0.4f) : width;
  const float controls_h = app.embed ? 0 : wide ? height : std::min(height * 0.45f, 430 * scale);
  const ImGuiWindowFlags fixed = ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse;

  if (!app.embed) {
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImVec2(controls_w, controls_h));
    if (ImGui::Begin("Attention Playground", nullptr, fixed)) {
      if (!app.online) ImGui::TextColored(ImVec4(1, 0.7f, 0.4f, 1), "offline: working from the copy saved on this device");
      for (size_t i = 0; i < app.notes.size(); ++i) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1, 0.75f, 0.35f, 1));
        ImGui::PushTextWrapPos(0);
        ImGui::TextUnformatted(app.notes[i].c_str());
        ImGui::PopTextWrapPos();
        ImGui::PopStyleColor();
      }
      if (!app.notes.empty() && ImGui::SmallButton("dismiss these notes")) app.notes.clear();
      // Outputs that take a frame or two follow the weights without a bar (it would flicker).
      const ap::Plan* shown = app.pending ? &app.pending->plan
                              : app.finishing && app.finishing->total() > kAtOnceCost ? app.finishing.get()
                                                                                       : nullptr;
      if (shown) {
        char label[64];
        std::snprintf(label, sizeof label, app.pending ? "computing the new weights: %.0f%%" : "computing weights·V and the output: %.0f%%",
                      100 * shown->progress());
        ImGui::ProgressBar(float(shown->progress()), ImVec2(-1, 0), label);
      }
      if (auto edited = draw_controls_panel(app.controls, target_config(app), app.trace, app.weights_ms, app.compute_ms))
        app.controls.errors = apply_config(app, *edited);
      draw_share_section(app);
    }
    ImGui::End();
  }

  const ImVec2 views_pos = app.embed ? ImVec2(0, 0) : wide ? ImVec2(controls_w, 0) : ImVec2(0, controls_h);
  const ImVec2 views_size = app.embed ? ImVec2(width, height) : wide ? ImVec2(width - controls_w, height) : ImVec2(width, height - controls_h);
  app.views_rect[0] = views_pos.x, app.views_rect[1] = views_pos.y, app.views_rect[2] = views_size.x, app.views_rect[3] = views_size.y;
  ImGui::SetNextWindowPos(views_pos);
  ImGui::SetNextWindowSize(views_size);
  app.heads.drawn.clear();
  if (ImGui::Begin("Views", nullptr, fixed | ImGuiWindowFlags_NoTitleBar)) {
    // Embedded: the chosen panel alone, no tab bar.
    const bool tabs = !app.embed && ImGui::BeginTabBar("panels");
    for (int i = 0; i < int(Panel::Count); ++i) {
      const Panel p = Panel(i);
      if (app.embed) {
        if (p != app.panel) continue;
        app.panel_requested = false;
      } else {
        if (!tabs) break;
        const ImGuiTabItemFlags flags = app.panel_requested && app.panel == p ? ImGuiTabItemFlags_SetSelected : 0;
        if (!ImGui::BeginTabItem(kPanelTitles[i], nullptr, flags)) continue;
        // The tab bar switches on the frame after SetSelected: until the requested tab is
        // the one drawn, the request stands; after, a click on a tab is what selects.
        if (app.panel_requested && app.panel == p) app.panel_requested = false;
        else if (!app.panel_requested) app.panel = p;
      }
      ap::Config edit = app.config;
      bool edited = false;
      switch (p) {
        case Panel::Heads:
          draw_heads_panel(app.heads, app.trace, app.generation, scale, app.config.weights == ap::Weights::Constructed);
          break;
        case Panel::Compare:
          advance_head_analysis(app, kStatsSliceMs);
          draw_compare_panel(app.compare, app.trace, app.derived.heads,
                             app.derived.heads_plan ? app.derived.heads_plan->progress() : 1.0, app.generation, scale);
          break;
        case Panel::Pipeline:
          if (auto name = draw_pipeline_panel(app.trace, app.derived.costs, scale)) {
            app.tensors.name = *name;
            open_panel(app, Panel::Tensors);
          }
          break;
        case Panel::Tensors: draw_tensors_panel(app.tensors, app.trace, app.generation, scale); break;
        case Panel::Masks: edited = draw_masks_panel(app.masks, app.trace, app.config, app.generation, scale, edit); break;
        case Panel::Scaling:
          ensure_scaling(app);
          draw_scaling_panel(app.scaling, app.derived.scaling, app.trace, scale);
          break;
        case Panel::Sizes:
          if (auto next = draw_sizes_panel(app.config, app.trace, scale)) edit = *next, edited = true;
          break;
        case Panel::Memory: draw_memory_panel(app.trace, scale); break;
        case Panel::Train: {
          bool export_weights = false, load_weights = false;
          draw_train_panel(app.train, scale, export_weights, load_weights);
          if (export_weights && app.platform.download) {
            const ExportFile w = export_file(app, "weights", "", -1);
            if (w.error.empty()) app.platform.download(w.name, w.mime, w.bytes);
          }
          if (load_weights && app.platform.pick_file) app.platform.pick_file();
          break;
        }
        case Panel::Count: break;
      }
      if (edited) {
        app.controls.errors = apply_config(app, edit);
        app.controls.synced = false;  // the controls show the change
      }
      if (!app.embed) ImGui::EndTabItem();
    }
    if (tabs) ImGui::EndTabBar();
  }
  ImGui::End();
}

}  // namespace web
