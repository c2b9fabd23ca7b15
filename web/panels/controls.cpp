// The controls: see controls.h.
#include "panels/controls.h"

#include <algorithm>

#include "imgui.h"
#include "kernels/parallel.h"
#include "misc/cpp/imgui_stdlib.h"
#include "render/fonts.h"
#include "render/widgets.h"

namespace web {
namespace {

// Whether the atlas lacks a character of `s` (drawn as �): no font here has it, or its font is still loading.
// still loading.
bool has_missing_glyph(std::string_view s) {
  const ImFont* font = ImGui::GetFont();
  bool missing = false;
  fonts::each_codepoint(s, [&](uint32_t cp) { missing |= !font->FindGlyphNoFallback(ImWchar(cp)); });
  return missing;
}

// Tokens as small chips, wrapped, so a learner sees exactly what became a
// row of X (and that é, 日 or 👍 stayed whole). Tokens before `first_live`
// are the KV cache's past: drawn dimmer.
void draw_tokens(const std::vector<std::string>& tokens, const std::vector<uint8_t>& pad, int first_live) {
  constexpr int kShown = 64;
  const ImGuiStyle& style = ImGui::GetStyle();
  const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
  const ImU32 chip = ImGui::GetColorU32(ImGuiCol_FrameBg), faint = ImGui::GetColorU32(ImGuiCol_FrameBg, 0.4f);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const int n = std::min<int>(int(tokens.size()), kShown);
  for (int i = 0; i < n; ++i) {
    const char* tok = tokens[i].c_str();
    const ImVec2 size(ImGui::CalcTextSize(tok).x + style.FramePadding.x * 2, ImGui::GetTextLineHeight() + 2);
    if (i > 0) {
      ImGui::SameLine(0, style.ItemSpacing.x * 0.5f);
      if (ImGui::GetCursorScreenPos().x + size.x > right) ImGui::NewLine();
    }
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const bool dim = pad[i] || i < first_live;
    dl->AddRectFilled(p, ImVec2(p.x + size.x, p.y + size.y), dim ? faint : chip, style.FrameRounding);
    dl->AddText(ImVec2(p.x + style.FramePadding.x, p.y + 1),
                ImGui::GetColorU32(dim ? ImGuiCol_TextDisabled : ImGuiCol_Text), tok);
    ImGui::Dummy(size);
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("token %d: \"%s\" (%zu bytes of UTF-8)%s", i, tok, tokens[i].size(),
                        i < first_live ? "\nin the KV cache: a key and value, no query" : "");
  }
  if (int(tokens.size()) > n) ImGui::TextDisabled("… and %d more", int(tokens.size()) - n);
  // Said, not drawn wrong silently: what ImGui cannot shape, and what no font here draws.
  bool unshaped = false, undrawn = false;
  for (const std::string& t : tokens) {
    unshaped |= fonts::has_unshaped(t);
    undrawn |= has_missing_glyph(t);
  }
  if (unshaped)
    note(
        "Right-to-left and joining scripts (Arabic, Hebrew, Indic, Thai, …) are drawn here letter by letter, left "
        "to right, unjoined: ImGui does not shape text. The tokens and every export hold the real text.");
  if (undrawn)
    note(
        "Some characters show as �: no font in the page has them, or theirs is still loading. The tokens and exports "
        "hold them.");
}

// A text box that shows its text wrapped to its width while it is not being
// edited (ImGui 1.86's multiline input scrolls sideways instead of wrapping,
// hiding the start of a long sentence); a click makes it the input, with the
// caret at the end, until it loses the focus.
bool wrapped_text_box(ControlsPanel& p, const char* id, std::string& text) {
  const ImGuiStyle& style = ImGui::GetStyle();
  const float width = ImGui::GetContentRegionAvail().x, line = ImGui::GetTextLineHeight();
  const float wrap = width - 2 * style.FramePadding.x;
  const float text_h = ImGui::CalcTextSize(text.c_str(), nullptr, false, wrap).y;
  const float h = std::clamp(text_h, line * 2, line * 6) + 2 * style.FramePadding.y;
  if (p.editing != id) {
    const ImVec2 a = ImGui::GetCursorScreenPos(), b(a.x + width, a.y + h);
    const bool clicked = ImGui::InvisibleButton(id, ImVec2(width, h));
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddRectFilled(a, b, ImGui::GetColorU32(ImGui::IsItemHovered() ? ImGuiCol_FrameBgHovered : ImGuiCol_FrameBg),
                      style.FrameRounding);
    ImGui::PushClipRect(a, b, true);
    dl->AddText(nullptr, 0, ImVec2(a.x + style.FramePadding.x, a.y + style.FramePadding.y),
                ImGui::GetColorU32(ImGuiCol_Text), text.c_str(), nullptr, wrap);
    ImGui::PopClipRect();
    if (ImGui::IsItemHovered()) ImGui::SetMouseCursor(ImGuiMouseCursor_TextInput);
    if (clicked) p.editing = id, p.focus_editing = true;
    return false;
  }
  if (p.focus_editing) ImGui::SetKeyboardFocusHere();
  const auto caret_to_end = [](ImGuiInputTextCallbackData* d) {
    bool& first = *static_cast<bool*>(d->UserData);
    if (first) d->CursorPos = d->SelectionStart = d->SelectionEnd = d->BufTextLen;
    first = false;
    return 0;
  };
  const bool changed = ImGui::InputTextMultiline(id, &text, ImVec2(-1, h), ImGuiInputTextFlags_CallbackAlways,
                                                 caret_to_end, &p.focus_editing);
  if (ImGui::IsItemDeactivated() || (!p.focus_editing && !ImGui::IsItemActive())) p.editing.clear();
  return changed;
}

// Continues the line with a checkbox labelled `label` (and its help marker)
// if it fits before the window's edge, else starts a new line.
void same_line_for_checkbox(const char* label) {
  const ImGuiStyle& st = ImGui::GetStyle();
  same_line_if_fits(ImGui::GetFrameHeight() + st.ItemInnerSpacing.x + ImGui::CalcTextSize(label).x + st.ItemSpacing.x +
                    ImGui::CalcTextSize("(?)").x);
}

bool header(const char* label) { return ImGui::CollapsingHeader(label, ImGuiTreeNodeFlags_DefaultOpen); }

// The widgets of one field, drawn in its scope as a group: framed in red
// when the field's edit was rejected, with the reason under them, and their
// rectangle recorded for the JS API's layout().
class FieldMark {
 public:
  FieldMark(ControlsPanel& p, const char* field) : p_(p), field_(field) {
    const ImVec2 at = ImGui::GetCursorScreenPos();
    item_ = Box{at.x, at.y, ImGui::CalcItemWidth(), ImGui::GetFrameHeight()};
    for (const auto& [name, reason] : p.rejected)
      if (name == field) why_ = &reason;
    ImGui::BeginGroup();
    if (!why_) return;
    ImGui::PushStyleColor(ImGuiCol_Border, kErrorColour);
    ImGui::PushStyleVar(ImGuiStyleVar_FrameBorderSize, std::max(1.0f, ImGui::GetFontSize() / 8));
  }
  ~FieldMark() {
    if (why_) {
      ImGui::PopStyleVar();
      ImGui::PopStyleColor();
    }
    ImGui::EndGroup();
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    p_.placed.push_back({field_, Box{a.x, a.y, b.x - a.x, b.y - a.y}, item_});
    if (why_) message(*why_, kErrorColour);
  }
  FieldMark(const FieldMark&) = delete;
  FieldMark& operator=(const FieldMark&) = delete;

