// "Share and export": the link, reset, downloads of tensors, config, a
// PyTorch script with its weights, a PNG of the view, and .npy import.
#include <algorithm>

#include "imgui.h"
#include "panels/app.h"
#include "render/widgets.h"

namespace web {

void draw_share_section(App& app) {
  if (!ImGui::CollapsingHeader("Share and export")) return;
  Session& s = app.session;
  ShareSection& sh = app.share;
  const Platform& pf = app.platform;
  if (ImGui::Button("copy link") && pf.copy_link) pf.copy_link();
  help(
      "The page's address holds every setting (after the #): send it and the receiver sees exactly this. Back and "
      "forward step through your changes; the last state is also kept on this device.");
  ImGui::SameLine();
  if (ImGui::Button("reset to defaults")) reset(s);
  ImGui::SameLine();
  if (ImGui::Button("view as PNG")) app.png_requested = true;
  help("Saves the view on the right at this screen's pixel ratio.");

  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
  if (ImGui::BeginCombo("##export tensor", sh.tensor.c_str())) {
    for (const auto& n : ap::tensor_names())
      if (ImGui::Selectable(n.c_str(), n == sh.tensor)) sh.tensor = n;
    ImGui::EndCombo();
  }
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 4);
  ImGui::InputInt("##export head", &sh.head, 0);
  sh.head = std::clamp(sh.head, -1, std::max(s.trace.n_heads, s.trace.n_kv_heads) - 1);
  help("Head -1 exports every head at once: [heads, rows, cols] in .npy.");
  ImGui::SameLine();
  if (ImGui::SmallButton(".npy")) download(app, export_file(s, "npy", sh.tensor, sh.head));
  ImGui::SameLine();
  if (ImGui::SmallButton(".csv")) download(app, export_file(s, "csv", sh.tensor, std::max(sh.head, 0)));
  if (ImGui::SmallButton("config .json")) download(app, export_file(s, "config", "", 0));
  ImGui::SameLine();
  if (ImGui::SmallButton("PyTorch script + .npz")) {
    download(app, export_file(s, "pytorch", "", 0));
    download(app, export_file(s, "npz", "", 0));
  }
  help(
      "A Python script that rebuilds this layer with torch from the .npz (inputs, weights, mask in the "
      "True = may-attend convention, the dropout pattern) and prints how far it is from the playground's numbers.");

  if (ImGui::SmallButton("load .npy...") && pf.pick_file) pf.pick_file();
  help(
      "Or drop files onto the page. The name says what they replace: x.npy the token vectors (n, d_model), "
      "q.npy / k.npy / v.npy the projections (n, heads·d_head) or (1, heads, n, d_head). Shapes must match the "
      "current text and sizes.");
  const ap::Imported& imp = s.imported;
  if (!imp.empty()) {
    ImGui::SameLine();
    std::string what;
    for (auto [name, m] : {std::pair{"x", &imp.x}, {"q", &imp.q}, {"k", &imp.k}, {"v", &imp.v}})
      if (*m) what += std::string(what.empty() ? "" : ", ") + name;
    ImGui::TextColored(ImVec4(0.5f, 0.9f, 0.6f, 1), "imported: %s", what.c_str());
    ImGui::SameLine();
    if (ImGui::SmallButton("clear imports")) {
      s.imported = {};
      refresh(s);
    }
  }
}

}  // namespace web
