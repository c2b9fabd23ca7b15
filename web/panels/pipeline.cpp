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
      "Multi-head attention in the homework's six steps: project X into Q, K and V; split the last axis into heads; "
      "transpose so heads come first; attend in every head at once; put the heads side by side again; project. "
      "The shapes are the current config's, in PyTorch's (batch, heads, seq, head_dim) order. Click a step to see "
      "its tensor.");
  note(
      "The batch axis: these shapes and the .npz and PyTorch-script exports keep PyTorch's batch of 1 in front; "
      "playground.tensor() and the .npy and .csv exports leave it out, e.g. weights as (heads, n_q, n_kv).");
  ImGui::Spacing();
  // The costs beside the steps when there is room for both, else under them.
  const float avail_w = ImGui::GetContentRegionAvail().x;
  const bool beside = avail_w >= 900 * scale;
  if (beside) ImGui::BeginChild("steps", ImVec2(avail_w * 0.62f, 0));
  else ImGui::BeginGroup();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float line = ImGui::GetTextLineHeight();
  char sub = 'a';
  for (size_t i = 0; i < t.pipeline.size(); ++i) {
    const ap::PipelineStep& s = t.pipeline[i];
    if (i == 0 || s.stage != t.pipeline[i - 1].stage) {
      ImGui::TextColored(ImVec4(1, 0.85f, 0.3f, 1), "%s", ap::kPipelineStages[s.stage]);
      sub = 'a';
    }
    ImGui::PushID(int(i));
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const float w = ImGui::GetContentRegionAvail().x, h = line * 2.3f;
    if (ImGui::InvisibleButton("step", ImVec2(w, h))) clicked = s.name;
    const bool hot = ImGui::IsItemHovered();
    dl->AddRectFilled(p0, ImVec2(p0.x + w, p0.y + h),
                      ImGui::GetColorU32(hot ? ImGuiCol_FrameBgHovered : ImGuiCol_FrameBg), 4 * scale);
    // The attend step's sub-steps are lettered (4a, 4b, ...) as a homework's answer would be.
    std::string text = s.formula;
    if (s.stage == 4) text = std::string("4") + sub++ + "  " + text;
    ImGui::PushClipRect(p0, ImVec2(p0.x + w, p0.y + h), true);
    dl->AddText(ImVec2(p0.x + 8 * scale, p0.y + 3 * scale), ImGui::GetColorU32(ImGuiCol_Text),
                fit_text(text, w - 12 * scale).c_str());
    dl->AddText(ImVec2(p0.x + 8 * scale, p0.y + line + 5 * scale), IM_COL32(130, 200, 255, 255),
                fit_text(s.axes, w - 12 * scale).c_str());
    ImGui::PopClipRect();
    if (hot)
      ImGui::SetTooltip(s.view ? "%s\n\na view: the same memory as \"%s\", read with a new shape (click to see it)"
                               : "%s\n\nshow \"%s\" in the Tensors panel",
                        text.c_str(), s.name.c_str());
    ImGui::Dummy(ImVec2(1, 3 * scale));
    ImGui::PopID();
  }
  if (beside) {
    ImGui::EndChild();
    ImGui::SameLine();
  } else {
    ImGui::EndGroup();
    ImGui::Spacing();
  }
  if (beside) ImGui::BeginChild("costs", ImVec2(0, 0));
  else ImGui::BeginGroup();
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
  if (beside) ImGui::EndChild();
  else ImGui::EndGroup();
  PanelEdit e;
  e.show_tensor = clicked;
  return e;
}

}  // namespace

std::unique_ptr<Panel> make_pipeline_panel() { return std::make_unique<PipelinePanel>(); }

}  // namespace web