 private:
  ControlsPanel& p_;
  const char* field_;
  Box item_;
  const std::string* why_ = nullptr;
};

}  // namespace

std::optional<ap::Config> draw_controls(ControlsPanel& p, const Session& s, const Runtime& rt) {
  const ap::Config& applied = target_config(s);
  const ap::Trace& trace = s.trace;
  if (p.synced_edits != s.outside_edits) {  // set from outside: show it
    p.draft = applied;
    p.errors.clear();
    p.rejected.clear();
    p.synced_edits = s.outside_edits;
  }
  p.placed.clear();
  ap::Config& d = p.draft;
  bool changed = false;
  const float field_w = ImGui::GetFontSize() * 8;

  const ModelSession* model = s.model.get();
  if (model) {
    // A real GPT-2: its layer is what every tab shows; its sizes are its own.
    const ap::Gpt2Config& mc = model->model.config;
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored(ImVec4(1, 0.85f, 0.3f, 1), "%s, layer %d of %d", model->name.c_str(), model->layer, mc.n_layer);
    ImGui::PopTextWrapPos();
    int layer = model->layer;
    ImGui::SetNextItemWidth(field_w * 1.6f);
    if (ImGui::SliderInt("layer", &layer, 0, mc.n_layer - 1) && layer != model->layer) p.choose_layer = layer;
    help(
        "Every tab shows this layer of the model: its Q, K, V, scores, weights and masks. The masks, scale and "
        "temperature below edit this layer only; the GPT-2 tab shows every layer and the prediction.");
  }
  ImGui::TextUnformatted(model ? "Text" : trace.cross ? "Queries from" : "Sentence");
  help(model ? "Read by GPT-2's tokenizer (byte-level BPE): a leading space belongs to the token after it (shown ␣)."
             : "Split into words and punctuation; each token becomes one row of X.");
  {
    FieldMark mark(p, "text");
    changed |= wrapped_text_box(p, "##text", d.text);
  }
  if (trace.cross) draw_tokens(trace.q_tokens, trace.q_pad, 0);
  else draw_tokens(trace.kv_tokens, trace.kv_pad, trace.q_position0);

  bool cross = !d.cross_text.empty();
  if (!model) {
    FieldMark mark(p, "cross_attention");
    if (ImGui::Checkbox("cross-attention", &cross)) {
      ap::set_cross_attention(d, cross);
      changed = true;
    }
    help(
        "Queries come from the sentence, keys and values from a second text, as when a translation decoder "
        "attends to the encoded source. n_q and n_kv can then differ. Turning it on turns the causal mask off: "
        "a decoder's cross-attention sees the whole source (turn causal on below to try it masked).");
  }
  if (cross && !d.causal) note("causal is off, as in an encoder-decoder: turn it on under Masks to try it masked.");
  if (cross) {
    ImGui::TextUnformatted("Keys and values from");
    {
      FieldMark mark(p, "cross_text");
      changed |= wrapped_text_box(p, "##cross", d.cross_text);
    }
    if (trace.cross) draw_tokens(trace.kv_tokens, trace.kv_pad, 0);
  }

  if (model) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextDisabled("d_model %d, %d heads of d_head %d, biases, learned positions: %s's own", d.d_model, d.n_heads,
                        trace.d_head, model->name.c_str());
    ImGui::PopTextWrapPos();
  } else if (header("Sizes and weights")) {
    ImGui::PushItemWidth(field_w);
    {
      FieldMark mark(p, "d_model");
      changed |= ImGui::InputInt("d_model", &d.d_model, 1, 16);
      help("Width of each token vector. Split evenly across the heads: d_head = d_model / n_heads.");
    }
    {
      FieldMark mark(p, "n_heads");
      changed |= ImGui::InputInt("n_heads", &d.n_heads, 1, 4);
      help("Query heads attend independently, each with its own d_head-wide slice of Q, K and V.");
    }
    {
      FieldMark mark(p, "n_kv_heads");
      changed |= ImGui::InputInt("n_kv_heads", &d.n_kv_heads, 1, 1);
      help(
          "Grouped-query attention: fewer key/value heads than query heads, each shared by a contiguous group "
          "(query head h uses kv head h / (n_heads / n_kv_heads)). 1 = multi-query attention, 0 = one per query head.");
    }
    int weights = int(d.weights);
    ImGui::SetNextItemWidth(field_w * 1.3f);
    if (ImGui::Combo("W_q, W_k", &weights, "random\0constructed\0")) {
      d.weights = ap::Weights(weights);
      changed = true;
    }
    help(
        "random: nn.Linear's initialisation, as before training; heads attend in arbitrary ways. constructed: W_q "
        "and W_k are built by hand so that heads 0, 1, 2, 3 (then again) attend to the previous token, the same "
        "token, the first token and two tokens back. The token vectors then keep the embedding and the position in "
        "separate halves, so a head can read either. This shows honestly, without a trained model, that heads "
        "with different weights attend differently.");
    changed |= ImGui::InputScalar("seed", ImGuiDataType_U32, &d.seed, nullptr, nullptr, "%u");
    help("Seeds the token embeddings, W_q, W_k, W_v, W_o (uniform in ±1/√d_model, like nn.Linear) and dropout.");
    ImGui::SameLine();
    if (ImGui::SmallButton("+1")) {
      ++d.seed;
      changed = true;
    }
    ImGui::PopItemWidth();
    changed |= ImGui::Checkbox("biases", &d.bias);
    help("nn.Linear biases on W_q, W_k, W_v and W_o.");
    same_line_for_checkbox("positional encoding");
    changed |= ImGui::Checkbox("positional encoding", &d.positional);
    help(
        "Adds the sinusoidal encoding of 'Attention Is All You Need' to the token embeddings. Without it, "
        "attention cannot tell positions apart.");
  }

