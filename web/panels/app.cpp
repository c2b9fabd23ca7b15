// The page's UI: laying out the controls and the views, and applying what
// the panels ask for.
#include "panels/app.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "kernels/parallel.h"

#include "imgui.h"
#include "imgui_internal.h"  // each window's content extent, for layout()
#include "panels/homework.h"
#include "panels/lessons.h"
#include "render/widgets.h"

namespace web {

void set_runtime(App& app, const std::string& json) {
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  Runtime& r = app.runtime;
  if (j.is_object()) {
    r.threaded = j.value("threaded", false);
    r.isolated = j.value("isolated", false);
    r.cores = std::max(1, j.value("cores", 1));
    r.reason = j.value("reason", std::string());
    r.most_threads = r.threaded ? std::clamp(j.value("threads", 1), 1, ap::max_threads()) : 1;
  }
  ap::set_threads(r.most_threads);
}

int set_thread_count(App& app, int n) {
  ap::set_threads(std::clamp(n, 1, app.runtime.most_threads));
  return ap::threads();
}

void init_app(App& app) {
  app.panels.clear();
  app.session.panel_keys.clear();
  for (const PanelInfo& p : panel_registry()) {
    app.panels.push_back(p.make());
    app.session.panel_keys.emplace_back(p.key);
  }
  for (const std::string& e : load_builtin_lessons(app.session)) app.session.notes.push_back("a built-in lesson: " + e);
}

void drop_gpu_resources(App& app) {
  for (auto& p : app.panels) p->drop_gpu();
}

void download(App& app, const ExportFile& f) {
  if (!f.error.empty()) app.session.notes.push_back(f.error);
  else if (app.platform.download) app.platform.download(f.name, f.mime, f.bytes);
}

void apply_edit(App& app, const PanelEdit& e) {
  Session& s = app.session;
  if (e.config) app.controls.errors = apply_outside_edit(s, *e.config);
  if (e.show_tensor) {
    s.view.tensor = *e.show_tensor;
    open_panel(s, "tensors");
  }
  if (!e.download.empty()) download(app, export_file(s, e.download, "", -1));
  if (e.pick_file && app.platform.pick_file) app.platform.pick_file();
  if (e.pick_homework && app.platform.pick_homework) app.platform.pick_homework();
  if (!e.model_request.empty() && app.platform.model_request) app.platform.model_request(e.model_request);
  if (!e.copy_text.empty() && app.platform.copy_text) app.platform.copy_text(e.copy_text);
}

namespace {

void draw_controls_window(App& app) {
  Session& s = app.session;
  if (!s.online) ImGui::TextColored(ImVec4(1, 0.7f, 0.4f, 1), "offline: working from the copy saved on this device");
  for (const auto& note : s.notes) message(note, kNoteColour);
  if (!s.notes.empty() && ImGui::SmallButton("dismiss these notes")) s.notes.clear();
  if (const ap::Plan* shown = shown_progress(s)) {
    char label[64];
    std::snprintf(label, sizeof label,
                  s.pending ? "computing the new weights: %.0f%%" : "computing weights·V and the output: %.0f%%",
                  100 * shown->progress());
    ImGui::ProgressBar(float(shown->progress()), ImVec2(-1, 0), label);
  }
  if (auto edited = draw_controls(app.controls, s, app.runtime)) app.controls.errors = apply_config(s, *edited);
  if (app.controls.choose_layer >= 0) {
    if (std::string e = choose_model_layer(s, app.controls.choose_layer); !e.empty()) app.controls.errors = {e};
    app.controls.choose_layer = -1;
  }
  draw_share_section(app);
  draw_homework_section(app);
  app.controls_scroll_y = ImGui::GetScrollY();
  app.controls_scroll_max = ImGui::GetScrollMaxY();
  app.line_height = ImGui::GetTextLineHeightWithSpacing();
}

// Every window and child drawn this frame, skipping popups; a tooltip apart.
void record_windows(App& app) {
  app.windows.clear();
  app.tooltip.reset();
  for (const ImGuiWindow* w : ImGui::GetCurrentContext()->Windows) {
    if (w->Active && (w->Flags & ImGuiWindowFlags_Tooltip)) app.tooltip = Box{w->Pos.x, w->Pos.y, w->Size.x, w->Size.y};
    if (!w->Active || (w->Flags & (ImGuiWindowFlags_Tooltip | ImGuiWindowFlags_Popup))) continue;
    app.windows.push_back({w->Name, Box{w->Pos.x, w->Pos.y, w->Size.x, w->Size.y}, w->DC.CursorMaxPos.x - w->Pos.x,
                           w->InnerClipRect.Max.x - w->Pos.x, (w->Flags & ImGuiWindowFlags_HorizontalScrollbar) != 0});
  }
}

}  // namespace

void draw_app(App& app, float width, float height, float scale) {
  Session& s = app.session;
  begin_frame(s);
  // Side by side on a wide canvas, stacked on a narrow (phone) one; the views alone when embedded.
  const bool embed = s.view.embed;
  const bool wide = width >= 760 * scale;
  // On a narrow canvas the controls are a sheet over the views that folds to one line.
  const bool folded = !wide && app.controls_folded;
  const ImGuiStyle& style = ImGui::GetStyle();
  const float fold_h = ImGui::GetFrameHeight() + 2 * style.WindowPadding.y;
  // The controls take 30 % of a wide canvas, kept between what their widest row needs and what helps.
  // Touch-sized steppers (square buttons as tall as a frame, against 21 CSS px at a desk) widen the widest row.
  const float stepper_extra = 2 * std::max(0.0f, ImGui::GetFrameHeight() - 21 * scale);
  const float controls_w =
      embed ? 0
      : wide
          ? std::min(std::clamp(width * 0.3f, 330 * scale + stepper_extra, 440 * scale + stepper_extra), width * 0.45f)
          : width;
  const float controls_h = embed ? 0 : wide ? height : folded ? fold_h : std::min(height * 0.45f, 430 * scale);
  const ImGuiWindowFlags fixed = ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse;

  app.widgets.clear();
  if (!embed) {
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImVec2(controls_w, controls_h));
    const ImGuiWindowFlags flags = fixed | (folded ? ImGuiWindowFlags_NoTitleBar : 0) |
                                   (wide ? 0 : ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
    if (ImGui::Begin("Attention Playground", nullptr, flags)) {
      if (!wide) {
        if (ImGui::Button(folded ? "▼ show the controls" : "▲ fold the controls away", ImVec2(-1, 0)))
          app.controls_folded = !folded;
        const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
        app.widgets.emplace_back("controls-fold", Box{a.x, a.y, b.x - a.x, b.y - a.y});
      }
      if (!folded && !wide) {
        ImGui::BeginChild("controls");  // the fold button stays in reach while they scroll
        draw_controls_window(app);
        ImGui::EndChild();
      } else if (!folded) {
        draw_controls_window(app);
      } else {
        app.controls.placed.clear();  // none drawn, none in layout()
      }
    }
    ImGui::End();
  }

  const ImVec2 views_pos = embed ? ImVec2(0, 0) : wide ? ImVec2(controls_w, 0) : ImVec2(0, controls_h);
  const ImVec2 views_size = embed  ? ImVec2(width, height)
                            : wide ? ImVec2(width - controls_w, height)
                                   : ImVec2(width, height - controls_h);
  app.views_rect[0] = views_pos.x, app.views_rect[1] = views_pos.y, app.views_rect[2] = views_size.x,
  app.views_rect[3] = views_size.y;
  ImGui::SetNextWindowPos(views_pos);
  ImGui::SetNextWindowSize(views_size);
  app.drawn.clear();
  app.grids.clear();
  app.tabs.clear();
  // No sideways scrollbar: ImGui would then wrap text at the content's width, not the window's. Panels lay
  // themselves out to the width they get (tests/e2e/desk.test.mjs checks that nothing is cut).
  if (ImGui::Begin("Views", nullptr, fixed | ImGuiWindowFlags_NoTitleBar)) {
    // Embedded: the chosen panel alone, no tab bar.
    // Tabs keep their whole names: on a narrow canvas the bar scrolls (arrows) and a list button opens any tab.
    const float content_right = ImGui::GetCurrentWindow()->DC.CursorMaxPos.x;
    const bool tabs = !embed && ImGui::BeginTabBar("panels", ImGuiTabBarFlags_FittingPolicyScroll |
                                                                 ImGuiTabBarFlags_TabListPopupButton);
    const PanelFrame frame{scale, &app.drawn, &app.grids, &app.widgets};
    const auto& registry = panel_registry();
    for (size_t i = 0; i < registry.size(); ++i) {
      const std::string key = registry[i].key;
      ViewState& v = s.view;
      if (embed) {
        if (key != v.panel) continue;
        v.panel_requested = false;
      } else {
        if (!tabs) break;
        const ImGuiTabItemFlags flags = v.panel_requested && v.panel == key ? ImGuiTabItemFlags_SetSelected : 0;
        const bool open = ImGui::BeginTabItem(registry[i].title, nullptr, flags);
        // The first tab lays the bar out, counting all its tabs as the window's content; the bar scrolls
        // them, so they are not content cut off (layout().windows measures what the panels draw).
        if (i == 0) ImGui::GetCurrentWindow()->DC.CursorMaxPos.x = content_right;
        const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();  // the tab itself
        app.tabs.emplace_back(key, Box{a.x, a.y, b.x - a.x, b.y - a.y});
        if (!open) continue;
        // The tab bar switches on the frame after SetSelected: until the requested tab is
        // the one drawn, the request stands; after, a click on a tab is what selects.
        if (v.panel_requested && v.panel == key) v.panel_requested = false;
        else if (!v.panel_requested) v.panel = key;
        if (key != "lessons" && draw_lesson_strip(s, &app.widgets)) open_panel(s, "lessons");
      }
      apply_edit(app, app.panels[i]->draw(s, frame));
      if (!embed) ImGui::EndTabItem();
    }
    if (tabs) ImGui::EndTabBar();
  }
  ImGui::End();
  record_windows(app);
}

}  // namespace web
