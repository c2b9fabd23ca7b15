// Memory layout: what .view, .transpose(1, 2) and .contiguous() do to the
// shape, the strides and the order in which elements sit in memory.
#include <algorithm>
#include <string>

#include "imgui.h"
#include "panels/panel.h"
#include "render/widgets.h"

namespace web {
namespace {

std::string tuple(const std::vector<int64_t>& v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + ")";
}

class MemoryPanel : public Panel {
 public:
  PanelEdit draw(Session& s, const PanelFrame& f) override;
};

// Strides of view, transpose(1, 2) and contiguous(), and the element order in memory.
PanelEdit MemoryPanel::draw(Session& s, const PanelFrame& f) {
  const ap::Trace& t = s.trace;
  const float scale = f.scale;
  note(
      "A tensor is a flat block of memory plus a shape and strides: stride k is how many elements to step to move "
      "one along axis k. view() only re-reads the same memory with a new shape; transpose() swaps two strides, so "
      "neighbours in the new order are no longer neighbours in memory; contiguous() copies into the new order. "
      "That is why PyTorch code writes q.view(...).transpose(1, 2), and .contiguous().view(...) to undo it.");
  const auto steps = ap::head_split_layout(t.n_q, t.d_model, t.n_heads);
  if (ImGui::BeginTable("layout", 4,
                        ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit)) {
    for (const char* c : {"code", "shape", "strides", "contiguous"}) ImGui::TableSetupColumn(c);
    ImGui::TableHeadersRow();
    for (const auto& s : steps) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextColored(ImVec4(0.55f, 0.8f, 1, 1), "%s", s.code.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(tuple(s.shape).c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(tuple(s.strides).c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(s.contiguous ? "yes" : "no: .view() would fail");
    }
    ImGui::EndTable();
  }
  // Element order, on a miniature of the same layout so every cell is readable.
  const int64_t n = std::min<int64_t>(t.n_q, 3), h = std::min<int64_t>(t.n_heads, 2),
                dh = std::min<int64_t>(t.d_head, 3);
  const auto mini = ap::head_split_layout(n, h * dh, h);
  ImGui::Spacing();
  ImGui::Text("In memory order, for a miniature: %lld tokens, %lld heads of d_head %lld", (long long)n, (long long)h,
              (long long)dh);
  help(
      "Each box is one element, labelled (head, token, feature). Top: memory as it is. Bottom: the order in which the "
      "transposed view visits it, which jumps around: that is what 'not contiguous' means.");
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float box = std::min(58 * scale, ImGui::GetContentRegionAvail().x / float(n * h * dh + 1));
  const float line = ImGui::GetTextLineHeight();
  const auto row = [&](const char* label, const std::vector<int64_t>& offsets) {
    ImGui::TextDisabled("%s", label);
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    for (size_t i = 0; i < offsets.size(); ++i) {
      const int64_t off = offsets[i];
      // The element stored at `off` in (token, head, feature) memory order.
      const int64_t tok = off / (h * dh), head = (off / dh) % h, feat = off % dh;
      const ImVec2 a(p0.x + i * box, p0.y), b(a.x + box - 2 * scale, a.y + line * 1.6f);
      const ImU32 colours[2] = {IM_COL32(60, 110, 170, 255), IM_COL32(160, 90, 50, 255)};
      dl->AddRectFilled(a, b, colours[head % 2], 3 * scale);
      char buf[32];
      std::snprintf(buf, sizeof buf, "%lld,%lld,%lld", (long long)head, (long long)tok, (long long)feat);
      dl->AddText(ImVec2(a.x + 2 * scale, a.y + line * 0.3f), IM_COL32(255, 255, 255, 255),
                  fit_text(buf, box - 4 * scale).c_str());
    }
    ImGui::Dummy(ImVec2(offsets.size() * box, line * 1.8f));
  };
  std::vector<int64_t> stored(size_t(n * h * dh));
  for (size_t i = 0; i < stored.size(); ++i) stored[i] = int64_t(i);
  row("memory (= the view's order): token by token, heads side by side", stored);
  row("visiting order of .transpose(1, 2): head by head, jumping through memory",
      ap::memory_offsets(mini[2].shape, mini[2].strides));
  note(
      "contiguous() copies the elements in that second order into new memory, so the copy is read straight through "
      "again, with the plain row-major strides of the last row of the table.");
  return {};
}

}  // namespace

std::unique_ptr<Panel> make_memory_panel() { return std::make_unique<MemoryPanel>(); }

}  // namespace web