  if (header("Masks")) {
    ImGui::PushItemWidth(field_w);
    {
      FieldMark mark(p, "causal");
      changed |= ImGui::Checkbox("causal", &d.causal);
      help(
          "Query i may attend only to keys up to its own position, as in a decoder (GPT). Blocked scores become "
          "−inf before the softmax, so their weights are exactly 0.");
    }
    if (d.causal && trace.n_kv != trace.n_q && d.kv_cache == 0) {
      ImGui::SameLine();
      int align = int(d.causal_align);
      ImGui::SetNextItemWidth(field_w * 1.3f);
      if (ImGui::Combo("##align", &align, "top-left\0bottom-right\0")) {
        d.causal_align = ap::CausalAlign(align);
        changed = true;
      }
      help(
          "Where the diagonal sits when n_q and n_kv differ. top-left (ONNX, PyTorch's is_causal): query i sees "
          "keys 0..i, so with fewer keys than queries the later queries see every key. bottom-right (PyTorch's "
          "causal_lower_right, a decoder with a cache): the last query sees every key, query i sees keys up to "
          "i + n_kv - n_q, so with fewer keys than queries the first n_q - n_kv queries see none.");
    }
    {
      FieldMark mark(p, "window");
      changed |= ImGui::InputInt("window", &d.window, 1, 4);
      help(
          "Sliding-window (local) attention: a query sees only keys less than `window` positions from its own "
          "(only earlier ones when causal, as in Mistral). 0 = off.");
    }
    if (!model) {
      FieldMark mark(p, "pad_to");
      changed |= ImGui::InputInt(cross ? "pad queries to" : "pad to", &d.pad_to, 1, 4);
      help(
          "Appends [PAD] tokens to the sentence up to this length, as when the sentences of a batch are padded to "
          "the longest. 0 = none.");
    }
    if (cross) {
      FieldMark mark(p, "cross_pad_to");
      changed |= ImGui::InputInt("pad keys to", &d.cross_pad_to, 1, 4);
      help(
          "Pads the keys' text on its own: a decoder's batch and an encoder's batch are padded to their own "
          "longest, so n_q and n_kv stay different. 0 = none.");
    }
    if (!model) {
      changed |= ImGui::Checkbox("mask [PAD] keys", &d.mask_pad_keys);
      help("The key padding mask: no query attends to a [PAD] key.");
      same_line_for_checkbox("mask [PAD] queries");
      changed |= ImGui::Checkbox("mask [PAD] queries", &d.mask_pad_queries);
      help("Also block whole rows of [PAD] queries. Those rows then have no key at all: see the policy below.");
    }
    if (!cross && !model) {
      {
        FieldMark mark(p, "kv_cache");
        changed |= ImGui::InputInt("KV cache", &d.kv_cache, 1, 1);
        help(
            "The first tokens are the past of a decoder: their keys and values are cached, and only the later "
            "tokens are queries. The causal mask then aligns bottom-right (offset = cache length).");
      }
    }
    int policy = int(d.fully_masked);
    // As wide as the other fields allow, leaving room for its label.
    ImGui::SetNextItemWidth(std::min(field_w * 1.6f, ImGui::GetContentRegionAvail().x -
                                                         ImGui::CalcTextSize("fully masked rows (?)").x -
                                                         2 * ImGui::GetStyle().ItemInnerSpacing.x));
    if (ImGui::Combo("fully masked rows", &policy, "zero (ONNX)\0NaN (PyTorch SDPA)\0uniform (-1e9 fill)\0")) {
      d.fully_masked = ap::FullyMasked(policy);
      changed = true;
    }
    help(
        "When every key of a query is blocked the softmax has nothing to normalise. ONNX defines the row as 0; "
        "F.scaled_dot_product_attention returns NaN; masked_fill(mask == 0, -1e9) gives 1/n_kv everywhere.");
    if (!d.custom_mask.empty()) {
      ImGui::TextDisabled("custom mask: %zu x %zu", d.custom_mask.size(), d.custom_mask[0].size());
      ImGui::SameLine();
      if (ImGui::SmallButton("clear##custom")) {
        d.custom_mask.clear();
        changed = true;
      }
    }
    if (!d.float_mask.empty()) {
      ImGui::TextDisabled("float mask (from the JS API): %zu x %zu", d.float_mask.size(), d.float_mask[0].size());
      ImGui::SameLine();
      if (ImGui::SmallButton("clear##float")) {
        d.float_mask.clear();
        changed = true;
      }
    }
    ImGui::PopItemWidth();
  }

