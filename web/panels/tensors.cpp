// Tensors panel: any tensor of the trace as a heatmap (diverging colours for
// signed values, sequential for weights), with how a hovered value was made.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "imgui.h"
#include "panels/panel.h"
#include "render/heatmap.h"
#include "render/widgets.h"

namespace web {
namespace {

// Cells of the texture a side: a 1024 x 1024 head would be an 8 MB upload
// (tens of ms in software GL) for a map that shows at most a few hundred.
constexpr int kMapCells = 512;

bool is_probability(const std::string& n) { return n == "weights" || n == "dropped_weights" || n == "mask"; }
bool kv_rows(const std::string& n) {  // a row per key/value token
  return n == "k" || n == "v" || n == "k_proj" || n == "v_proj" || n == "x_kv";
}
bool is_attention(const std::string& n) {  // [n_q x n_kv]
  return n == "scores" || n == "scaled_scores" || n == "softcapped_scores" || n == "masked_scores" || n == "weights" ||
         n == "dropped_weights" || n == "bias" || n == "mask";
}

void explain(const ap::Trace& t, const std::string& n, int h, int i, int j, float v) {
  const int kvh = (n == "k" || n == "v") ? h : h / std::max(1, t.group);
  const ap::HeadTrace* s = ap::per_head_tensor(n) && n != "q" && n != "k" && n != "v" ? &t.heads[size_t(h)] : nullptr;
  const bool attn = is_attention(n);
  ImGui::BeginTooltip();
  if (attn)
    ImGui::Text("query %d \"%s\", key %d \"%s\"", i, t.q_tokens[size_t(i)].c_str(), j, t.kv_tokens[size_t(j)].c_str());
  else ImGui::Text("token %d \"%s\", column %d", i, (kv_rows(n) ? t.kv_tokens : t.q_tokens)[size_t(i)].c_str(), j);
  ImGui::Text("value  %.9g", v);
  ImGui::Separator();
  if (s && attn && j >= s->key_limit[size_t(i)] && n == "softcapped_scores") {
    ImGui::TextDisabled("not computed: this key and every later one are blocked for query %d,", i);
    ImGui::TextDisabled("so the kernel skips them, as causal attention kernels do (their weight is 0 anyway)");
    ImGui::EndTooltip();
    return;
  }
  if (attn && !t.allowed(i, j) && (n == "scores" || n == "scaled_scores"))
    ImGui::TextColored(ImVec4(1, 0.6f, 0.4f, 1), "masked (%s): the mask sets it to −inf after this step",
                       ap::block_reason(t.blocked_by(i, j)).c_str());
  const int dh = t.d_head;
  if (n == "x" || n == "x_kv") ImGui::TextDisabled("token embedding + positional encoding");
  else if (n == "q_proj") ImGui::TextDisabled("row %d of X · row %d of W_q + b_q[%d]", i, j, j);
  else if (n == "k_proj" || n == "v_proj")
    ImGui::TextDisabled("row %d of X_kv · row %d of W_%c + b[%d]", i, j, n[0], j);
  else if (n == "q")
    ImGui::TextDisabled("= q_proj[%d, %d]: head %d owns columns %d..%d", i, h * dh + j, h, h * dh, h * dh + dh - 1);
  else if (n == "k" || n == "v") ImGui::TextDisabled("= %c_proj[%d, %d] (kv head %d)", n[0], i, h * dh + j, h);
  else if (n == "scores") ImGui::TextDisabled("q_%d · k_%d = Σ over %d features (kv head %d)", i, j, dh, kvh);
  else if (n == "scaled_scores") {
    const float qk = std::isnan(s->scores(i, j)) ? ap::every_score(t, "scores", h, i, i + 1)(0, j) : s->scores(i, j);
    ImGui::TextDisabled("%.6g × %.4g%s = %.6g", qk, t.scale, t.temperature != 1 ? " / T" : "", v);
  } else if (n == "softcapped_scores")
    ImGui::TextDisabled("softcap·tanh(%.6g / softcap) (= the scaled score when off)", s->scaled(i, j));
  else if (n == "bias")
    ImGui::TextDisabled(t.allowed(i, j) ? "allowed: 0, plus any float mask" : "blocked by a mask: −inf");
  else if (n == "mask") ImGui::TextDisabled("1 = may attend (SDPA/ONNX convention), 0 = blocked");
  else if (n == "masked_scores")
    ImGui::TextDisabled(t.allowed(i, j) ? "%.6g + bias %.4g" : "blocked: −inf, so its weight is exactly 0",
                        s->capped(i, j), t.bias(i, j));
  else if (n == "weights") {
    if (std::isnan(s->row_max(i)))
      ImGui::TextDisabled("every key of this query is blocked: set by the fully-masked policy");
    else if (t.allowed(i, j))
      ImGui::TextDisabled("exp(%.5g − row max %.5g) / row sum %.5g", s->masked(i, j), s->row_max(i), s->row_sum(i));
    else ImGui::TextDisabled("blocked: exp(−inf) = 0");
  } else if (n == "dropped_weights")
    ImGui::TextDisabled(v == 0 && s->weights(i, j) != 0 ? "dropped by dropout" : "kept: weight %.6g / (1 − p)",
                        s->weights(i, j));
  else if (n == "context")
    ImGui::TextDisabled("Σ_j weight[%d, j] · v_j[%d] over %d keys (kv head %d)", i, j, t.n_kv, kvh);
  else if (n == "concat") ImGui::TextDisabled("= context of head %d, column %d", j / dh, j % dh);
  else if (n == "output") ImGui::TextDisabled("row %d of concat · row %d of W_o + b_o[%d]", i, j, j);
  ImGui::EndTooltip();
}

class TensorsPanel : public Panel {
 public:
  PanelEdit draw(Session& s, const PanelFrame& f) override;
  void drop_gpu() override {
    web::drop(map), web::drop(legend_seq), web::drop(legend_div);
    generation = 0;
  }

