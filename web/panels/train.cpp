// The training lab's panel: the settings, live loss and accuracy curves,
// the probe with the model's predictions, and every head's attention on it
// with a switch to ablate it. The training itself is the session's (session/train.h).

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "imgui.h"
#include "panels/panel.h"
#include "render/heatmap.h"
#include "render/widgets.h"

namespace web {

namespace {

using ap::train::TrainSettings;

// The curves keep every evaluation; the plot draws at most this many points.
constexpr size_t kPlotPoints = 160;

std::vector<double> thin(const std::vector<double>& y, size_t n) {
  if (y.size() <= n) return y;
  std::vector<double> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = y[i * (y.size() - 1) / (n - 1)];
  return out;
}

void settings_form(TrainSettings& e, float scale) {
  // Room for the longest label and its help marker beside each field.
  const float label_w = ImGui::CalcTextSize("learning rate (?)").x + 3 * ImGui::GetStyle().ItemInnerSpacing.x;
  const float w = std::max(60 * scale, std::min(150 * scale, ImGui::GetContentRegionAvail().x - label_w));
  int task = int(e.task);
  ImGui::SetNextItemWidth(w);
  if (ImGui::BeginCombo("task", ap::train::task_info(e.task).name)) {
    for (const auto& info : ap::train::all_tasks())
      if (ImGui::Selectable(info.name, info.task == e.task)) task = int(info.task);
    ImGui::EndCombo();
  }
  if (task != int(e.task)) {  // a new task brings the settings measured to learn it
    const uint32_t seed = e.seed;
    e = ap::train::default_settings(ap::train::Task(task));
    e.seed = seed;
  }
  help("Each task comes with settings measured to learn it; change them to see what breaks.");
  using L = ap::train::TrainLimits;
  ImGui::SetNextItemWidth(w);
  ImGui::SliderInt("length L", &e.length, 2, L::max_length);
  help("Content tokens per example. Sort and induction need at least L distinct tokens (vocab >= L).");
  ImGui::SetNextItemWidth(w);
  ImGui::SliderInt("vocab", &e.vocab, 2, L::max_vocab);
  ImGui::SetNextItemWidth(w);
  ImGui::SliderInt("layers", &e.layers, 1, L::max_layers);
  help("Induction needs two: a previous-token head in layer 0 feeds an induction head in layer 1.");
  ImGui::SetNextItemWidth(w);
  ImGui::SliderInt("heads", &e.n_heads, 1, L::max_heads);
  ImGui::SetNextItemWidth(w);
  ImGui::InputInt("d_model", &e.d_model, 8, 16);
  help("Must be a multiple of heads: d_head = d_model / heads.");
  float lr = float(e.learning_rate);
  ImGui::SetNextItemWidth(w);
  if (ImGui::SliderFloat("learning rate", &lr, 1e-4f, 0.1f, "%.4g", ImGuiSliderFlags_Logarithmic)) e.learning_rate = lr;
  ImGui::SetNextItemWidth(w);
  ImGui::SliderInt("batch", &e.batch, 1, L::max_batch);
  int seed = int(e.seed);
  ImGui::SetNextItemWidth(w);
  if (ImGui::InputInt("seed", &seed)) e.seed = uint32_t(std::max(0, seed));
  help(
      "Weights, batches, the evaluation batch and the probe all follow from the seed: the same settings give "
      "the same loss curve on every run.");
  ImGui::Checkbox("layer norm", &e.layer_norm);
  ImGui::SameLine();
  ImGui::Checkbox("MLP", &e.mlp);
}

// One head's attention on the probe, with token labels when they fit; the hovered cell's tooltip.
void head_map(TrainSession& p, Heatmap& map, int layer, int head, float side, float scale) {
  const ap::train::Probe& pr = p.probe;
  const int T = pr.T;
  const float line = ImGui::GetTextLineHeight(), cell = side / float(T);
  const bool labels = cell >= line * 0.8f;
  const float gutter = labels ? line * 1.2f : 0;
  const ImVec2 top = ImGui::GetCursorScreenPos();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
  const bool off = p.trainer->ablated(layer, head);
  ImGui::Text("layer %d  head %d%s", layer, head, off ? "  (ablated)" : "");
  const ImVec2 at(top.x + gutter, top.y + line * 1.3f + gutter);
  if (labels)
    for (int i = 0; i < T; ++i) {
      const char* s = pr.labels[size_t(i)].c_str();
      const float tw = ImGui::CalcTextSize(s).x;
      dl->AddText(ImVec2(at.x + (i + 0.5f) * cell - tw * 0.5f, at.y - line * 1.1f), text, s);  // keys along the top
      dl->AddText(ImVec2(at.x - tw - 3 * scale, at.y + (i + 0.5f) * cell - line * 0.5f), text,
                  s);  // queries down the side
    }
  ImGui::SetCursorScreenPos(at);
  int hq = -1, hk = -1;
  char id[32];
  std::snprintf(id, sizeof id, "##train%d_%d", layer, head);
  heatmap_image(map, id, ImVec2(side, side), 0.0f, 1.0f, Colormap::Sequential, T, T, hq, hk);
  if (hq >= 0) {
    ImGui::BeginTooltip();
    ImGui::Text("layer %d head %d", layer, head);
    ImGui::Text("query %d \"%s\" attends to key %d \"%s\"", hq, pr.labels[size_t(hq)].c_str(), hk,
                pr.labels[size_t(hk)].c_str());
    ImGui::Text("weight %.4f", pr.weights[size_t(layer)][size_t(head)](hq, hk));
    if (!pr.allowed(hq, hk)) ImGui::TextDisabled("causal: a position never sees later tokens");
    ImGui::EndTooltip();
  }
  bool ablate = off;
  std::snprintf(id, sizeof id, "ablate##%d_%d", layer, head);
  if (ImGui::Checkbox(id, &ablate)) {
    train_ablate(p, layer, head, ablate);
  }
  help(
      "Switch the head off (its output is zeroed) and watch the evaluation loss: a head the task relies on "
      "costs a lot. Training continues with the head off until you switch it back.");
}

class TrainPanel : public Panel {
 public:
  PanelEdit draw(Session& s, const PanelFrame& f) override;
  void drop_gpu() override {
    for (auto& m : maps) web::drop(m);
    maps.clear();
  }

