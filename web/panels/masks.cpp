// Masks panel: the combined mask, painted here cell by cell; the same mask in
// the conventions of four libraries; and what rows with no key become.
#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

#include "imgui.h"
#include "kernels/head.h"
#include "panels/panel.h"
#include "render/heatmap.h"
#include "render/widgets.h"

namespace web {
namespace {

constexpr int kShown = 10;  // rows and columns printed per convention

// A small grid of short strings drawn at fixed cell positions under a code line.
void text_grid(const char* title, const char* code, int rows, int cols,
               const std::function<std::string(int, int)>& cell, const std::function<bool(int, int)>& highlight,
               float scale) {
  ImGui::BeginGroup();
  ImGui::TextUnformatted(title);
  ImGui::TextColored(ImVec4(0.55f, 0.8f, 1, 1), "%s", code);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  const float line = ImGui::GetTextLineHeight(), cw = ImGui::CalcTextSize("-inf").x + 6 * scale;
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) {
      const std::string s = cell(i, j);
      const float tw = ImGui::CalcTextSize(s.c_str()).x;
      const ImVec2 at(p0.x + j * cw + (cw - tw) * 0.5f, p0.y + i * line);
      if (highlight(i, j))
        dl->AddRectFilled(ImVec2(p0.x + j * cw, at.y), ImVec2(p0.x + (j + 1) * cw, at.y + line),
                          IM_COL32(60, 60, 70, 255));
      dl->AddText(at, ImGui::GetColorU32(ImGuiCol_Text), s.c_str());
    }
  ImGui::Dummy(ImVec2(cols * cw, rows * line));
  ImGui::EndGroup();
}

class MasksPanel : public Panel {
 public:
  PanelEdit draw(Session& s, const PanelFrame& f) override;
  void drop_gpu() override {
    web::drop(map);
    generation = 0;
  }

