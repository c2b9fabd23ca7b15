// Compare heads: arcs from each query to the keys it attends (one head, in the
// manner of BertViz), per-head statistics, and how alike the heads are.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "imgui.h"
#include "panels/panel.h"
#include "render/heatmap.h"
#include "render/widgets.h"

namespace web {
namespace {

class ComparePanel : public Panel {
 public:
  PanelEdit draw(Session& s, const PanelFrame& f) override;
  void drop_gpu() override {
    drop(similarity_), drop(legend_);
    generation_ = 0;
  }

 private:
  int hover_token_ = -1;  // a query whose arcs alone are drawn, -1 for all
  std::unique_ptr<Heatmap> similarity_, legend_;
  uint64_t generation_ = 0;               // of the trace the similarity map holds
  std::vector<std::string> head_labels_;  // "head 0", ... on the similarity map's axes
  bool similarity_range_ = true;          // colours from the smallest similarity (else from 0)
};

PanelEdit ComparePanel::draw(Session& s, const PanelFrame& f) {
  advance_head_analysis(s, kStatsSliceMs);
  const ap::Trace& t = s.trace;
  const ap::HeadAnalysis& heads = s.derived.head_stats;
  const double progress = s.derived.head_plan ? s.derived.head_plan->progress() : 1.0;
  const uint64_t generation = s.generation;
  const float scale = f.scale;
  int& head = s.view.head;
  note(
      "Different heads look at different things. Left: for one head, a line from each query (left column) to each "
      "key (right column), as opaque as its weight; hover a query to see its lines alone. Right: per-head "
      "statistics, and how alike every pair of heads is.");
  head = std::clamp(head, 0, t.n_heads - 1);
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float line = ImGui::GetTextLineHeight();

  // [SECTION] arcs: beside the statistics, or above them on a phone (the view scrolls)
  const bool narrow = narrow_view(scale);
  const int tokens = std::max(t.n_q, t.n_kv);
  ImGui::BeginChild("arcs",
                    narrow ? ImVec2(0, std::min(avail.y, line * 1.25f * (tokens + 3))) : ImVec2(avail.x * 0.45f, 0));
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
  ImGui::SliderInt("head##arcs", &head, 0, t.n_heads - 1);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  const float w = ImGui::GetContentRegionAvail().x, h = ImGui::GetContentRegionAvail().y;
  const int n = std::max(t.n_q, t.n_kv);
  const float step = std::min(line * 1.25f, (h - line) / std::max(1, n));
  const bool show_text = step >= line * 0.9f;
  const float col_w = std::min(w * 0.3f, 110 * scale), x_q = p0.x + col_w, x_k = p0.x + w - col_w;
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  hover_token_ = -1;
  for (int i = 0; i < t.n_q; ++i) {
    const float y = p0.y + (i + 0.5f) * step;
    if (ImGui::IsWindowHovered() && mouse.x < x_q && std::abs(mouse.y - y) < step * 0.5f) hover_token_ = i;
  }
  const ap::Mat& wts = t.heads[size_t(head)].weights;
  for (int i = 0; i < t.n_q; ++i) {
    if (hover_token_ >= 0 && i != hover_token_) continue;
    for (int j = 0; j < t.n_kv; ++j) {
      const float a = wts(i, j);
      if (!(a > 0.01f)) continue;  // also skips NaN
      const ImVec2 from(x_q + 4 * scale, p0.y + (i + 0.5f) * step), to(x_k - 4 * scale, p0.y + (j + 0.5f) * step);
      dl->AddLine(from, to, IM_COL32(90, 170, 255, int(40 + 215 * a)), (1 + 3 * a) * scale);
    }
  }
  const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text), dim = ImGui::GetColorU32(ImGuiCol_TextDisabled);
  if (show_text) {
    for (int i = 0; i < t.n_q; ++i) {
      const std::string s = fit_text(t.q_tokens[size_t(i)], col_w - 8 * scale);
      const float tw = ImGui::CalcTextSize(s.c_str()).x;
      dl->AddText(ImVec2(x_q - tw, p0.y + (i + 0.5f) * step - line * 0.5f),
                  i == hover_token_ ? IM_COL32(255, 217, 77, 255) : text, s.c_str());
    }
    for (int j = 0; j < t.n_kv; ++j)
      dl->AddText(ImVec2(x_k, p0.y + (j + 0.5f) * step - line * 0.5f), t.kv_pad[size_t(j)] ? dim : text,
                  fit_text(t.kv_tokens[size_t(j)], col_w - 8 * scale).c_str());
  } else {
    ImGui::TextDisabled("(%d tokens: too many to label; hover the left edge)", n);
  }
  if (hover_token_ >= 0) {
    ImGui::BeginTooltip();
    ImGui::Text("query %d \"%s\": head %d puts", hover_token_, t.q_tokens[size_t(hover_token_)].c_str(), head);
    std::vector<int> order(size_t(t.n_kv));
    for (int j = 0; j < t.n_kv; ++j) order[size_t(j)] = j;
    std::sort(order.begin(), order.end(), [&](int a, int b) { return wts(hover_token_, a) > wts(hover_token_, b); });
    for (int r = 0; r < std::min(3, t.n_kv); ++r)
      ImGui::Text("  %.4f on \"%s\" (%d)", wts(hover_token_, order[size_t(r)]),
                  t.kv_tokens[size_t(order[size_t(r)])].c_str(), order[size_t(r)]);
    ImGui::EndTooltip();
  }
  ImGui::EndChild();
  if (!narrow) ImGui::SameLine();