  if (header("Scores and weights")) {
    ImGui::PushItemWidth(field_w);
    {
      FieldMark mark(p, "scale");
      changed |= ImGui::InputDouble("scale", &d.scale, 0.01, 0.1, "%.4g");
      help(
          "Multiplies Q·Kᵀ. 0 means the usual 1/√d_head. Try 1 (no scaling) with a large d_model to see softmax "
          "saturate.");
    }
    float temperature = float(d.temperature);
    if (ImGui::SliderFloat("temperature", &temperature, 0.05f, 20.0f, "%.3g", ImGuiSliderFlags_Logarithmic)) {
      d.temperature = temperature;
      changed = true;
    }
    help("Divides the scaled scores: below 1 sharpens each row towards its largest score, above 1 flattens it.");
    {
      FieldMark mark(p, "softcap");
      changed |= ImGui::InputDouble("softcap", &d.softcap, 0.5, 5, "%.4g");
      help("Gemma-style soft capping, s -> c·tanh(s/c), applied before the masks. 0 = off.");
    }
    float dropout = float(d.dropout);
    if (ImGui::SliderFloat("dropout", &dropout, 0.0f, 0.9f, "%.2f")) {
      d.dropout = dropout;
      changed = true;
    }
    help(
        "Zeroes each weight with this probability (seeded) and scales the rest by 1/(1 − p), as nn.Dropout "
        "does in training. The heatmaps show the weights before dropout; hover a cell for both.");
    ImGui::PopItemWidth();
  }

