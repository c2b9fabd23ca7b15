// The panel registry: one row per panel, in tab order. A panel's file
// defines its make_<key>_panel().
#include "panels/panel.h"

#include "imgui.h"

namespace web {

#define AP_PANELS(X)          \
  X(heads, "Heads")           \
  X(lessons, "Lessons")       \
  X(model, "GPT-2")           \
  X(compare, "Compare heads") \
  X(pipeline, "Pipeline")     \
  X(tensors, "Tensors")       \
  X(masks, "Masks")           \
  X(scaling, "Why √d")        \
  X(sizes, "Sizes")           \
  X(memory, "Memory layout")  \
  X(train, "Train")

#define AP_DECLARE(key, title) std::unique_ptr<Panel> make_##key##_panel();
AP_PANELS(AP_DECLARE)
#undef AP_DECLARE

const std::vector<PanelInfo>& panel_registry() {
#define AP_ROW(key, title) {#key, title, make_##key##_panel},
  static const std::vector<PanelInfo> panels = {AP_PANELS(AP_ROW)};
#undef AP_ROW
  return panels;
}

void mark(const PanelFrame& f, const std::string& name) {
  if (!f.widgets) return;
  const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
  f.widgets->emplace_back(name, Box{a.x, a.y, b.x - a.x, b.y - a.y});
}

}  // namespace web
