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

void layout_table(const char* id, const std::vector<ap::LayoutStep>& steps) {
  // Scrolls sideways on a narrow screen (a phone), with the code column kept in view.
  const float h =
      (float(steps.size()) + 1.4f) * ImGui::GetTextLineHeightWithSpacing() + ImGui::GetStyle().ScrollbarSize;
  if (!ImGui::BeginTable(id, 4,
                         ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit |
                             ImGuiTableFlags_ScrollX,
                         ImVec2(0, h)))
    return;
  ImGui::TableSetupScrollFreeze(1, 0);
  for (const char* c : {"code", "shape", "strides", "contiguous"}) ImGui::TableSetupColumn(c);
  ImGui::TableHeadersRow();
  for (const auto& s : steps) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextColored(ImVec4(0.55f, 0.8f, 1, 1), "%s", s.code.c_str());
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(tuple(s.shape).c_str());
    ImGui::TableNextColumn();
    if (s.strides.empty()) ImGui::TextColored(kErrorColour, "RuntimeError");
    else ImGui::TextUnformatted(tuple(s.strides).c_str());
    ImGui::TableNextColumn();
    if (s.strides.empty()) ImGui::TextColored(kErrorColour, "refused");
    else ImGui::TextUnformatted(s.contiguous ? "yes" : "no");
  }
  ImGui::EndTable();
  for (const auto& s : steps)
    if (s.strides.empty()) {
      ImGui::PushStyleColor(ImGuiCol_Text, kErrorColour);
      ImGui::TextWrapped(
          "%s: RuntimeError: view size is not compatible with input tensor's size and stride. Use .reshape(...) "
          "instead.",
          s.code.c_str());
      ImGui::PopStyleColor();
    }
}

// Strides of the split and the merge of heads, and the element order in memory.
PanelEdit MemoryPanel::draw(Session& s, const PanelFrame& f) {
  const ap::Trace& t = s.trace;
  const float scale = f.scale;
  note(
      "A tensor is a flat block of memory plus a shape and strides: stride k is how many elements to step to move "
      "one along axis k. view() only re-reads the same memory with a new shape, so it needs axes that step evenly; "
      "transpose() swaps two strides, so neighbours in the new order are no longer neighbours in memory; "
      "contiguous() copies into the new order.");
  ImGui::TextUnformatted("Before attention: split into heads");
  layout_table("split", ap::head_split_layout(t.n_q, t.d_model, t.n_heads));
  note("The attention reads the transposed q as it is: matmul accepts any strides, so no copy is needed here.");
  ImGui::Spacing();
  ImGui::TextUnformatted("After attention: merge the heads");
  const auto merge = ap::head_merge_layout(t.n_q, t.d_model, t.n_heads);
  layout_table("merge", merge);
  note(
      "The transposed context puts each token's heads side by side only in its strides: in memory they are still "
      "head by head, so .view cannot make one d_model-wide row of them. .contiguous() copies them into that "
      "order first; .reshape() does both in one call (copying only when it must).");

  // Element order, on a miniature of the same layout so every cell is readable.
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float line = ImGui::GetTextLineHeight();
  const float text_w = ImGui::CalcTextSize("0,0,0").x + 6 * scale, avail = ImGui::GetContentRegionAvail().x;
  int64_t n = std::min<int64_t>(t.n_q, 3);
  const int64_t h = std::min<int64_t>(t.n_heads, 2);
  // As wide a head as the labels allow at this width: 3 features, else 2, else 1; then fewer tokens (a phone).
  int64_t dh = std::min<int64_t>(t.d_head, 3);
  while (dh > 1 && float(n * h * dh) * text_w > avail) --dh;
  while (n > 1 && float(n * h * dh) * text_w > avail) --n;
  const auto mini = ap::head_merge_layout(n, h * dh, h);
  ImGui::Spacing();
  // Wrapped short of the edge: its help marker follows on the last line.
  ImGui::PushTextWrapPos(ImGui::GetContentRegionMax().x - ImGui::CalcTextSize("(?)").x -
                         2 * ImGui::GetStyle().ItemSpacing.x);
  ImGui::Text("In memory order, for a miniature: %lld tokens, %lld heads of d_head %lld", (long long)n, (long long)h,
              (long long)dh);
  ImGui::PopTextWrapPos();
  help(
      "Each box is one element, labelled (token, head, feature) and coloured by head. Top: the context as attention "
      "wrote it, head by head. Bottom: the order in which context.transpose(1, 2) visits it, token by token, "
      "jumping through memory: that is what 'not contiguous' means. .contiguous() writes the elements out in that "
      "second order, and .view(1, n, d_model) then reads each token's row straight through.");
  const float box = std::max(text_w, std::min(58 * scale, avail / float(n * h * dh + 1)));
  const auto row = [&](const char* label, const std::vector<int64_t>& offsets) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextDisabled("%s", label);
    ImGui::PopTextWrapPos();
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    for (size_t i = 0; i < offsets.size(); ++i) {
      const int64_t off = offsets[i];
      // The element stored at `off` in (head, token, feature) memory order.
      const int64_t head = off / (n * dh), tok = (off / dh) % n, feat = off % dh;
      const ImVec2 a(p0.x + i * box, p0.y), b(a.x + box - 2 * scale, a.y + line * 1.6f);
      const ImU32 colours[2] = {IM_COL32(60, 110, 170, 255), IM_COL32(160, 90, 50, 255)};
      dl->AddRectFilled(a, b, colours[head % 2], 3 * scale);
      char buf[32];
      std::snprintf(buf, sizeof buf, "%lld,%lld,%lld", (long long)tok, (long long)head, (long long)feat);
      dl->AddText(ImVec2(a.x + 3 * scale, a.y + line * 0.3f), IM_COL32(255, 255, 255, 255),
                  fit_text(buf, box - 4 * scale).c_str());
    }
    ImGui::Dummy(ImVec2(offsets.size() * box, line * 1.8f));
  };
  std::vector<int64_t> stored(size_t(n * h * dh));
  for (size_t i = 0; i < stored.size(); ++i) stored[i] = int64_t(i);
  row("context in memory: head by head", stored);
  row("visiting order of context.transpose(1, 2): token by token, jumping",
      ap::memory_offsets(mini[1].shape, mini[1].strides));
  return {};
}

}  // namespace

std::unique_ptr<Panel> make_memory_panel() { return std::make_unique<MemoryPanel>(); }

}  // namespace web