  for (const auto& e : p.errors) message(e, kErrorColour);
  if (!p.errors.empty() || !p.rejected.empty())
    note("The fields in red keep their last valid values; the other edits are applied.");

  ImGui::Separator();
  ImGui::Text("%d queries x %d keys, %d heads of d_head = %d", trace.n_q, trace.n_kv, trace.n_heads, trace.d_head);
  if (trace.group > 1) ImGui::Text("%d kv heads, each shared by %d query heads", trace.n_kv_heads, trace.group);
  // A model's own scale (1/√d_head, or what its config makes it) is not one the learner set.
  const bool own_scale = model && applied.scale == ap::gpt2_layer_config(model->model.config, model->layer).scale;
  ImGui::Text("scale %.4g%s", trace.scale,
              own_scale           ? (" = " + model->name + "'s own").c_str()
              : applied.scale > 0 ? " (set)"
                                  : (" = 1/√" + std::to_string(trace.d_head)).c_str());
  if (!trace.fully_masked_rows.empty())
    ImGui::TextColored(ImVec4(1, 0.7f, 0.4f, 1), "%zu fully masked rows -> %s", trace.fully_masked_rows.size(),
                       ap::to_string(applied.fully_masked));
  ImGui::PushTextWrapPos(0);
  const int n_threads = ap::threads();
  const std::string on = n_threads > 1 ? " on " + std::to_string(n_threads) + " threads"
                                       : " on 1 thread" + (rt.reason.empty() ? "" : " (" + rt.reason + ")");
  ImGui::TextDisabled("weights in %.2f ms, all in %.2f ms%s; the trace holds %.1f MiB of the %zu MiB allowed",
                      s.weights_ms, s.compute_ms, on.c_str(), double(s.derived.trace_bytes) / (1 << 20),
                      ap::Limits::max_trace_bytes >> 20);
  ImGui::PopTextWrapPos();
  if (rt.most_threads > 1) {
    // Not a config field: how the page computes, not what (the bits are the same on any count).
    int n = n_threads;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
    if (ImGui::SliderInt("threads", &n, 1, rt.most_threads)) ap::set_threads(n);
  }
  ImGui::PushTextWrapPos(0);
  ImGui::TextDisabled("Hover a cell for the exact weight. Click a head to enlarge it.");
  ImGui::PopTextWrapPos();

  if (!changed) return std::nullopt;
  if (model) {  // checked against the model by the session (the playground's own rules do not apply)
    p.rejected.clear();
    return d;
  }
  ap::fit_masks(d);
  ap::SalvagedEdit salvaged = ap::salvage_edit(applied, d);
  p.rejected = std::move(salvaged.rejected);
  return salvaged.config;
}

}  // namespace web
