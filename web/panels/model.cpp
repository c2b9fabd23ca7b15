// A real GPT-2: where it comes from (a hub by repo id, or files), then the
// model view (every layer x head as a thumbnail; a click inspects one, or
// ablates it), the next-token prediction with each top token's change in
// log-probability under the edits, sampling, and what every head does,
// measured. The numbers are the session's (session/model.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "analysis/analysis.h"
#include "imgui.h"
#include "misc/cpp/imgui_stdlib.h"
#include "panels/panel.h"
#include "render/heatmap.h"
#include "render/widgets.h"
#include "session/model.h"

namespace web {
namespace {

// Thumbnails are max-pooled to at most this many cells a side (they are drawn small).
constexpr int kThumbCells = 32;
const char* kRepos[] = {"openai-community/gpt2", "distilbert/distilgpt2", "openai-community/gpt2-medium"};

std::string mb(double bytes) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f MB", bytes / 1e6);
  return b;
}

std::string request(const char* action, const std::string& repo = "", const std::string& base = "") {
  nlohmann::json j = {{"action", action}};
  if (!repo.empty()) j["repo"] = repo;
  if (!base.empty()) j["base"] = base;
  return j.dump();
}

class ModelPanel : public Panel {
 public:
  PanelEdit draw(Session& s, const PanelFrame& f) override;
  void drop_gpu() override {
    for (auto& m : thumbs) web::drop(m);
    thumbs.clear();
    web::drop(behaviour_map);
    generation = 0;
    behaviour_shown = -1;
  }

 private:
  void draw_source(Session& s, const PanelFrame& f, PanelEdit& e);
  void draw_status(Session& s, const PanelFrame& f, PanelEdit& e);
  void draw_model_view(Session& s, const PanelFrame& f);
  void draw_prediction(Session& s, const PanelFrame& f);
  void draw_behaviour(Session& s, const PanelFrame& f);

