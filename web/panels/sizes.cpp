// Sizes: the widths of real models and what one attention layer of each
// costs at this config's length; the ones that fit can be loaded.
#include <string>

#include "imgui.h"
#include "panels/panel.h"
#include "render/widgets.h"

namespace web {

namespace {

class SizesPanel : public Panel {
 public:
  PanelEdit draw(Session& s, const PanelFrame& f) override;
};

PanelEdit SizesPanel::draw(Session& session, const PanelFrame&) {
  const ap::Config& applied = session.config;
  const ap::Trace& t = session.trace;
  const auto& rows = size_preset_rows(session);
  PanelEdit chosen;
  note(
      "Real models at their true width. Costs are for one attention block at this config's length "
      "(n_q x n_kv below); a model stacks many (an encoder-decoder's decoder layers have two: self- and "
      "cross-attention). 'use' loads the width, heads and causal mask here; models too large to compute live in "
      "this tab say why instead, with what they would cost.");
  ImGui::Text("length: %d queries x %d keys", t.n_q, t.n_kv);
  // Every column at its own width; on a narrow window the table scrolls sideways with the model names kept in view.
  const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY |
                                ImGuiTableFlags_ScrollX | ImGuiTableFlags_SizingFixedFit;
  if (!ImGui::BeginTable("sizes", 8, flags)) return chosen;
  ImGui::TableSetupScrollFreeze(1, 1);
  for (const char* c : {"model", "d_model = heads x d_head", "layers", "attn blocks", "params/block",
                        "x blocks (published)", "FLOPs/block", "scores/block"})
    ImGui::TableSetupColumn(c);
  ImGui::TableHeadersRow();
  for (size_t i = 0; i < rows.size(); ++i) {
    const ap::SizePreset& s = ap::size_presets()[i];
    const ap::LayerCosts& c = rows[i].costs;
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::PushID(s.name);
    const bool current = applied.d_model == s.d_model && applied.n_heads == s.n_heads &&
                         (s.stack == ap::Stack::EncoderDecoder || applied.causal == (s.stack == ap::Stack::Decoder));
    if (rows[i].error.empty()) {
      if (ImGui::SmallButton(current ? "in use" : "use") && !current) chosen.config = rows[i].config;
      if (ImGui::IsItemHovered())
        ImGui::SetTooltip(s.stack == ap::Stack::Decoder   ? "its width and heads, with the causal mask on"
                          : s.stack == ap::Stack::Encoder ? "its width and heads, with the causal mask off"
                                                          : "its width and heads (causal as you set it: the encoder "
                                                            "is not causal, the decoder is)");
    } else {
      ImGui::TextDisabled("too big");
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", rows[i].error.c_str());
    }
    ImGui::SameLine();
    ImGui::TextUnformatted(s.name);
    if (*s.note && ImGui::IsItemHovered()) ImGui::SetTooltip("%s", s.note);
    ImGui::PopID();
    ImGui::TableNextColumn();
    ImGui::Text("%d = %d x %d", s.d_model, s.n_heads, s.d_model / s.n_heads);
    ImGui::TableNextColumn();
    if (s.stack == ap::Stack::EncoderDecoder) ImGui::Text("%d + %d", s.n_layer, s.n_layer);
    else ImGui::Text("%d", s.n_layer);
    ImGui::TableNextColumn();
    ImGui::Text("%d", s.attention_blocks());
    if (s.stack == ap::Stack::EncoderDecoder && ImGui::IsItemHovered())
      ImGui::SetTooltip("%d encoder self-attention + %d decoder self-attention + %d cross-attention", s.n_layer,
                        s.n_layer, s.n_layer);
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(count_text(double(c.params)).c_str());
    ImGui::TableNextColumn();
    ImGui::Text("%s (%s)", count_text(double(c.params) * s.attention_blocks()).c_str(),
                s.total_params > 0 ? count_text(s.total_params).c_str() : "-");
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(count_text(double(c.flops)).c_str());
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(bytes_text(double(c.bytes_scores)).c_str());
  }
  ImGui::EndTable();
  return chosen;
}

}  // namespace

std::unique_ptr<Panel> make_sizes_panel() { return std::make_unique<SizesPanel>(); }

}  // namespace web
