// The attention weights of every head: one head large with its tokens along
// the axes and a colour legend, all heads below as small multiples. Hovering
// a cell shows the query token, the key token and the exact weight.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "analysis/analysis.h"
#include "imgui.h"
#include "panels/panel.h"
#include "render/heatmap.h"
#include "render/widgets.h"

namespace web {
namespace {

// Uploading a texture costs a frame time (and software GL is slow), so maps
// larger than the screen shows are max-pooled by the core first: the focused
// head to at most kFocusCells a side, the small multiples to kThumbCells; and
// small multiples are made from at most kPoolCells weights per frame (pooling
// reads every weight: 25 heads of 1024 x 1024 take a few frames).
constexpr int kFocusCells = 512, kThumbCells = 96;
constexpr double kPoolCells = 2e6;

const char* kRoles[4] = {
    "previous token: W_q turns each (sin, cos) pair of the position by one step back, so q_i·k_j is largest at j = i−1",
    "same token: W_q and W_k copy embedding columns, so q_i·k_j is largest where the token's text repeats",
    "first token: the query is constant (its bias is the encoding of position 0), so q·k_j is largest at j = 0",
    "two back: as the previous-token head, turned by two steps",
};

// The tooltip of one cell of a weights heatmap: tokens, weight, score steps or block reasons.
void weight_tooltip(const ap::Trace& t, int head, int q, int k) {
  const ap::HeadTrace& s = t.heads[size_t(head)];
  ImGui::BeginTooltip();
  if (t.group > 1) ImGui::Text("head %d (kv head %d)", head, head / t.group);
  else ImGui::Text("head %d", head);
  ImGui::Text("query %d  \"%s\"", q, t.q_tokens[size_t(q)].c_str());
  ImGui::Text("key   %d  \"%s\"", k, t.kv_tokens[size_t(k)].c_str());
  ImGui::Separator();
  ImGui::Text("weight  %.9g", s.weights(q, k));
  if (s.dropped.size()) ImGui::Text("after dropout  %.9g", s.dropped(q, k));
  if (t.allowed(q, k)) {
    ImGui::TextDisabled("score q·k = %.6g", s.scores(q, k));
    if (t.temperature != 1)
      ImGui::TextDisabled("× scale %.4g / temperature %.4g = %.6g", t.scale, t.temperature, s.scaled(q, k));
    else ImGui::TextDisabled("× scale %.4g = %.6g", t.scale, s.scaled(q, k));
    if (s.capped.size()) ImGui::TextDisabled("softcapped: %.6g", s.capped(q, k));
    if (t.bias(q, k) != 0) ImGui::TextDisabled("+ float mask %.4g = %.6g", t.bias(q, k), s.masked(q, k));
    ImGui::TextDisabled("softmax: exp(%.4g − %.4g) / %.4g", s.masked(q, k), s.row_max(q), s.row_sum(q));
  } else {
    ImGui::TextDisabled("%s", ap::block_reason(t.blocked_by(q, k)).c_str());
    // Computed now when the kernel skipped it (one row), so the learner's q @ k.T matches.
    const float score =
        k < s.key_limit[size_t(q)] ? s.scores(q, k) : ap::every_score(t, "scores", head, q, q + 1)(0, k);
    ImGui::TextDisabled("score q·k = %.6g, masked to −inf before the softmax", score);
    if (std::find(t.fully_masked_rows.begin(), t.fully_masked_rows.end(), q) != t.fully_masked_rows.end())
      ImGui::TextColored(ImVec4(1, 0.6f, 0.4f, 1), "every key of this query is blocked: the policy sets its row");
  }
  ImGui::EndTooltip();
}

class HeadsPanel : public Panel {
 public:
  PanelEdit draw(Session& s, const PanelFrame& f) override;
  void drop_gpu() override {
    for (auto& m : maps) web::drop(m);
    maps.clear();
    web::drop(focus_map), web::drop(legend);
    focus_shown = -1;
    generation = 0;
  }

