// "Share and export": the link, reset, downloads of tensors, config, a
// PyTorch script with its weights, a PNG of the view, and .npy import.
#include <algorithm>

#include "app.h"
#include "imgui.h"
#include "widgets.h"

namespace web {

void draw_share_section(App& app) {
  if (!ImGui::CollapsingHeader("Share and export")) return;
  const Platform& pf = app.platform;
  const auto download = [&](const ExportFile& f) {
    if (!f.error.empty()) app.notes.push_back(f.error);
    else if (pf.download) pf.download(f.name, f.mime, f.bytes);
  };
  if (ImGui::Button("copy link") && pf.copy_link) pf.copy_link();
  help("The page's address holds every setting (after the #): send it and the receiver sees exactly this. Back and "
       "forward step through your changes; the last state is also kept on this device.");
  ImGui::SameLine();
  if (ImGui::Button("reset to defaults")) reset(app);
  ImGui::SameLine();
  if (ImGui::Button("view as PNG")) app.png_requested = true;
  help("Saves the view on the right at this screen's pixel ratio.");

  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
  if (ImGui::BeginCombo("##export tensor", app.export_tensor.c_str())) {
    for (const auto& n : ap::tensor_names())
      if (ImGui::Selectable(n.c_str(), n == app.export_tensor)) app.export_tensor = n;
    ImGui::EndCombo();
  }
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 4);
  ImGui::InputInt("##export head", &app.export_head, 0);
  app.export_head = std::clamp(app.export_head, -1, std::max(app.trace.n_heads, app.trace.n_kv_heads) - 1);
  help("Head -1 exports every head at once: [heads, rows, cols] in .npy.");
  ImGui::SameLine();
  if (ImGui::SmallButton(".npy")) download(export_file(app, "npy", app.export_tensor, app.export_head));
  ImGui::SameLine();
  if (ImGui::SmallButton(".csv")) download(export_file(app, "csv", app.export_tensor, std::max(app.export_head, 0)));
  if (ImGui::SmallButton("config .json")) download(export_file(app, "config", "", 0));
  ImGui::SameLine();
  if (ImGui::SmallButton("PyTorch script + .npz")) {
    download(export_file(app, "pytorch", "", 0));
    download(export_file(app, "npz", "", 0));
  }
  help("A Python script that rebuilds this layer with torch from the .npz (inputs, weights, mask in the "
       "True = may-attend convention, the dropout pattern) and prints how far it is from the playground's numbers.");

  if (ImGui::SmallButton("load .npy...") && pf.pick_file) pf.pick_file();
  help("Or drop files onto the page. The name says what they replace: x.npy the token vectors (n, d_model), "
       "q.npy / k.npy / v.npy the projections (n, heads·d_head) or (1, heads, n, d_head). Shapes must match the "
       "current text and sizes.");
  const ap::Imported& imp = app.imported;
  if (!imp.empty()) {
    ImGui::SameLine();
    std::string what;
    for (auto [name, m] : {std::pair{"x", &imp.x}, {"q", &imp.q}, {"k", &imp.k}, {"v", &imp.v}})
      if (*m) what += std::string(what.empty() ? "" : ", ") + name;
    ImGui::TextColored(ImVec4(0.5f, 0.9f, 0.6f, 1), "imported: %s", what.c_str());
    ImGui::SameLine();
    if (ImGui::SmallButton("clear imports")) {
      app.imported = {};
      refresh(app);
    }
  }
}

}  // namespace web
