// Why divide by √d_k: the scaling lab's curves, computed by the core for
// random queries and keys at every head width.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "imgui.h"
#include "panels/panel.h"
#include "render/widgets.h"

namespace web {

namespace {

class ScalingPanel : public Panel {
 public:
  PanelEdit draw(Session& s, const PanelFrame& f) override;

  bool show_scaled = true, show_unscaled = true;
};

PanelEdit ScalingPanel::draw(Session& session, const PanelFrame& f) {
  ScalingPanel& p = *this;
  ensure_scaling(session);
  const std::vector<ap::ScalingPoint>& pts = session.derived.scaling;
  const ap::Trace& t = session.trace;
  const float scale = f.scale;
  const double uniform = session.derived.scaling_uniform_entropy;
  const int n_keys = session.derived.scaling_samples.n_keys;
  note(
      "With q and k of d_head independent N(0, 1) entries, q·k has variance d_head. Unscaled, wider heads give ever "
      "larger scores: the softmax saturates onto one key (entropy falls, the max weight nears 1) and its gradient, "
      "the Jacobian diag(p) − p·pᵀ, vanishes, so training stalls. Dividing by √d_head keeps the variance at 1 at "
      "every width. Curves: 32 keys, averaged over 48 random queries (drawn once, from a fixed seed); the temperature "
      "on the left divides too.");
  ImGui::Checkbox("scaled by 1/√d_head", &p.show_scaled);
  same_line_if_fits(ImGui::GetFrameHeight() + ImGui::CalcTextSize("unscaled").x + ImGui::GetStyle().ItemInnerSpacing.x);
  ImGui::Checkbox("unscaled", &p.show_unscaled);
  char marker_note[64];
  std::snprintf(marker_note, sizeof marker_note, "yellow line: this config's d_head = %d", t.d_head);
  same_line_if_fits(ImGui::CalcTextSize(marker_note).x);
  ImGui::TextDisabled("%s", marker_note);
  std::vector<std::string> xs;
  int marker = -1;
  for (size_t i = 0; i < pts.size(); ++i) {
    xs.push_back(std::to_string(pts[i].d_head));
    if (pts[i].d_head <= t.d_head) marker = int(i);
  }
  const ImU32 blue = IM_COL32(90, 170, 255, 255), orange = IM_COL32(255, 150, 60, 255);
  const auto series = [&](double ap::ScalingPoint::*scaled, double ap::ScalingPoint::*unscaled) {
    std::vector<Series> s;
    Series a{{}, blue, "scaled"}, b{{}, orange, "unscaled"};
    for (const auto& pt : pts) a.y.push_back(pt.*scaled), b.y.push_back(pt.*unscaled);
    if (p.show_scaled) s.push_back(a);
    if (p.show_unscaled) s.push_back(b);
    return s;
  };
  // Three plots side by side; on a phone one under the other, each the width.
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const bool narrow = narrow_view(scale);
  const float gap = 12 * scale, w = narrow ? avail.x : (avail.x - 2 * gap) / 3,
              h = narrow ? w * 0.6f : std::min(avail.y - ImGui::GetTextLineHeight() * 4, w * 1.1f);
  double jmax = 0;
  for (const auto& pt : pts) jmax = std::max({jmax, pt.jacobian_scaled, pt.jacobian_unscaled});
  int hover = -1;
  const auto plot = [&](const char* id, const std::vector<Series>& s, double lo, double hi, const char* title) {
    const int x = line_plot(id, ImVec2(w, h), xs, s, lo, hi, title, marker);
    if (x >= 0) hover = x;
  };
  plot("##entropy", series(&ap::ScalingPoint::entropy_scaled, &ap::ScalingPoint::entropy_unscaled), 0, uniform * 1.05,
       "row entropy (nats)");
  if (!narrow) ImGui::SameLine(0, gap);
  plot("##max", series(&ap::ScalingPoint::max_weight_scaled, &ap::ScalingPoint::max_weight_unscaled), 0, 1.0,
       "max weight");
  if (!narrow) ImGui::SameLine(0, gap);
  plot("##jacobian", series(&ap::ScalingPoint::jacobian_scaled, &ap::ScalingPoint::jacobian_unscaled), 0, jmax * 1.1,
       "softmax Jacobian norm");
  ImGui::PushTextWrapPos(0);
  ImGui::TextDisabled("x: d_head (1 to 1024, doubling). Uniform attention over %d keys: entropy log %d = %.3f.", n_keys,
                      n_keys, uniform);
  ImGui::PopTextWrapPos();
  if (hover >= 0) {
    const auto& pt = pts[size_t(hover)];
    ImGui::SetTooltip(
        "d_head %d\n              scaled   unscaled\nentropy       %.4f   %.4f\nmax weight    %.4f   %.4f\nJacobian    "
        "  %.4f   %.4f",
        pt.d_head, pt.entropy_scaled, pt.entropy_unscaled, pt.max_weight_scaled, pt.max_weight_unscaled,
        pt.jacobian_scaled, pt.jacobian_unscaled);
  }
  return {};
}

}  // namespace

std::unique_ptr<Panel> make_scaling_panel() { return std::make_unique<ScalingPanel>(); }

}  // namespace web