  std::string repo = kRepos[0];
  std::string base;  // the hub's address, when the learner set it (else the page's own: Session::fetch.base)
  bool asked_cached = false;
  bool clicks_ablate = false;
  bool measuring = false;
  int behaviour = int(ap::Behaviour::Induction);
  int behaviour_shown = -1;
  int hovered = -1;                              // the token whose prediction is shown (-1: the last)
  std::vector<std::unique_ptr<Heatmap>> thumbs;  // [n_layer·n_heads]
  uint64_t generation = 0;                       // the session generation the thumbnails show
  int thumb_n = 0;                               // the tokens they were made from
  std::unique_ptr<Heatmap> behaviour_map;
};

// Where getting a model's files is: the sizes asked for, the question, the progress bar, a failure.
void ModelPanel::draw_status(Session& s, const PanelFrame& f, PanelEdit& e) {
  const ModelFetch& fetch = s.fetch;
  const std::string& phase = fetch.phase;
  if (phase == "sizing") {
    ImGui::TextDisabled("asking %s for the sizes of %s's files…", fetch.base.c_str(), fetch.repo.c_str());
  } else if (phase == "ask") {
    ImGui::PushTextWrapPos(0);
    ImGui::Text("%s: %s to download (model.safetensors %s), %s in this page's memory, %s parameters.",
                fetch.repo.c_str(), mb(fetch.total).c_str(), mb(fetch.weights_file).c_str(),
                mb(fetch.weight_bytes).c_str(), count_text(double(fetch.parameters)).c_str());
    ImGui::PopTextWrapPos();
    const std::string label = "Download " + mb(fetch.total);
    if (ImGui::Button(label.c_str())) e.model_request = request("download", fetch.repo, base);
    mark(f, "download");
    help("Files already on this device are read from it; an interrupted download resumes where it stopped.");
  } else if (phase == "downloading") {
    char label[96];
    std::snprintf(label, sizeof label, "%s of %s · %.1f MB/s", mb(fetch.done).c_str(), mb(fetch.total).c_str(),
                  fetch.speed / 1e6);
    ImGui::ProgressBar(fetch.total > 0 ? float(fetch.done / fetch.total) : 0, ImVec2(-1, 0), label);
    if (ImGui::Button("Cancel")) e.model_request = request("cancel");
    mark(f, "cancel");
  } else if (phase == "converting") {
    ImGui::TextDisabled("converting the weights to float32…");
  } else if (phase == "failed") {
    message(fetch.message, kErrorColour);
  }
}

void ModelPanel::draw_source(Session& s, const PanelFrame& f, PanelEdit& e) {
  ModelFetch& fetch = s.fetch;
  ImGui::TextUnformatted("From the Hugging Face hub:");
  // The box leaves room on its line for the button and its help marker (a phone's line is short).
  const ImGuiStyle& style = ImGui::GetStyle();
  const float button_w = ImGui::CalcTextSize("Look up").x + 2 * style.FramePadding.x + ImGui::CalcTextSize("(?)").x +
                         3 * style.ItemSpacing.x;
  ImGui::SetNextItemWidth(std::min(ImGui::GetContentRegionAvail().x - button_w, ImGui::GetFontSize() * 18));
  const bool enter = ImGui::InputText("##repo", &repo, ImGuiInputTextFlags_EnterReturnsTrue);
  mark(f, "repo");
  ImGui::SameLine();
  const bool busy_fetch = fetch.phase == "sizing" || fetch.phase == "downloading" || fetch.phase == "converting";
  ImGui::BeginDisabled(busy_fetch);
  if (ImGui::Button("Look up") || enter) e.model_request = request("lookup", repo, base);
  mark(f, "lookup");
  ImGui::EndDisabled();
  help(
      "A repo id (owner/name) of a GPT-2 with model.safetensors. The page asks for the files' sizes first and "
      "downloads nothing until you say so.");
  for (const char* r : kRepos) {
    if (r != kRepos[0]) ImGui::SameLine();
    const char* shortname = std::strchr(r, '/') + 1;
    if (ImGui::GetCursorScreenPos().x + ImGui::CalcTextSize(shortname).x + 20 * ImGui::GetFontSize() / 13 >
        ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x)
      ImGui::NewLine();
    if (ImGui::SmallButton(shortname)) {
      repo = r;
      e.model_request = request("lookup", repo, base);
    }
  }
  if (ImGui::TreeNode("hub address")) {
    ImGui::SetNextItemWidth(std::min(ImGui::GetContentRegionAvail().x, ImGui::GetFontSize() * 18));
    std::string shown = base.empty() ? fetch.base : base;
    if (ImGui::InputText("##base", &shown)) base = shown;
    help(
        "Where repo ids are fetched from: the Hugging Face hub, a mirror, or a school's server laid out as "
        "<address>/<repo>/resolve/main/<file>. The page's security policy lets it reach only this site and "
        "huggingface.co; another server must be on this site.");
    ImGui::TreePop();
  }

  if (!s.model) draw_status(s, f, e);  // with a model it is drawn above, where it shows with this section closed
  if (ImGui::Button("Open files…")) e.model_request = request("pick");
  same_line_if_fits(ImGui::GetFontSize() * 12);
  note("or drop config.json, model.safetensors, vocab.json and merges.txt (or tokenizer.json) on the page.");

  if (!fetch.cached.empty()) {
    ImGui::TextDisabled("Saved on this device:");
    for (size_t i = 0; i < fetch.cached.size(); ++i) {
      const ModelFetch::Cached& c = fetch.cached[i];
      ImGui::PushID(int(i));
      ImGui::BulletText("%s  %s", c.repo.c_str(), mb(c.bytes).c_str());
      ImGui::SameLine();
      if (ImGui::SmallButton("open")) {
        repo = c.repo;
        e.model_request = request("lookup", c.repo, c.base);
      }
      ImGui::SameLine();
      if (ImGui::SmallButton("forget")) e.model_request = request("forget", c.repo);
      ImGui::PopID();
    }
  }
}

void ModelPanel::draw_model_view(Session& s, const PanelFrame& f) {
  ModelSession& m = *s.model;
  const ap::Gpt2Config& c = m.model.config;
  const float scale = f.scale, line = ImGui::GetTextLineHeight();
  ImGui::Checkbox("clicks ablate", &clicks_ablate);
  help(
      "Off: a click on a head inspects it (its layer in every tab, the head in Heads). On: a click zeroes the "
      "head's output before c_proj, or restores it; the prediction below shows the effect.");
  const bool edited = !(m.edits == ap::gpt2_default_edits(c));
  if (edited) {
    ImGui::SameLine();
    if (ImGui::SmallButton("undo every edit")) clear_model_edits(s);
  }

  if (!m.state.keep_weights) {
    note(
        "At this many tokens the weights of every layer are not kept (they would take too much memory): the "
        "layer slider shows one layer at a time.");
    return;
  }
  // [SECTION] thumbnails, uploaded when a new forward is shown
  const int cells = c.n_layer * c.n_head;
  if (generation != s.generation && !m.work) {
    thumbs.resize(size_t(cells));
    for (int l = 0; l < c.n_layer; ++l)
      for (int h = 0; h < c.n_head; ++h) {
        auto& t = thumbs[size_t(l * c.n_head + h)];
        if (!t) t = std::make_unique<Heatmap>();
        t->set_cells(ap::pool_max(m.state.weights[size_t(l)][size_t(h)], kThumbCells, kThumbCells), nullptr);
      }
    generation = s.generation;
    thumb_n = int(m.tokens.size());
  }
  if (thumbs.size() != size_t(cells)) return;
  const float label_w = ImGui::CalcTextSize("L00").x + 6 * scale;
  const float gap = 2 * scale;
  const float cell = std::clamp((ImGui::GetContentRegionAvail().x - label_w) / c.n_head - gap, 10 * scale, 56 * scale);
  note("Every layer × head: rows are layers, columns heads; colour is the weight, 0 to 1.");
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 top = ImGui::GetCursorScreenPos();
  const int n = thumb_n;
  // While a forward runs, its state is being rewritten: the thumbnails show the last one, without tooltips.
  const bool live = !m.work;
  for (int h = 0; h < c.n_head; ++h) {
    char label[8];
    std::snprintf(label, sizeof label, "%d", h);
    if (cell >= ImGui::CalcTextSize(label).x)
      dl->AddText(ImVec2(top.x + label_w + h * (cell + gap), top.y), ImGui::GetColorU32(ImGuiCol_TextDisabled), label);
  }
  const float y0 = top.y + line * 1.2f;
  for (int l = 0; l < c.n_layer; ++l) {
    char label[8];
    std::snprintf(label, sizeof label, "L%d", l);
    dl->AddText(ImVec2(top.x, y0 + l * (cell + gap) + (cell - line) / 2),
                ImGui::GetColorU32(l == m.layer ? ImGuiCol_Text : ImGuiCol_TextDisabled), label);
    for (int h = 0; h < c.n_head; ++h) {
      const ImVec2 pos(top.x + label_w + h * (cell + gap), y0 + l * (cell + gap));
      ImGui::SetCursorScreenPos(pos);
      ImGui::PushID(l * c.n_head + h);
      int hq = -1, hk = -1;
      const bool clicked = heatmap_image(*thumbs[size_t(l * c.n_head + h)], "##t", ImVec2(cell, cell), 0.0f, 1.0f,
                                         Colormap::Sequential, n, n, hq, hk);
      ImGui::PopID();
      f.drawn->push_back({h, false, pos.x, pos.y, cell, cell, l});
      const bool ablated = m.edits.ablated[size_t(l)][size_t(h)] != 0;
      const double moved = m.attention_change.empty() ? 0 : m.attention_change[size_t(l)][size_t(h)];
      const ImVec2 end(pos.x + cell, pos.y + cell);
      if (ablated) {
        dl->AddRectFilled(pos, end, IM_COL32(0, 0, 0, 140));
        dl->AddLine(pos, end, IM_COL32(255, 90, 80, 255), 2 * scale);
        dl->AddLine(ImVec2(pos.x, end.y), ImVec2(end.x, pos.y), IM_COL32(255, 90, 80, 255), 2 * scale);
      }
      if (moved > 0.01)
        dl->AddRect(pos, end, IM_COL32(255, 160, 40, int(80 + 175 * std::min(1.0, moved * 4))), 0, 0, 2 * scale);
      if (l == m.layer && h == s.view.head) dl->AddRect(pos, end, IM_COL32(255, 217, 77, 255), 0, 0, 2 * scale);
      if (hq >= 0 && live) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 24);  // a phone's screen is narrower than the text
        ImGui::Text("layer %d, head %d%s", l, h, ablated ? " (ablated)" : "");
        ImGui::Text("query %d \"%s\" → key %d \"%s\": %.4g", hq, m.token_text[size_t(hq)].c_str(), hk,
                    m.token_text[size_t(hk)].c_str(), m.state.weights[size_t(l)][size_t(h)](hq, hk));
        if (!m.attention_change.empty())
          ImGui::Text("the edits moved its attention by %.3f (total variation, mean over queries)", moved);
        ImGui::TextDisabled(clicks_ablate ? "click: %s it" : "click: inspect it in every tab",
                            ablated ? "restore" : "ablate");
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
      }
      if (clicked) {
        if (clicks_ablate) {
          ablate_model_head(s, l, h, !ablated);
        } else {
          s.view.head = h;
          choose_model_layer(s, l);
          open_panel(s, "heads");
        }
      }
    }
  }
  ImGui::SetCursorScreenPos(ImVec2(top.x, y0 + c.n_layer * (cell + gap) + line * 0.4f));
  if (!m.attention_change.empty())
    note("Orange frames: heads whose attention the edits moved (the brighter, the more).");
}