  // [SECTION] statistics and similarity
  ImGui::BeginChild("stats", ImVec2(0, narrow ? avail.y : 0));
  if (!heads.done) {  // a large trace: every weight of every pair of heads, over a few frames
    char label[64];
    std::snprintf(label, sizeof label, "computing the per-head statistics: %.0f%%", 100 * progress);
    ImGui::ProgressBar(float(progress), ImVec2(-1, 0), label);
    ImGui::EndChild();
    return {};
  }
  const auto& stats = heads.stats;
  const ap::Mat& similarity = heads.similarity;
  ImGui::TextUnformatted("Per-head statistics");
  help(
      "entropy: −Σ p·log p of a row, averaged over the queries (nats; uniform over n keys is log n, one key is 0). "
      "max weight: the largest weight of a row, averaged. distance: Σ p·|query position − key position|, averaged: "
      "how far back (or ahead) the head looks.");
  const float table_h = std::min(line * 1.4f * (t.n_heads + 1.5f), ImGui::GetContentRegionAvail().y * 0.45f);
  if (ImGui::BeginTable("stats", 4, ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_BordersInnerV,
                        ImVec2(0, table_h))) {
    ImGui::TableSetupScrollFreeze(0, 1);
    for (const char* c : {"head", "entropy", "max weight", "distance"}) ImGui::TableSetupColumn(c);
    ImGui::TableHeadersRow();
    for (int h = 0; h < t.n_heads; ++h) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      char label[16];
      std::snprintf(label, sizeof label, "%d", h);
      if (ImGui::Selectable(label, h == head, ImGuiSelectableFlags_SpanAllColumns)) head = h;
      ImGui::TableNextColumn();
      ImGui::Text("%.3f", stats[size_t(h)].entropy);
      ImGui::TableNextColumn();
      ImGui::Text("%.3f", stats[size_t(h)].max_weight);
      ImGui::TableNextColumn();
      ImGui::Text("%.2f", stats[size_t(h)].distance);
    }
    ImGui::EndTable();
  }
  ImGui::PushTextWrapPos(0);
  if (t.allowed.minCoeff() == 1)
    ImGui::TextDisabled("uniform attention over %d keys has entropy log %d = %.3f", t.n_kv, t.n_kv,
                        heads.uniform_entropy);
  else  // the masks leave each row its own number of keys
    ImGui::TextDisabled(
        "uniform attention over each row's allowed keys has entropy %.3f: the mean over rows of "
        "log(allowed keys), the baseline under these masks",
        heads.uniform_entropy);
  ImGui::PopTextWrapPos();
  ImGui::Spacing();
  ImGui::TextUnformatted("Head similarity");
  help(
      "Cosine similarity of two heads' weight matrices, flattened: 1 = they attend identically, near 0 = unrelated "
      "patterns.");
  if (!similarity_) {
    similarity_ = std::make_unique<Heatmap>();
    legend_ = make_legend();
  }
  if (generation_ != generation) {
    similarity_->set_cells(similarity, nullptr);
    head_labels_.clear();
    for (int h = 0; h < t.n_heads; ++h) head_labels_.push_back("head " + std::to_string(h));
    generation_ = generation;
  }
  ImGui::Checkbox("colours from the lowest", &similarity_range_);
  help(
      "On: the colours span the smallest similarity to 1, so differences show when every pair is alike (random "
      "heads are often all above 0.8). Off: 0 to 1.");
  const float lo = similarity_range_ && similarity.size() && similarity.minCoeff() < 1 ? similarity.minCoeff() : 0.0f;
  const TokenAxes axes{&head_labels_, nullptr, &head_labels_, nullptr};
  const float label_w = axes.room(scale);
  const float side = std::max(60 * scale, std::min(ImGui::GetContentRegionAvail().x - 100 * scale - label_w,
                                                   ImGui::GetContentRegionAvail().y - line - label_w));
  const bool labels = TokenAxes::fit(side / t.n_heads);
  const ImVec2 top = ImGui::GetCursorScreenPos();
  const ImVec2 pos(top.x + (labels ? label_w : 0), top.y + (labels ? label_w : 0));
  if (labels) axes.draw(pos, side / t.n_heads, label_w, scale);
  ImGui::SetCursorScreenPos(pos);
  int a, b;
  heatmap_image(*similarity_, "##similarity", ImVec2(side, side), lo, 1.0f, Colormap::Sequential, t.n_heads, t.n_heads,
                a, b);
  if (a >= 0) ImGui::SetTooltip("head %d vs head %d: cosine similarity %.4f", a, b, similarity(a, b));
  colour_legend(*legend_, ImVec2(pos.x + side + 12 * scale, pos.y), 14 * scale, side * 0.8f, lo, 1.0f,
                Colormap::Sequential);
  ImGui::EndChild();
  return {};
}

}  // namespace

std::unique_ptr<Panel> make_compare_panel() { return std::make_unique<ComparePanel>(); }

}  // namespace web
