// Controls panel: see controls_panel.h.
#include "controls_panel.h"

#include <algorithm>

#include "imgui.h"
#include "misc/cpp/imgui_stdlib.h"

namespace web {
namespace {

void help(const char* text) {
  ImGui::SameLine();
  ImGui::TextDisabled("(?)");
  if (ImGui::IsItemHovered()) {
    ImGui::BeginTooltip();
    ImGui::PushTextWrapPos(ImGui::GetFontSize() * 28);
    ImGui::TextUnformatted(text);
    ImGui::PopTextWrapPos();
    ImGui::EndTooltip();
  }
}

// The tokens of the applied text as small chips, wrapped, so a learner sees
// exactly what became a row of X (and that é, 日 or 👍 stayed whole).
void draw_tokens(const ap::Trace& trace) {
  constexpr int kShown = 64;
  const ImGuiStyle& style = ImGui::GetStyle();
  const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
  const ImU32 chip = ImGui::GetColorU32(ImGuiCol_FrameBg), pad_chip = ImGui::GetColorU32(ImGuiCol_FrameBgActive, 0.35f);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const int n = std::min<int>(int(trace.tokens.size()), kShown);
  for (int i = 0; i < n; ++i) {
    const char* tok = trace.tokens[i].c_str();
    const ImVec2 size(ImGui::CalcTextSize(tok).x + style.FramePadding.x * 2, ImGui::GetTextLineHeight() + 2);
    if (i > 0) {
      ImGui::SameLine(0, style.ItemSpacing.x * 0.5f);
      if (ImGui::GetCursorScreenPos().x + size.x > right) ImGui::NewLine();
    }
    const ImVec2 p = ImGui::GetCursorScreenPos();
    dl->AddRectFilled(p, ImVec2(p.x + size.x, p.y + size.y), i < trace.n_text ? chip : pad_chip, style.FrameRounding);
    dl->AddText(ImVec2(p.x + style.FramePadding.x, p.y + 1), ImGui::GetColorU32(ImGuiCol_Text), tok);
    ImGui::Dummy(size);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("token %d: \"%s\" (%zu bytes of UTF-8)", i, tok, trace.tokens[i].size());
  }
  if (int(trace.tokens.size()) > n) ImGui::TextDisabled("… and %d more", int(trace.tokens.size()) - n);
}

}  // namespace

std::optional<ap::Config> draw_controls_panel(ControlsPanel& p, const ap::Config& applied, const ap::Trace& trace,
                                              double compute_ms) {
  if (!p.synced) {
    p.draft = applied;
    p.synced = true;
  }
  ap::Config& d = p.draft;
  bool changed = false;
  const float field_w = ImGui::GetFontSize() * 9;

  ImGui::TextUnformatted("Sentence");
  help("Split into words and punctuation; each token becomes one row of X.");
  changed |= ImGui::InputTextMultiline("##text", &d.text, ImVec2(-1, ImGui::GetTextLineHeight() * 3.6f));

  draw_tokens(trace);

  ImGui::Spacing();
  ImGui::PushItemWidth(field_w);
  changed |= ImGui::InputInt("d_model", &d.d_model, 1, 16);
  help("Width of each token vector. Split evenly across the heads: d_head = d_model / n_heads.");
  changed |= ImGui::InputInt("n_heads", &d.n_heads, 1, 4);
  help("Heads attend independently, each with its own d_head-wide slice of Q, K and V.");
  changed |= ImGui::InputScalar("seed", ImGuiDataType_U32, &d.seed, nullptr, nullptr, "%u");
  help("Seeds the token embeddings and W_q, W_k, W_v, W_o (uniform in ±1/√d_model, like nn.Linear).");
  ImGui::SameLine();
  if (ImGui::SmallButton("+1")) {
    ++d.seed;
    changed = true;
  }
  changed |= ImGui::InputInt("pad to", &d.pad_to, 1, 4);
  help("Appends [PAD] tokens up to this length, as when sentences of a batch are padded. The key padding mask "
       "blocks them: no query attends to a [PAD] key. 0 = no padding.");
  ImGui::PopItemWidth();

  changed |= ImGui::Checkbox("causal mask", &d.causal);
  help("Query i may attend only to keys 0..i, as in a decoder (GPT). Blocked scores become −inf before the "
       "softmax, so their weights are exactly 0.");
  changed |= ImGui::Checkbox("biases", &d.bias);
  help("nn.Linear biases on W_q, W_k, W_v and W_o.");
  ImGui::SameLine();
  changed |= ImGui::Checkbox("positional encoding", &d.positional);
  help("Adds the sinusoidal encoding of 'Attention Is All You Need' to the token embeddings. Without it, "
       "attention cannot tell positions apart.");

  for (const auto& e : p.errors) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.45f, 0.4f, 1));
    ImGui::PushTextWrapPos(0);
    ImGui::TextUnformatted(e.c_str());
    ImGui::PopTextWrapPos();
    ImGui::PopStyleColor();
  }
  if (!p.errors.empty()) ImGui::TextDisabled("Showing the last valid settings.");

  ImGui::Separator();
  ImGui::Text("%d tokens, %d heads of d_head = %d", trace.n_q, trace.n_heads, trace.d_head);
  ImGui::Text("scale 1/√%d = %.4f", trace.d_head, trace.scale);
  ImGui::TextDisabled("computed in %.2f ms", compute_ms);
  ImGui::Spacing();
  ImGui::PushTextWrapPos(0);
  ImGui::TextDisabled("Hover a cell for the exact weight. Click a head to enlarge it.");
  ImGui::PopTextWrapPos();

  if (!changed) return std::nullopt;
  return d;
}

}  // namespace web