void ModelPanel::draw_prediction(Session& s, const PanelFrame& f) {
  ModelSession& m = *s.model;
  const int n = int(m.tokens.size());
  if (hovered >= n) hovered = -1;
  const Prediction* p = model_prediction_at(s, hovered < 0 ? n - 1 : hovered);
  if (!p) {
    ImGui::TextDisabled("computing the prediction…");
    return;
  }
  ImGui::PushTextWrapPos(0);
  ImGui::Text("What the model predicts after token %d, \"%s\":", p->position,
              m.token_text[size_t(p->position)].c_str());
  ImGui::PopTextWrapPos();
  // The text's tokens: hovering one shows the prediction after it.
  const ImGuiStyle& style = ImGui::GetStyle();
  const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
  int hovered_now = -1;
  for (int i = std::max(0, n - 48); i < n; ++i) {
    const char* tok = m.token_text[size_t(i)].c_str();
    const ImVec2 size(ImGui::CalcTextSize(tok).x + style.FramePadding.x * 2, ImGui::GetTextLineHeight() + 2);
    if (i > std::max(0, n - 48)) {
      ImGui::SameLine(0, style.ItemSpacing.x * 0.5f);
      if (ImGui::GetCursorScreenPos().x + size.x > right) ImGui::NewLine();
    }
    const ImVec2 a = ImGui::GetCursorScreenPos();
    ImGui::Dummy(size);
    if (ImGui::IsItemHovered()) hovered_now = i;
    const bool shown = i == p->position;
    ImGui::GetWindowDrawList()->AddRectFilled(a, ImVec2(a.x + size.x, a.y + size.y),
                                              ImGui::GetColorU32(shown ? ImGuiCol_ButtonActive : ImGuiCol_FrameBg),
                                              style.FrameRounding);
    ImGui::GetWindowDrawList()->AddText(ImVec2(a.x + style.FramePadding.x, a.y + 1), ImGui::GetColorU32(ImGuiCol_Text),
                                        tok);
  }
  hovered = hovered_now;
  const bool deltas = !p->unedited_logprob.empty();
  if (ImGui::BeginTable("##prediction", deltas ? 4 : 3, ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_RowBg)) {
    ImGui::TableSetupColumn("next token");
    ImGui::TableSetupColumn("probability");
    ImGui::TableSetupColumn("log p");
    if (deltas) ImGui::TableSetupColumn("Δ log p (edits)");
    ImGui::TableHeadersRow();
    for (size_t i = 0; i < p->top.size(); ++i) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(m.tokenizer->token_display(p->top[i].token).c_str());
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("id %d, logit %.4g", p->top[i].token, p->top[i].logit);
      ImGui::TableNextColumn();
      char label[24];
      std::snprintf(label, sizeof label, "%.1f%%", 100 * p->top[i].probability);
      ImGui::ProgressBar(float(p->top[i].probability), ImVec2(ImGui::GetFontSize() * 7, 0), label);
      ImGui::TableNextColumn();
      ImGui::Text("%.3f", p->logprob[i]);
      if (deltas) {
        ImGui::TableNextColumn();
        const double d = p->logprob[i] - p->unedited_logprob[i];
        ImGui::TextColored(d >= 0 ? ImVec4(0.5f, 0.9f, 0.5f, 1) : ImVec4(1, 0.55f, 0.45f, 1), "%+.3f", d);
      }
    }
    ImGui::EndTable();
  }
  if (deltas) {
    std::string top;
    for (const auto& t : p->unedited_top) top += (top.empty() ? "" : ", ") + m.tokenizer->token_display(t.token);
    ImGui::PushTextWrapPos(0);
    ImGui::TextDisabled("Without the edits the top 10 were: %s", top.c_str());
    ImGui::PopTextWrapPos();
  }
  note("Hover a token of the text above for the prediction after it.");

  // [SECTION] sampling
  ImGui::PushItemWidth(ImGui::GetFontSize() * 8);
  float temperature = float(m.sampling.temperature);
  if (ImGui::SliderFloat("sampling temperature", &temperature, 0.05f, 5.0f, "%.2f", ImGuiSliderFlags_Logarithmic))
    m.sampling.temperature = temperature;
  ImGui::InputInt("top_k", &m.sampling.top_k, 1, 10);
  m.sampling.top_k = std::clamp(m.sampling.top_k, 0, m.model.config.vocab_size);
  ImGui::PopItemWidth();
  help(
      "The next token is drawn from softmax(logits / temperature) over the top_k most likely tokens (0: all), as "
      "generate(do_sample=True) does. Below 1 the draw keeps to the likeliest; above 1 it wanders.");
  const bool sample = ImGui::Button("Append a sampled token");
  mark(f, "sample");
  if (sample) append_sampled_token(s);
}

