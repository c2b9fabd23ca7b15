// Pipeline panel: the forward pass as a column of steps, each with its live
// shape; click one to see its tensor. Beside it, what the layer costs.
#include "imgui.h"
#include "panels/panel.h"
#include "render/widgets.h"

namespace web {

namespace {

class PipelinePanel : public Panel {
 public:
  PanelEdit draw(Session& session, const PanelFrame& f) override;
};

// The steps with their live shapes and the layer's costs; a click on a step
// opens its tensor in the Tensors panel.
PanelEdit PipelinePanel::draw(Session& session, const PanelFrame& f) {
  const ap::Trace& t = session.trace;
  const ap::LayerCosts& c = session.derived.costs;
  const float scale = f.scale;
  std::optional<std::string> clicked;
  note(
      "Multi-head attention is six moves: project X into Q, K and V; split the last axis into heads; transpose so "
      "heads come first; attend in every head at once; put the heads side by side again; project. The shapes "
      "below are the current config's, in PyTorch's (batch, heads, seq, head_dim) order. Click a step to see its "
      "tensor.");
  ImGui::Spacing();
  const float col_w = ImGui::GetContentRegionAvail().x * 0.62f;
  ImGui::BeginChild("steps", ImVec2(col_w, 0));
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float line = ImGui::GetTextLineHeight();
  for (size_t i = 0; i < t.pipeline.size(); ++i) {
    const ap::PipelineStep& s = t.pipeline[i];
    ImGui::PushID(int(i));
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const float w = ImGui::GetContentRegionAvail().x, h = line * 2.3f;
    if (ImGui::InvisibleButton("step", ImVec2(w, h))) clicked = s.name;
    const bool hot = ImGui::IsItemHovered();
    dl->AddRectFilled(p0, ImVec2(p0.x + w, p0.y + h),
                      ImGui::GetColorU32(hot ? ImGuiCol_FrameBgHovered : ImGuiCol_FrameBg), 4 * scale);
    dl->AddText(ImVec2(p0.x + 8 * scale, p0.y + 3 * scale), ImGui::GetColorU32(ImGuiCol_Text), s.formula.c_str());
    dl->AddText(ImVec2(p0.x + 8 * scale, p0.y + line + 5 * scale), IM_COL32(130, 200, 255, 255), s.axes.c_str());
    if (hot) ImGui::SetTooltip("show \"%s\" in the Tensors panel", s.name.c_str());
    if (i + 1 < t.pipeline.size()) {  // an arrow down to the next step
      const float x = p0.x + 24 * scale, y = p0.y + h;
      dl->AddLine(ImVec2(x, y), ImVec2(x, y + 6 * scale), ImGui::GetColorU32(ImGuiCol_TextDisabled), 2 * scale);
      ImGui::Dummy(ImVec2(1, 4 * scale));
    }
    ImGui::PopID();
  }
  ImGui::EndChild();
  ImGui::SameLine();
  ImGui::BeginChild("costs", ImVec2(0, 0));
  ImGui::TextUnformatted("What this layer costs");
  note("Counted for the current sizes: a multiply-add is 2 FLOPs, a softmax about 5 per score. Memory in float32.");
  if (ImGui::BeginTable("costs", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV)) {
    const auto row = [](const char* k, const std::string& v, const char* tip) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(k);
      if (tip && ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tip);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(v.c_str());
    };
    row("parameters", count_text(double(c.params)),
        "W_q, W_k, W_v, W_o and their biases: about 4·d_model² without GQA");
    row("FLOPs", count_text(double(c.flops)), nullptr);
    row("  projections", count_text(double(c.flops_projections)), "grows as n·d_model²");
    row("  attention", count_text(double(c.flops_attention)), "Q·Kᵀ and weights·V: grows as n²·d_model");
    row("weights memory", bytes_text(double(c.bytes_weights)), nullptr);
    row("score memory", bytes_text(double(c.bytes_scores)), "one [heads, n_q, n_kv] tensor: O(n²) memory");
    row("activations", bytes_text(double(c.bytes_activations)), "Q, K, V, context and output");
    ImGui::EndTable();
  }
  ImGui::Spacing();
  note(
      "Double the tokens and the attention FLOPs and score memory grow four times, the projections only twice: "
      "O(n²·d) time and O(n²) memory.");
  ImGui::EndChild();
  PanelEdit e;
  e.show_tensor = clicked;
  return e;
}

}  // namespace

std::unique_ptr<Panel> make_pipeline_panel() { return std::make_unique<PipelinePanel>(); }

}  // namespace web
