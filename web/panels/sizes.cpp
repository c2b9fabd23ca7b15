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
      "Real models at their true width. Costs are for one attention layer at this config's length "
      "(n_q x n_kv below); a model stacks many. 'use' loads the width and heads here; models too large to compute "
      "live in this tab say why instead, with what they would cost.");
  ImGui::Text("length: %d queries x %d keys", t.n_q, t.n_kv);
  const ImGuiTableFlags flags =
      ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY | ImGuiTableFlags_SizingFixedFit;
  if (!ImGui::BeginTable("sizes", 9, flags)) return chosen;
  ImGui::TableSetupScrollFreeze(0, 1);
  for (const char* c : {"model", "d_model", "heads", "d_head", "layers", "attn params/layer", "x layers (published)",
                        "FLOPs/layer", "scores/layer"})
    ImGui::TableSetupColumn(c);
  ImGui::TableHeadersRow();
  for (size_t i = 0; i < rows.size(); ++i) {
    const ap::SizePreset& s = ap::size_presets()[i];
    const ap::LayerCosts& c = rows[i].costs;
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::PushID(s.name);
    const bool current = applied.d_model == s.d_model && applied.n_heads == s.n_heads;
    if (rows[i].error.empty()) {
      if (ImGui::SmallButton(current ? "in use" : "use") && !current) chosen.config = rows[i].config;
    } else {
      ImGui::TextDisabled("too big");
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", rows[i].error.c_str());
    }
    ImGui::SameLine();
    ImGui::TextUnformatted(s.name);
    if (*s.note && ImGui::IsItemHovered()) ImGui::SetTooltip("%s", s.note);
    ImGui::PopID();
    ImGui::TableNextColumn();
    ImGui::Text("%d", s.d_model);
    ImGui::TableNextColumn();
    ImGui::Text("%d", s.n_heads);
    ImGui::TableNextColumn();
    ImGui::Text("%d", s.d_model / s.n_heads);
    ImGui::TableNextColumn();
    ImGui::Text("%d", s.n_layers);
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(count_text(double(c.params)).c_str());
    ImGui::TableNextColumn();
    ImGui::Text("%s (%s)", count_text(double(c.params) * s.n_layers).c_str(),
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
