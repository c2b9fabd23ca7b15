// App: applying configs, deriving the panels' numbers, laying out the windows.
#include "app.h"

#include <chrono>

#include "imgui.h"

namespace web {
namespace {

constexpr const char* kPanelNames[] = {"heads", "compare", "pipeline", "tensors", "masks", "scaling", "sizes", "memory"};
constexpr const char* kPanelTitles[] = {"Heads", "Compare heads", "Pipeline", "Tensors", "Masks", "Why √d", "Sizes", "Memory layout"};
static_assert(sizeof kPanelNames / sizeof *kPanelNames == size_t(Panel::Count));

void derive(App& app) {
  const ap::Trace& t = app.trace;
  Derived& d = app.derived;
  d.stats = ap::head_stats(t);
  d.similarity = ap::head_similarity(t);
  d.costs = ap::layer_costs(t.n_q, t.n_kv, t.d_model, t.n_heads, t.n_kv_heads, app.config.bias);
  // The scaling lab's random scores are drawn once, from a fixed seed, so the
  // curves depend only on the temperature and cost little to redo.
  if (d.scaling_samples.d_head.empty()) d.scaling_samples = ap::scaling_samples(2017, 32, 48);
  if (d.scaling.empty() || d.scaling_temperature != app.config.temperature) {
    d.scaling = ap::scaling_curves(d.scaling_samples, app.config.temperature);
    d.scaling_temperature = app.config.temperature;
  }
}

}  // namespace

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

std::vector<std::string> apply_config(App& app, const ap::Config& next) {
  auto errors = ap::validate(next);
  if (!errors.empty()) return errors;
  if (next == app.config && app.generation > 0) return {};
  const auto t0 = std::chrono::steady_clock::now();
  ap::Trace trace = ap::run(next, ap::make_inputs(next));
  app.config = next;
  app.trace = std::move(trace);
  derive(app);
  app.compute_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ++app.generation;
  return {};
}

void draw_app(App& app, float width, float height, float scale) {
  // Side by side on a wide canvas, stacked on a narrow (phone) one.
  const bool wide = width >= 760 * scale;
  const float controls_w = wide ? std::min(380 * scale, width * 0.4f) : width;
  const float controls_h = wide ? height : std::min(height * 0.45f, 430 * scale);
  const ImGuiWindowFlags fixed = ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse;

  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(ImVec2(controls_w, controls_h));
  if (ImGui::Begin("Attention Playground", nullptr, fixed)) {
    if (auto edited = draw_controls_panel(app.controls, app.config, app.trace, app.compute_ms))
      app.controls.errors = apply_config(app, *edited);
  }
  ImGui::End();

  ImGui::SetNextWindowPos(wide ? ImVec2(controls_w, 0) : ImVec2(0, controls_h));
  ImGui::SetNextWindowSize(wide ? ImVec2(width - controls_w, height) : ImVec2(width, height - controls_h));
  app.heads.drawn.clear();
  if (ImGui::Begin("Views", nullptr, fixed | ImGuiWindowFlags_NoTitleBar) && ImGui::BeginTabBar("panels")) {
    for (int i = 0; i < int(Panel::Count); ++i) {
      const Panel p = Panel(i);
      const ImGuiTabItemFlags flags = app.panel_requested && app.panel == p ? ImGuiTabItemFlags_SetSelected : 0;
      if (!ImGui::BeginTabItem(kPanelTitles[i], nullptr, flags)) continue;
      // The tab bar switches on the frame after SetSelected: until the requested tab is
      // the one drawn, the request stands; after, a click on a tab is what selects.
      if (app.panel_requested && app.panel == p) app.panel_requested = false;
      else if (!app.panel_requested) app.panel = p;
      ap::Config edit = app.config;
      bool edited = false;
      switch (p) {
        case Panel::Heads:
          draw_heads_panel(app.heads, app.trace, app.generation, scale, app.config.weights == ap::Weights::Constructed);
          break;
        case Panel::Compare: draw_compare_panel(app.compare, app.trace, app.derived.stats, app.derived.similarity, app.generation, scale); break;
        case Panel::Pipeline:
          if (auto name = draw_pipeline_panel(app.trace, app.derived.costs, scale)) {
            app.tensors.name = *name;
            open_panel(app, Panel::Tensors);
          }
          break;
        case Panel::Tensors: draw_tensors_panel(app.tensors, app.trace, app.generation, scale); break;
        case Panel::Masks: edited = draw_masks_panel(app.masks, app.trace, app.config, app.generation, scale, edit); break;
        case Panel::Scaling: draw_scaling_panel(app.scaling, app.derived.scaling, app.trace, scale); break;
        case Panel::Sizes:
          if (auto next = draw_sizes_panel(app.config, app.trace, scale)) edit = *next, edited = true;
          break;
        case Panel::Memory: draw_memory_panel(app.trace, scale); break;
        case Panel::Count: break;
      }
      if (edited) {
        app.controls.errors = apply_config(app, edit);
        app.controls.synced = false;  // the controls show the change
      }
      ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
  }
  ImGui::End();
}

}  // namespace web