void ModelPanel::draw_behaviour(Session& s, const PanelFrame& f) {
  ModelSession& m = *s.model;
  const ap::Gpt2Config& c = m.model.config;
  if (!m.behaviour) {
    if (measuring) {
      advance_model_behaviour(s, kStatsSliceMs);
      ImGui::TextDisabled("running the model on repeated random tokens…");
      if (!m.behaviour_work && !m.behaviour) measuring = false;
      return;
    }
    if (ImGui::Button("Measure what every head does")) {
      measuring = true;
      advance_model_behaviour(s, kStatsSliceMs);
    }
    help(
        "Runs the model on <|endoftext|> and random tokens repeated twice, as interpretability courses do, and "
        "scores each head: how much weight it puts on the previous token, the first token, itself, an earlier "
        "copy of its token, and the token after that copy (induction).");
    return;
  }
  measuring = false;
  const BehaviourTable& t = *m.behaviour;
  const auto& rows = ap::behaviours();
  for (int b = 0; b < ap::kBehaviourCount; ++b) {
    if (b) ImGui::SameLine();
    if (ImGui::GetCursorScreenPos().x + ImGui::CalcTextSize(rows[size_t(b)].name).x + 40 * f.scale >
        ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x)
      ImGui::NewLine();
    ImGui::RadioButton(rows[size_t(b)].name, &behaviour, b);
  }
  const ap::BehaviourInfo& info = rows[size_t(behaviour)];
  ImGui::PushTextWrapPos(0);
  ImGui::TextDisabled("%s: %s. Measured on <|endoftext|> and %d random tokens twice.", info.name, info.rule, t.half);
  ImGui::PopTextWrapPos();
  ap::Mat grid(c.n_layer, c.n_head);
  ap::MaskMat known(c.n_layer, c.n_head);
  std::vector<std::pair<double, int>> order;
  for (int l = 0; l < c.n_layer; ++l)
    for (int h = 0; h < c.n_head; ++h) {
      const auto& v = t.scores[size_t(l)][size_t(h)][size_t(behaviour)];
      grid(l, h) = v ? float(*v) : 0;
      known(l, h) = v.has_value();
      if (v) order.push_back({*v, l * c.n_head + h});
    }
  if (!behaviour_map) behaviour_map = std::make_unique<Heatmap>();
  if (behaviour_shown != behaviour) {
    behaviour_map->set_cells(grid, &known);
    behaviour_shown = behaviour;
  }
  note(
      "Rows are layers (0 at the top), columns heads; colour is the score, 0 to 1. Click a head on the right to "
      "inspect it.");
  const float cell = std::clamp(ImGui::GetContentRegionAvail().x * 0.6f / c.n_head, 8 * f.scale, 28 * f.scale);
  int hl = -1, hh = -1;
  heatmap_image(*behaviour_map, "##behaviour", ImVec2(cell * c.n_head, cell * c.n_layer), 0.0f, 1.0f,
                Colormap::Sequential, c.n_layer, c.n_head, hl, hh);
  if (hl >= 0) ImGui::SetTooltip("layer %d, head %d: %.3f", hl, hh, grid(hl, hh));
  ImGui::SameLine();
  ImGui::BeginGroup();
  ImGui::TextUnformatted("strongest:");
  std::sort(order.begin(), order.end(), [](auto& a, auto& b) { return a.first > b.first; });
  for (size_t i = 0; i < std::min<size_t>(5, order.size()); ++i) {
    const int l = order[i].second / c.n_head, h = order[i].second % c.n_head;
    char label[48];
    std::snprintf(label, sizeof label, "layer %d head %d: %.2f", l, h, order[i].first);
    if (ImGui::SmallButton(label)) {
      s.view.head = h;
      choose_model_layer(s, l);
    }
  }
  ImGui::EndGroup();
}