  uint64_t uploaded = 0;                       // the probe generation the maps hold
  std::vector<std::unique_ptr<Heatmap>> maps;  // [layer·n_heads + head]
};

PanelEdit TrainPanel::draw(Session& session, const PanelFrame& f) {
  TrainSession& p = session.train;
  const float scale = f.scale;
  PanelEdit edit;
  train_ensure(p);
  ap::train::Trainer& tr = *p.trainer;
  const ap::train::TaskInfo& info = ap::train::task_info(p.settings.task);
  const float line = ImGui::GetTextLineHeight();

  // [SECTION] left: the task and the settings
  // Side by side, or one above the other on a phone (the view scrolls).
  const bool narrow = narrow_view(scale);
  const float view_h = ImGui::GetContentRegionAvail().y;
  ImGui::BeginChild("train_settings", narrow ? ImVec2(0, view_h) : ImVec2(330 * scale, 0), true);
  ImGui::TextColored(ImVec4(1, 0.85f, 0.3f, 1), "Task: %s", info.name);
  ImGui::PushTextWrapPos(0);
  ImGui::TextDisabled("input: %s", info.input);
  ImGui::TextDisabled("target: %s", info.target);
  ImGui::TextDisabled("a solution head: %s", info.solution);
  ImGui::TextDisabled("expect: %s", info.expect);
  ImGui::PopTextWrapPos();
  ImGui::Separator();
  if (ImGui::Button(p.running ? "pause" : "train", ImVec2(80 * scale, 0))) p.running = !p.running;
  ImGui::SameLine();
  if (ImGui::Button("step")) p.pending_steps += 1;
  ImGui::SameLine();
  if (ImGui::Button("reset")) train_restart(p, p.settings);
  help("Reset: the initial weights again (same seed), step 0.");
  ImGui::Text("step %d", tr.step_count());
  if (p.running) {
    ImGui::SameLine();
    ImGui::TextDisabled("  %.0f steps/s", p.steps_per_second);
  }
  ImGui::Separator();
  settings_form(p.edit, scale);
  const bool changed = !(p.edit == p.settings);
  if (!changed) ImGui::BeginDisabled();
  if (ImGui::Button("apply and restart")) train_apply_edit(p);
  if (!changed) ImGui::EndDisabled();
  for (const auto& e : p.errors) message(e, kErrorColour);
  ImGui::Separator();
  if (ImGui::Button("export weights (.npz)")) edit.download = "weights";
  same_line_if_fits(ImGui::CalcTextSize("load weights (?)").x + 2 * ImGui::GetStyle().FramePadding.x +
                    2 * ImGui::GetStyle().ItemSpacing.x);
  if (ImGui::Button("load weights")) edit.pick_file = true;
  help(
      "Export: every parameter as a float64 array, loadable with np.load. Load: pick (or drop on the page) a .npz "
      "exported from a model of the same shape.");
  if (!p.message.empty()) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextDisabled("%s", p.message.c_str());
    ImGui::PopTextWrapPos();
  }
  ImGui::EndChild();
  if (!narrow) ImGui::SameLine();