  bool range_to_max = true;                    // colour range 0..max weight (else 0..1)
  std::vector<std::unique_ptr<Heatmap>> maps;  // one per head, small multiples (pooled to at most kThumbCells a side)
  std::unique_ptr<Heatmap> focus_map;          // the focused head, large (pooled to at most kFocusCells a side)
  int focus_shown = -1;                        // the head focus_map holds for this generation
  std::unique_ptr<Heatmap> legend;
  uint64_t generation = 0;                    // trace generation the maps hold (or are being filled from)
  std::vector<int> to_upload;                 // heads whose maps still show an older trace
  ap::MaskMat show_focus, show_thumb;         // cells drawn as values (the rest hatched), pooled like the maps
  float max_weight = 0;                       // the largest finite weight of any head
  bool any_blocked = false, any_nan = false;  // whether the legend shows the hatch and magenta
};

PanelEdit HeadsPanel::draw(Session& s, const PanelFrame& f) {
  HeadsPanel& p = *this;
  const ap::Trace& t = s.trace;
  const uint64_t generation = s.generation;
  const float scale = f.scale;
  const bool constructed = s.config.weights == ap::Weights::Constructed;
  int& focus = s.view.head;
  std::vector<DrawnMap>& drawn = *f.drawn;
  if (t.n_heads == 0) return {};
  // [SECTION] upload when the trace changed: the focused head first, then the
  // others a few per frame, so a large trace (25 heads of 1024 x 1024) never
  // holds one frame for long.
  if (p.generation != generation) {
    p.maps.resize(size_t(t.n_heads));
    for (auto& m : p.maps)
      if (!m) m = std::make_unique<Heatmap>();
    focus = std::min(focus, t.n_heads - 1);
    p.to_upload.clear();
    for (int h = 0; h < t.n_heads; ++h) p.to_upload.push_back(h);
    p.focus_shown = -1;
    const ap::MaskMat show = ap::weight_cells_shown(t);
    p.show_focus = ap::pool_any(show, kFocusCells, kFocusCells);
    p.show_thumb = ap::pool_any(show, kThumbCells, kThumbCells);
    // What the legend needs, once per trace, in O(heads · n_q) (a scan of every weight would hold a frame).
    p.any_blocked = t.allowed.size() && t.allowed.minCoeff() == 0;
    p.any_nan =
        std::any_of(t.heads.begin(), t.heads.end(), [](const ap::HeadTrace& h) { return ap::has_nan_weight(h); });
    p.max_weight = 0;
    for (const auto& h : t.heads) p.max_weight = std::max(p.max_weight, ap::max_weight(h));
    if (!p.legend) p.legend = make_legend();
    p.generation = generation;
  }
  if (p.focus_shown != focus) {
    if (!p.focus_map) p.focus_map = std::make_unique<Heatmap>();
    p.focus_map->set_cells(ap::pool_max(t.heads[size_t(focus)].weights, kFocusCells, kFocusCells), &p.show_focus);
    p.focus_shown = focus;
  }
  for (double cells = 0; !p.to_upload.empty() && cells < kPoolCells;) {
    const int h = p.to_upload.front();
    p.to_upload.erase(p.to_upload.begin());
    const ap::Mat& w = t.heads[size_t(h)].weights;
    p.maps[size_t(h)]->set_cells(ap::pool_max(w, kThumbCells, kThumbCells), &p.show_thumb);
    cells += double(w.size());
  }
  const float max_w = p.max_weight;
  const float hi = p.range_to_max && max_w > 0 ? max_w : 1.0f;

  note(
      "weights = softmax(Q·Kᵀ · scale + mask) per head: row = query token, column = key token; each row sums to 1. "
      "Hover a cell for how its weight was computed.");
  ImGui::Checkbox("colours up to the largest weight", &p.range_to_max);
  help(
      "Off: 0 to 1 for every head, so heads compare on one scale. On: 0 to the largest weight shown, so faint patterns "
      "show.");
  if (constructed) {
    ImGui::TextColored(ImVec4(1, 0.85f, 0.3f, 1), "head %d is constructed:", focus);
    ImGui::SameLine();
    note(kRoles[focus % 4]);
  }

  // [SECTION] the focused head, with token labels and the legend
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float line = ImGui::GetTextLineHeight();
  const int n_q = t.n_q, n_kv = t.n_kv;
  const TokenAxes axes{&t.q_tokens, &t.q_pad, &t.kv_tokens, &t.kv_pad};
  const float label_w = axes.room(scale);
  const float legend_w = 90 * scale;
  const float grid_h = std::max(avail.y * 0.28f, 120 * scale);
  // Square cells: n_q rows by n_kv columns (not square with cross-attention).
  // A narrow (phone) view is a column that scrolls: the map takes the width, the thumbnails go below it.
  const bool narrow = narrow_view(scale);
  const float room_w = avail.x - label_w - legend_w;
  const float room_h = narrow ? room_w : avail.y - grid_h - label_w - 2 * line;
  const float cell = std::max(std::min(room_w / n_kv, room_h / n_q), 60 * scale / std::max(n_q, n_kv));
  const float map_w = cell * n_kv, map_h = cell * n_q;
  // Pinched or Ctrl-wheeled in, the map shows fewer, larger cells: their labels fit sooner.
  const MapView view = map_view("##focus");
  const float shown = cell * view.zoom;  // a cell on screen
  const bool labels = TokenAxes::fit(shown);

  const ImVec2 top = ImGui::GetCursorScreenPos();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImU32 text_col = ImGui::GetColorU32(ImGuiCol_Text);
  ImGui::Text("head %d of %d", focus, t.n_heads);
  const ImVec2 map_pos(top.x + label_w, top.y + line * 1.4f + (labels ? label_w : 0));
  if (labels) axes.draw(map_pos, cell, label_w, scale, view);
  ImGui::SetCursorScreenPos(map_pos);
  int hq, hk;
  // A lesson that asks for a cell takes the click as its answer.
  if (heatmap_image(*p.focus_map, "##focus", ImVec2(map_w, map_h), 0.0f, hi, Colormap::Sequential, n_q, n_kv, hq, hk,
                    true) &&
      hq >= 0 && lesson_asks(s, ap::lesson::CheckKind::PickCell))
    answer_lesson(s, nlohmann::json{hq, hk});
  drawn.push_back({focus, true, map_pos.x, map_pos.y, map_w, map_h, -1, view.zoom, hq, hk});
  if (hq >= 0) {
    // Outline the hovered cell's row and column so the eye finds both tokens.
    const ImU32 outline = IM_COL32(255, 255, 255, 200);
    const float y = map_pos.y + (hq - view.row0) * shown, x = map_pos.x + (hk - view.col0) * shown;
    dl->PushClipRect(map_pos, ImVec2(map_pos.x + map_w, map_pos.y + map_h), true);
    dl->AddRect(ImVec2(map_pos.x, y), ImVec2(map_pos.x + map_w, y + shown), outline, 0, 0, 1.5f * scale);
    dl->AddRect(ImVec2(x, map_pos.y), ImVec2(x + shown, map_pos.y + map_h), outline, 0, 0, 1.0f * scale);
    dl->PopClipRect();
    weight_tooltip(t, focus, hq, hk);
  }

  // Legend: a colour bar from hi down to 0, the hatch for blocked cells, magenta for NaN.
  const ImVec2 bar(map_pos.x + map_w + 16 * scale, map_pos.y);
  const float bar_w = 16 * scale, bar_h = std::max(map_h * 0.8f, 120 * scale);
  colour_legend(*p.legend, bar, bar_w, bar_h, 0.0f, hi, Colormap::Sequential);
  float swatch_y = bar.y + bar_h + line;
  if (p.any_blocked) {
    for (int i = 0; i < 4; ++i) {
      const float y = swatch_y + i * bar_w / 4;
      dl->AddRectFilled(ImVec2(bar.x, y), ImVec2(bar.x + bar_w, y + bar_w / 4),
                        i % 2 ? IM_COL32(69, 69, 69, 255) : IM_COL32(107, 107, 107, 255));
    }
    dl->AddText(ImVec2(bar.x + bar_w + 9 * scale, swatch_y - line * 0.2f), text_col, "masked");
    swatch_y += line * 1.2f;
  }
  if (p.any_nan) {
    dl->AddRectFilled(ImVec2(bar.x, swatch_y), ImVec2(bar.x + bar_w, swatch_y + bar_w), IM_COL32(230, 40, 200, 255));
    dl->AddText(ImVec2(bar.x + bar_w + 9 * scale, swatch_y - line * 0.2f), text_col, "NaN");
  }

  // [SECTION] all heads as small multiples
  ImGui::SetCursorScreenPos(ImVec2(top.x, std::max(map_pos.y + map_h, bar.y + bar_h + line * 3.2f) + line * 0.6f));
  ImGui::TextDisabled("All heads (click one to enlarge it):");
  const float gap = 8 * scale;
  const float room = ImGui::GetContentRegionAvail().y - line * 1.4f;
  const float aspect = float(n_q) / n_kv;  // height / width of a map
  float small = 0;
  for (int cols = 1; cols <= t.n_heads; ++cols) {
    const int rows = (t.n_heads + cols - 1) / cols;
    small = std::max(small, std::min((avail.x - gap * (cols - 1)) / cols, (room / rows - line * 1.3f - gap) / aspect));
  }
  small = std::max(small, 24 * scale);
  const float small_h = small * aspect;
  const int per_row = std::max(1, int((avail.x + gap) / (small + gap)));
  for (int h = 0; h < t.n_heads; ++h) {
    if (h % per_row) ImGui::SameLine(0, gap);
    ImGui::BeginGroup();
    // "head 11" when it fits over the map, else just "11", so a row of maps keeps its width.
    char label[16];
    std::snprintf(label, sizeof label, "head %d", h);
    const char* shown = ImGui::CalcTextSize(label).x <= small ? label : label + 5;
    ImGui::TextColored(h == focus ? ImVec4(1, 0.85f, 0.3f, 1) : ImGui::GetStyleColorVec4(ImGuiCol_Text), "%s", shown);
    const ImVec2 pos = ImGui::GetCursorScreenPos();
    const std::string id = "##head" + std::to_string(h);
    if (heatmap_image(*p.maps[size_t(h)], id.c_str(), ImVec2(small, small_h), 0.0f, hi, Colormap::Sequential, n_q, n_kv,
                      hq, hk)) {
      focus = h;
      if (lesson_asks(s, ap::lesson::CheckKind::PickHead)) answer_lesson(s, h);
    }
    drawn.push_back({h, false, pos.x, pos.y, small, small_h});
    if (h == focus)
      dl->AddRect(pos, ImVec2(pos.x + small, pos.y + small_h), IM_COL32(255, 217, 77, 255), 0, 0, 2 * scale);
    if (hq >= 0) weight_tooltip(t, h, hq, hk);
    ImGui::EndGroup();
  }
  return {};
}

}  // namespace

std::unique_ptr<Panel> make_heads_panel() { return std::make_unique<HeadsPanel>(); }

}  // namespace web
