// App: applying configs and laying out the windows.
#include "app.h"

#include <chrono>

#include "imgui.h"

namespace web {

std::vector<std::string> apply_config(App& app, const ap::Config& next) {
  auto errors = ap::validate(next);
  if (!errors.empty()) return errors;
  if (next == app.config && app.generation > 0) return {};
  const auto t0 = std::chrono::steady_clock::now();
  ap::Trace trace = ap::run(next, ap::make_inputs(next));
  app.compute_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  app.config = next;
  app.trace = std::move(trace);
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
  if (ImGui::Begin("Attention weights per head", nullptr, fixed)) {
    ap::Config edit = app.config;
    if (draw_heads_panel(app.heads, app.trace, app.generation, scale, edit)) {
      app.controls.errors = apply_config(app, edit);
      app.controls.synced = false;  // the controls show the painted mask
    }
  }
  ImGui::End();
}

}  // namespace web