  // [SECTION] right (or below): curves, the probe, the heads
  ImGui::BeginChild("train_views", ImVec2(0, narrow ? view_h : 0), false);
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  std::vector<std::string> xs;
  for (double s : thin(std::vector<double>(p.eval_steps.begin(), p.eval_steps.end()), kPlotPoints))
    xs.push_back(std::to_string(int(s)));
  const double top_loss = std::max(0.1, *std::max_element(p.eval_loss.begin(), p.eval_loss.end()) * 1.05);
  const float plot_w = (avail.x - line) * 0.5f, plot_h = std::max(110 * scale, avail.y * 0.22f);
  char title[96];
  std::snprintf(title, sizeof title, "loss on the evaluation batch: %.4f", p.eval.loss);
  line_plot("##loss", ImVec2(plot_w, plot_h), xs,
            {{thin(p.eval_loss, kPlotPoints), IM_COL32(255, 140, 90, 255), "loss (nats)"}}, 0.0, top_loss, title, -1);
  ImGui::SameLine();
  std::snprintf(title, sizeof title, "accuracy: %.1f%% of %d tokens", 100 * p.eval.accuracy, p.eval.scored);
  line_plot("##accuracy", ImVec2(plot_w, plot_h), xs,
            {{thin(p.eval_accuracy, kPlotPoints), IM_COL32(110, 200, 255, 255), "accuracy"}}, 0.0, 1.0, title, -1);

  // The probe: its tokens, what should be predicted, what is.
  const ap::train::Probe& pr = p.probe;
  ImGui::Text("probe:");
  for (int t = 0; t < pr.T; ++t) {
    ImGui::SameLine();
    ImGui::TextUnformatted(pr.labels[size_t(t)].c_str());
  }
  ImGui::Text("model:");
  for (int t = 0; t < pr.T; ++t) {
    ImGui::SameLine();
    const int want = pr.targets[size_t(t)];
    if (want < 0) ImGui::TextDisabled("·");
    else if (pr.predictions[size_t(t)] == want)
      ImGui::TextColored(ImVec4(0.4f, 0.9f, 0.45f, 1), "%s", pr.prediction_labels[size_t(t)].c_str());
    else ImGui::TextColored(ImVec4(1, 0.4f, 0.35f, 1), "%s", pr.prediction_labels[size_t(t)].c_str());
  }
  help(
      "Under each probe token, the token the model predicts next: green where it is the target, red where not, "
      "a dot where nothing is scored.");

  // [SECTION] heads: one heatmap per layer and head, re-uploaded when the probe changes
  const int layers = tr.shape().n_layers, heads = tr.shape().n_heads;
  if (uploaded != p.generation || maps.size() != size_t(layers * heads)) {
    maps.resize(size_t(layers * heads));
    for (int l = 0; l < layers; ++l)
      for (int h = 0; h < heads; ++h) {
        auto& m = maps[size_t(l * heads + h)];
        if (!m) m = std::make_unique<Heatmap>();
        m->set_cells(pr.weights[size_t(l)][size_t(h)].cast<float>(), &pr.allowed);
      }
    uploaded = p.generation;
  }
  const ImVec2 room = ImGui::GetContentRegionAvail();
  const float label_room = line * 1.4f, under = line * 4.2f;
  float side = std::min((room.x - line) / heads - label_room - line, (room.y - line) / layers - label_room - under);
  side = std::max(side, 80 * scale);
  for (int l = 0; l < layers; ++l)
    for (int h = 0; h < heads; ++h) {
      if (h > 0) ImGui::SameLine();
      ImGui::BeginGroup();
      head_map(p, *maps[size_t(l * heads + h)], l, h, side, scale);
      ImGui::EndGroup();
    }
  ImGui::EndChild();
  return edit;
}

}  // namespace

std::unique_ptr<Panel> make_train_panel() { return std::make_unique<TrainPanel>(); }

}  // namespace web
