// Masks panel: the combined mask, painted here cell by cell; the same mask in
// the conventions of four libraries; and what rows with no key become.
#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

#include "imgui.h"
#include "imgui_internal.h"  // the child window's visible rectangle
#include "kernels/head.h"
#include "panels/panel.h"
#include "render/heatmap.h"
#include "render/widgets.h"

namespace web {
namespace {

// One mask written the way each library takes it: a cell's text and whether
// the cell is a blocked one (shaded), or a single row for key_padding_mask.
struct Form {
  const char* who;
  const char* code;
  bool key_row;  // one (batch, n_kv) row instead of (n_q, n_kv)
};
constexpr Form kForms[] = {
    {"PyTorch F.scaled_dot_product_attention", "attn_mask: bool (n_q, n_kv), True = may attend", false},
    {"PyTorch nn.MultiheadAttention", "attn_mask: bool (n_q, n_kv), True = blocked", false},
    {"PyTorch nn.MultiheadAttention, padding",
     "key_padding_mask: bool (batch, n_kv), True = a [PAD] key to ignore; combined with attn_mask", true},
    {"ONNX Attention, or any additive float mask", "added to the scores: 0 or -inf (plus a float mask)", false},
    {"the tutorials", "scores.masked_fill(mask == 0, -1e9): 1 = keep, 0 = mask", false},
};

std::string form_cell(int form, const ap::Trace& t, const ap::Config& c, int i, int j) {
  switch (form) {
    case 0:
      return t.allowed(i, j) ? "T" : "F";
    case 1:
      return t.allowed(i, j) ? "F" : "T";
    case 2:
      return c.mask_pad_keys && t.kv_pad[size_t(j)] ? "T" : "F";
    case 3: {
      const float b = t.bias(i, j);
      if (std::isinf(b)) return b < 0 ? "-inf" : "inf";
      char buf[16];
      std::snprintf(buf, sizeof buf, "%.3g", b);
      return buf;
    }
    default:
      return t.allowed(i, j) ? "1" : "0";
  }
}

// The whole mask as text, every row and column, in a scrolling child: the
// token of each row on the left and of each column above (both stay in
// view while scrolling); only the visible cells are drawn, so 1024 x 1024 is cheap.
void mask_grid(int form, const ap::Trace& t, const ap::Config& c, ImVec2 size, float scale,
               std::vector<DrawnGrid>& grids) {
  const Form& f = kForms[form];
  const int rows = f.key_row ? 1 : t.n_q, cols = t.n_kv;
  const float line = ImGui::GetTextLineHeight(), pad = 6 * scale;
  float cw = line;
  for (const char* widest : {"T", "-inf", "0.25"})
    if (form == 3 || widest[1] == 0) cw = std::max(cw, ImGui::CalcTextSize(widest).x);
  cw += pad;
  const float ch = line + 2 * scale;
  const float head_w = std::min(
                  TokenAxes{&t.q_tokens, nullptr, nullptr, nullptr}.room(scale) + ImGui::CalcTextSize("1024 ").x,
                  140 * scale),
              head_h = std::min(TokenAxes{nullptr, nullptr, &t.kv_tokens, nullptr}.room(scale), 80 * scale);
  const ImVec2 full(head_w + cols * cw, head_h + rows * ch);
  size.x = std::min(size.x, full.x + ImGui::GetStyle().ScrollbarSize + 2 * pad);
  size.y = std::min(size.y, full.y + ImGui::GetStyle().ScrollbarSize + 2 * pad);
  ImGui::BeginChild(f.key_row ? "##kpm" : "##mask_grid", size, true, ImGuiWindowFlags_HorizontalScrollbar);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 origin = ImGui::GetCursorScreenPos();  // the grid's corner, moving as it scrolls
  ImGui::Dummy(full);
  // The child's visible content area (inside its padding and scrollbars), where the headers stay.
  const ImRect clip = ImGui::GetCurrentWindow()->InnerClipRect;
  const ImVec2 inner0 = clip.Min, view_size = clip.GetSize();
  const float right = clip.Max.x, bottom = clip.Max.y;
  const float x0 = origin.x + head_w, y0 = origin.y + head_h;
  const int j0 = std::max(0, int((inner0.x + head_w - x0) / cw)), i0 = std::max(0, int((inner0.y + head_h - y0) / ch));
  const int j1 = std::min(cols, j0 + int(view_size.x / cw) + 2), i1 = std::min(rows, i0 + int(view_size.y / ch) + 2);
  // What is in view for layout(): the cells whose whole box lies inside the child.
  grids.push_back({f.who, rows, cols, i0, std::clamp(int((bottom - y0) / ch), i0, rows), j0,
                   std::clamp(int((right - x0) / cw), j0, cols)});
  const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text), dim = ImGui::GetColorU32(ImGuiCol_TextDisabled);
  const ImU32 shade = IM_COL32(60, 60, 70, 255), back = ImGui::GetColorU32(ImGuiCol_ChildBg, 1.0f);
  const auto blocked = [&](int i, int j) {
    return f.key_row ? c.mask_pad_keys && t.kv_pad[size_t(j)] : !t.allowed(i, j);
  };
  for (int i = i0; i < i1; ++i)
    for (int j = j0; j < j1; ++j) {
      const ImVec2 a(x0 + j * cw, y0 + i * ch);
      if (blocked(i, j)) dl->AddRectFilled(a, ImVec2(a.x + cw - 1, a.y + ch - 1), shade);
      const std::string v = form_cell(form, t, c, i, j);
      dl->AddText(ImVec2(a.x + (cw - ImGui::CalcTextSize(v.c_str()).x) * 0.5f, a.y + scale), text, v.c_str());
    }
  // Headers over the cells, pinned to the visible edges: rows left, columns on top.
  const float hx = std::max(origin.x, inner0.x), hy = std::max(origin.y, inner0.y);
  dl->AddRectFilled(ImVec2(hx, y0 + i0 * ch), ImVec2(hx + head_w, y0 + i1 * ch), back);
  for (int i = i0; i < i1; ++i) {
    char label[160];
    if (f.key_row) std::snprintf(label, sizeof label, "batch 0");
    else std::snprintf(label, sizeof label, "%d %s", i, t.q_tokens[size_t(i)].c_str());
    const std::string s = fit_text(label, head_w - pad);
    dl->AddText(ImVec2(hx, y0 + i * ch + scale), !f.key_row && t.q_pad[size_t(i)] ? dim : text, s.c_str());
  }
  dl->AddRectFilled(ImVec2(x0 + j0 * cw, hy), ImVec2(x0 + j1 * cw, hy + head_h), back);
  dl->AddRectFilled(ImVec2(hx, hy), ImVec2(hx + head_w, hy + head_h), back);
  for (int j = j0; j < j1; ++j) {
    const std::string s = fit_text(t.kv_tokens[size_t(j)], head_h - pad);
    vertical_text(dl, ImVec2(x0 + (j + 0.5f) * cw, hy + head_h - 2 * scale), t.kv_pad[size_t(j)] ? dim : text,
                  s.c_str());
  }
  dl->AddText(ImVec2(hx, hy + head_h - line), dim, f.key_row ? "" : "query \\ key");
  // The hovered cell, in words.
  if (ImGui::IsWindowHovered()) {
    const ImVec2 m = ImGui::GetIO().MousePos;
    const int i = int(std::floor((m.y - y0) / ch)), j = int(std::floor((m.x - x0) / cw));
    if (m.x > hx + head_w && m.y > hy + head_h && i >= 0 && i < rows && j >= 0 && j < cols) {
      if (f.key_row)
        ImGui::SetTooltip(
            "key %d \"%s\": %s", j, t.kv_tokens[size_t(j)].c_str(),
            blocked(0, j) ? "a [PAD] key, ignored by every query" : "attended (as far as attn_mask allows)");
      else {
        const std::string why = ap::block_reason(t.blocked_by(i, j));
        ImGui::SetTooltip("query %d \"%s\", key %d \"%s\": %s", i, t.q_tokens[size_t(i)].c_str(), j,
                          t.kv_tokens[size_t(j)].c_str(), why.empty() ? "allowed" : why.c_str());
      }
    }
  }
  ImGui::EndChild();
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
  int form = 0;  // the row of kForms shown
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
  // The combined mask with its tokens, and the library forms beside it when
  // the window is wide enough, else under it.
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float line = ImGui::GetTextLineHeight();
  const bool beside = avail.x >= 760 * scale;
  const TokenAxes axes{&t.q_tokens, &t.q_pad, &t.kv_tokens, &t.kv_pad};
  const float label_w = axes.room(scale);
  const float map_room_w = (beside ? avail.x * 0.4f : avail.x) - label_w;
  // Stacked, the window scrolls: the map may take half its height, enough for token labels at 20 tokens.
  const float map_room_h = (beside ? avail.y - line * 10 : avail.y * 0.5f) - label_w - line * 2;
  const float cell = std::max(std::min(map_room_w / t.n_kv, map_room_h / t.n_q), 60 * scale / std::max(t.n_q, t.n_kv));
  const MapView view = map_view("##mask");  // pinched in, fewer and larger cells: labels fit sooner
  const bool labels = TokenAxes::fit(cell * view.zoom);
  ImGui::BeginGroup();
  ImGui::Text("combined mask (%d x %d): click to paint", t.n_q, t.n_kv);
  const ImVec2 top = ImGui::GetCursorScreenPos();
  const ImVec2 map_pos(top.x + (labels ? label_w : 0), top.y + (labels ? label_w : 0));
  if (labels) axes.draw(map_pos, cell, label_w, scale, view);
  ImGui::SetCursorScreenPos(map_pos);
  int q, k;
  if (heatmap_image(*p.map, "##mask", ImVec2(cell * t.n_kv, cell * t.n_q), 0.0f, 1.0f, Colormap::Sequential, t.n_q,
                    t.n_kv, q, k, true) &&
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
  if (beside) ImGui::SameLine(0, 20 * scale);

  // [SECTION] one mask in each library's convention, whole
  ImGui::BeginGroup();
  ImGui::TextUnformatted("The same mask as each library takes it");
  // The choices side by side, wrapping at the edge; a list where a label alone is wider than the view (a phone).
  const float right = ImGui::GetCursorScreenPos().x + ImGui::GetContentRegionAvail().x;
  const auto radio_w = [](const char* label) {
    return ImGui::GetFrameHeight() + ImGui::GetStyle().ItemInnerSpacing.x + ImGui::CalcTextSize(label).x;
  };
  float widest = 0;
  for (const Form& form : kForms) widest = std::max(widest, radio_w(form.who));
  const bool as_list = widest > ImGui::GetContentRegionAvail().x;
  if (as_list) {
    ImGui::SetNextItemWidth(-1);
    if (ImGui::BeginCombo("##form", kForms[p.form].who)) {
      for (int i = 0; i < int(std::size(kForms)); ++i)
        if (ImGui::Selectable(kForms[i].who, p.form == i)) p.form = i;
      ImGui::EndCombo();
    }
  }
  for (int i = 0; i < int(std::size(kForms)) && !as_list; ++i) {
    const float w = radio_w(kForms[i].who);
    if (i > 0) {
      ImGui::SameLine(0, 14 * scale);
      if (ImGui::GetCursorScreenPos().x + w > right) ImGui::NewLine();
    }
    ImGui::RadioButton(kForms[i].who, &p.form, i);
  }
  ImGui::PushTextWrapPos(0);
  ImGui::TextColored(ImVec4(0.55f, 0.8f, 1, 1), "%s", kForms[p.form].code);
  ImGui::PopTextWrapPos();
  if (kForms[p.form].key_row)
    note(applied.mask_pad_keys
             ? "It holds only the padding: causal, window and painted cells go in attn_mask, and a key is attended "
               "only where both allow it."
             : "'mask [PAD] keys' is off, so no key is ignored.");
  const ImVec2 room = ImGui::GetContentRegionAvail();
  // Beside the map it fills the column above the last section; stacked, it may take 60 % of the window (which scrolls).
  const float grid_h = beside ? room.y - line * 8 : avail.y * 0.6f;
  mask_grid(p.form, t, applied, ImVec2(std::max(room.x, 200 * scale), std::max(grid_h, 8 * line)), scale, *f.grids);
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
    // Beside it when it fits, else under it, wrapped (a phone).
    same_line_if_fits(ImGui::CalcTextSize(pol.who).x);
    ImGui::PushTextWrapPos(0);
    ImGui::TextDisabled("%s", pol.who);
    ImGui::PopTextWrapPos();
  }
  if (!painted) return {};
  PanelEdit e;
  e.config = std::move(edit);
  return e;
}

}  // namespace

std::unique_ptr<Panel> make_masks_panel() { return std::make_unique<MasksPanel>(); }

}  // namespace web