PanelEdit ModelPanel::draw(Session& s, const PanelFrame& f) {
  PanelEdit e;
  if (!asked_cached) {
    e.model_request = request("cached");
    asked_cached = true;
  }
  if (!s.fetch.link_repo.empty() && e.model_request.empty()) {
    repo = s.fetch.link_repo;
    s.fetch.link_repo.clear();
    e.model_request = request("lookup", repo, base);
  }
  if (!s.model) {
    note(
        "Load a trained GPT-2 and look at its heads on your own text: every tab then shows the chosen layer, and "
        "masks, ablations and temperature change its prediction. The files stay on this device.");
    draw_source(s, f, e);
    return e;
  }
  ModelSession& m = *s.model;
  const ap::Gpt2Config& c = m.model.config;
  ImGui::PushTextWrapPos(0);
  ImGui::Text("%s: %d layers × %d heads, d_model %d, %s parameters; %zu tokens (at most %d); forward %.0f ms",
              m.name.c_str(), c.n_layer, c.n_head, c.n_embd, count_text(double(ap::gpt2_parameters(c))).c_str(),
              m.tokens.size(), c.n_positions, m.forward_ms);
  ImGui::PopTextWrapPos();
  const bool unload = ImGui::SmallButton("unload: back to the playground's layer");
  mark(f, "unload");
  if (unload) {
    unload_model(s);
    return e;
  }
  draw_status(s, f, e);
  if (ImGui::CollapsingHeader("Load another model")) draw_source(s, f, e);
  if (ImGui::CollapsingHeader("Model view: every head", ImGuiTreeNodeFlags_DefaultOpen)) draw_model_view(s, f);
  if (!s.model) return e;
  if (ImGui::CollapsingHeader("Next token", ImGuiTreeNodeFlags_DefaultOpen)) draw_prediction(s, f);
  if (ImGui::CollapsingHeader("What the heads do", ImGuiTreeNodeFlags_DefaultOpen)) draw_behaviour(s, f);
  return e;
}

}  // namespace

std::unique_ptr<Panel> make_model_panel() { return std::make_unique<ModelPanel>(); }

}  // namespace web