  std::unique_ptr<Heatmap> map, legend_seq, legend_div;
  uint64_t generation = 0;
  std::string shown;              // name/head the map holds
  const ap::Mat* data = nullptr;  // `shown`, in the trace (found once per trace)
  ap::Mat mask;                   // the mask as 0/1 floats, when that is shown (the trace holds it as bytes)
  float lo = 0, hi = 1;           // its colour range
};

PanelEdit TensorsPanel::draw(Session& s, const PanelFrame& f) {
  TensorsPanel& p = *this;
  const ap::Trace& t = s.trace;
  const uint64_t generation = s.generation;
  const float scale = f.scale;
  std::string& name = s.view.tensor;
  note(
      "Every intermediate of the forward pass, as numbers coloured by value: blue below zero, red above, white at "
      "zero; weights from dark to yellow. Hover a cell for its value and how it was computed.");
  const auto& names = ap::tensor_names();
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 11);
  if (ImGui::BeginCombo("tensor", name.c_str())) {
    for (const auto& n : names)
      if (ImGui::Selectable(n.c_str(), n == name)) name = n;
    ImGui::EndCombo();
  }
  help("The names are those of playground.tensor(name, head) and of the pipeline's steps.");
  const bool heads = ap::per_head_tensor(name);
  const int count = name == "k" || name == "v" ? t.n_kv_heads : t.n_heads;
  const char* head_label = name == "k" || name == "v" ? "kv head" : "head";
  if (heads) {
    same_line_if_fits(ImGui::GetFontSize() * 8 + ImGui::GetStyle().ItemInnerSpacing.x +
                      ImGui::CalcTextSize(head_label).x);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
  }
  // The head the other panels show; k and v count key/value heads.
  int head = std::clamp(s.view.head, 0, count - 1);
  if (heads && ImGui::SliderInt(head_label, &head, 0, count - 1)) s.view.head = head;
  // Found, uploaded and ranged when the trace or the choice changes, not every frame.
  const std::string key = name + "#" + std::to_string(head);
  if (p.generation != generation || p.shown != key || !p.data) {
    std::string error;
    if (name == "mask") {
      p.mask = t.allowed.cast<float>().matrix();
      p.data = &p.mask;
    } else {
      // Scores the causal kernel skipped are NaN here; they are masked, so the
      // map hatches them, and the hover computes the one asked for.
      p.data = ap::find_matrix(t, name, heads ? head : 0, &error);
    }
    if (!p.data) {  // the outputs of a new trace still being computed, say: asked again next frame
      ImGui::TextUnformatted(error.c_str());
      return {};
    }
    if (!p.map) {
      p.map = std::make_unique<Heatmap>();
      p.legend_seq = make_legend();
      p.legend_div = make_legend();
    }
    const ap::Mat& m = *p.data;
    // Pooled to the screen's size before the upload, keeping each block's
    // strongest value with its sign (hover still reads the exact cell).
    const ap::Mat shown = ap::pool_max(m, kMapCells, kMapCells, !is_probability(name));
    if (is_attention(name) && name != "mask") {
      const bool weights = name == "weights" || name == "dropped_weights";
      const ap::MaskMat show = weights ? ap::weight_cells_shown(t) : t.allowed;
      const ap::MaskMat pooled = ap::pool_any(show, kMapCells, kMapCells);
      p.map->set_cells(shown, &pooled);
    } else {
      p.map->set_cells(shown, nullptr);
    }
    p.lo = 0, p.hi = 1;
    if (!is_probability(name)) {  // diverging: symmetric, so white is zero
      const float big = ap::max_abs_finite(m.data(), size_t(m.size()));
      p.hi = big > 0 ? big : 1;
      p.lo = -p.hi;
    } else if (name != "mask") {
      const float big = ap::max_finite(m.data(), size_t(m.size()));
      p.hi = big > 0 ? big : 1;
    }
    p.generation = generation;
    p.shown = key;
  }
  const ap::Mat& m = *p.data;
  const int rows = int(m.rows()), cols = int(m.cols());
  char shape[48];
  std::snprintf(shape, sizeof shape, "shape (%d, %d)", rows, cols);
  same_line_if_fits(ImGui::CalcTextSize(shape).x);
  ImGui::TextDisabled("%s", shape);
  const float lo = p.lo, hi = p.hi;
  const Colormap cm = is_probability(name) ? Colormap::Sequential : Colormap::Diverging;
  // Token labels: rows are tokens (queries, or keys for K and V); the columns of an attention map are key tokens.
  TokenAxes axes;
  axes.rows = kv_rows(name) ? &t.kv_tokens : &t.q_tokens;
  axes.row_pad = kv_rows(name) ? &t.kv_pad : &t.q_pad;
  if (is_attention(name)) axes.cols = &t.kv_tokens, axes.col_pad = &t.kv_pad;
  const float label_w = axes.room(scale);
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float legend_w = 90 * scale, room_w = avail.x - legend_w - label_w,
              room_h = avail.y - ImGui::GetTextLineHeight() - (axes.cols ? label_w : 0);
  const float cell = std::min(room_w / cols, room_h / rows);
  // Square cells when they fit; a long thin tensor (X is n x d_model) is stretched to stay visible.
  const float w = cell * cols < room_w * 0.5f && cell * rows >= room_h * 0.99f ? std::min(room_w, room_h) : cell * cols;
  const float h = cell * rows;
  const bool labels = TokenAxes::fit(cell) && int(axes.rows->size()) == rows;
  if (!labels) axes = {};
  else if (w != cell * cols) axes.cols = nullptr;  // stretched columns are features, never tokens
  const ImVec2 top = ImGui::GetCursorScreenPos();
  const ImVec2 pos(top.x + (labels ? label_w : 0), top.y + (labels && axes.cols ? label_w : 0));
  if (labels) axes.draw(pos, cell, label_w, scale);
  ImGui::SetCursorScreenPos(pos);
  int hr, hc;
  heatmap_image(*p.map, "##tensor", ImVec2(w, h), lo, hi, cm, rows, cols, hr, hc);
  if (hr >= 0) {
    float v = m(hr, hc);
    if (std::isnan(v) && (name == "scores" || name == "scaled_scores"))
      v = ap::every_score(t, name, head, hr, hr + 1)(0, hc);  // a cell the causal kernel skipped
    explain(t, name, head, hr, hc, v);
  }
  colour_legend(cm == Colormap::Sequential ? *p.legend_seq : *p.legend_div, ImVec2(pos.x + w + 16 * scale, pos.y),
                16 * scale, std::max(h * 0.8f, 120 * scale), lo, hi, cm);
  return {};
}

}  // namespace

std::unique_ptr<Panel> make_tensors_panel() { return std::make_unique<TensorsPanel>(); }

}  // namespace web