  std::unique_ptr<Heatmap> map;
  uint64_t generation = 0;
};

PanelEdit MasksPanel::draw(Session& s, const PanelFrame& f) {
  MasksPanel& p = *this;
  const ap::Trace& t = s.trace;
  const ap::Config& applied = s.config;
  const uint64_t generation = s.generation;
  const float scale = f.scale;
  ap::Config edit = applied;
  note(
      "Every mask becomes one additive bias: 0 where a query may attend to a key, −inf where it may not, so the "
      "softmax gives those keys exactly 0. Combine causal, window and padding on the left; click cells here to paint "
      "a custom mask (it is combined with the others).");
  bool painted = false;
  if (!p.map) p.map = std::make_unique<Heatmap>();
  if (p.generation != generation) {
    // At most 512 cells a side go to the GPU (a block shows allowed if any of its cells is);
    // clicks still reach single cells.
    const ap::MaskMat shown = ap::pool_any(t.allowed, 512, 512);
    p.map->set_cells(ap::Mat::Ones(shown.rows(), shown.cols()), &shown);
    p.generation = generation;
  }
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float line = ImGui::GetTextLineHeight();
  const float side = std::min(avail.x * 0.38f, avail.y - line * 3);
  const float cell = side / std::max(t.n_q, t.n_kv);
  ImGui::BeginGroup();
  ImGui::Text("combined mask (%d x %d): click to paint", t.n_q, t.n_kv);
  int q, k;
  if (heatmap_image(*p.map, "##mask", ImVec2(cell * t.n_kv, cell * t.n_q), 0.0f, 1.0f, Colormap::Sequential, t.n_q,
                    t.n_kv, q, k) &&
      q >= 0) {
    if (edit.custom_mask.empty()) edit.custom_mask.assign(size_t(t.n_q), std::vector<uint8_t>(size_t(t.n_kv), 1));
    auto& c = edit.custom_mask[size_t(q)][size_t(k)];
    c = !c;
    painted = true;
  }
  if (q >= 0) {
    const std::string why = ap::block_reason(t.blocked_by(q, k));
    ImGui::SetTooltip("query %d \"%s\", key %d \"%s\"\n%s\nclick: %s it in the custom mask", q,
                      t.q_tokens[size_t(q)].c_str(), k, t.kv_tokens[size_t(k)].c_str(),
                      why.empty() ? "allowed" : why.c_str(),
                      !applied.custom_mask.empty() && !applied.custom_mask[size_t(q)][size_t(k)] ? "allow" : "block");
  }
  if (!applied.custom_mask.empty() && ImGui::SmallButton("clear the custom mask")) {
    edit.custom_mask.clear();
    painted = true;
  }
  ImGui::EndGroup();
  ImGui::SameLine(0, 16 * scale);

  // [SECTION] one mask, four conventions
  ImGui::BeginGroup();
  const int rows = std::min(t.n_q, kShown), cols = std::min(t.n_kv, kShown);
  const auto blocked = [&](int i, int j) { return !t.allowed(i, j); };
  ImGui::TextUnformatted("The same mask in four conventions");
  if (rows < t.n_q || cols < t.n_kv) ImGui::TextDisabled("(first %d x %d shown)", rows, cols);
  text_grid(
      "PyTorch F.scaled_dot_product_attention", "attn_mask: bool, True = may attend", rows, cols,
      [&](int i, int j) { return t.allowed(i, j) ? "T" : "F"; }, blocked, scale);
  ImGui::SameLine(0, 20 * scale);
  text_grid(
      "PyTorch nn.MultiheadAttention", "attn_mask: bool, True = blocked", rows, cols,
      [&](int i, int j) { return t.allowed(i, j) ? "F" : "T"; }, blocked, scale);
  text_grid(
      "ONNX Attention / additive float mask", "added to the scores: 0 or -inf", rows, cols,
      [&](int i, int j) {
        const float b = t.bias(i, j);
        if (std::isinf(b)) return std::string("-inf");
        char buf[16];
        std::snprintf(buf, sizeof buf, "%.3g", b);
        return std::string(buf);
      },
      blocked, scale);
  ImGui::SameLine(0, 20 * scale);
  text_grid(
      "the tutorials", "scores.masked_fill(mask == 0, -1e9)", rows, cols,
      [&](int i, int j) { return t.allowed(i, j) ? "1" : "0"; }, blocked, scale);
  ImGui::EndGroup();

  // [SECTION] fully masked rows under each policy
  ImGui::Spacing();
  ImGui::Separator();
  ImGui::TextUnformatted("When a query has no key left");
  if (t.fully_masked_rows.empty()) {
    note("No row is fully masked now. Try 'mask [PAD] queries' with padding, or paint a whole row, to make one.");
  } else {
    std::string rows_text;
    for (int r : t.fully_masked_rows) rows_text += (rows_text.empty() ? "" : ", ") + std::to_string(r);
    ImGui::Text("rows with every key blocked: %s", rows_text.c_str());
  }
  note("The softmax of a row of −inf is 0/0. Libraries disagree on the answer, a classic source of NaN bugs:");
  const struct {
    ap::FullyMasked policy;
    const char* who;
  } policies[] = {{ap::FullyMasked::Zero, "ONNX (the default here): the row and its output are exactly 0"},
                  {ap::FullyMasked::NaN, "F.scaled_dot_product_attention with -inf masks: NaN, which spreads"},
                  {ap::FullyMasked::Uniform, "masked_fill(mask == 0, -1e9): every key gets 1/n_kv"}};
  for (const auto& pol : policies) {
    const float w = ap::fully_masked_weight(pol.policy, t.n_kv);
    const bool current = pol.policy == applied.fully_masked;
    ImGui::TextColored(current ? ImVec4(1, 0.85f, 0.3f, 1) : ImGui::GetStyleColorVec4(ImGuiCol_Text),
                       "%s %-8s each weight = %.6g", current ? ">" : " ", ap::to_string(pol.policy), w);
    ImGui::SameLine();
    ImGui::TextDisabled("%s", pol.who);
  }
  if (!painted) return {};
  PanelEdit e;
  e.config = std::move(edit);
  return e;
}

}  // namespace

std::unique_ptr<Panel> make_masks_panel() { return std::make_unique<MasksPanel>(); }

}  // namespace web
