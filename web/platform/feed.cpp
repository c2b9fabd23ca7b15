// Input actions and the textarea into ImGui: see feed.h. ImGui's internals
// (its windows, its active text state) are read and set here only: 1.86 has
// no public way to scroll the window under a point or to replace an active
// field's text from outside.
#include "platform/feed.h"

#include <algorithm>

#include "imgui.h"
#include "imgui_internal.h"
#include "render/widgets.h"

namespace web {
namespace {

static_assert(int(input::Key::Tab) == ImGuiKey_Tab && int(input::Key::Z) == ImGuiKey_Z &&
              int(input::Key::Count) == ImGuiKey_COUNT);

// The innermost window under (x, y) that scrolls on that axis: the topmost
// window there, then its deepest child there, then up to one that can scroll.
ImGuiWindow* scrollable_at(float x, float y, bool vertical) {
  ImGuiContext& g = *GImGui;
  const ImVec2 p(x, y);
  const auto usable = [&](const ImGuiWindow* w) {
    return w->Active && !w->Hidden && !(w->Flags & (ImGuiWindowFlags_Tooltip | ImGuiWindowFlags_NoMouseInputs)) &&
           w->OuterRectClipped.Contains(p);
  };
  ImGuiWindow* root = nullptr;
  for (int i = g.Windows.Size - 1; i >= 0 && !root; --i)
    if (!(g.Windows[i]->Flags & ImGuiWindowFlags_ChildWindow) && usable(g.Windows[i])) root = g.Windows[i];
  if (!root) return nullptr;
  ImGuiWindow* best = root;
  int best_depth = 0;
  for (ImGuiWindow* w : g.Windows) {
    if (w->RootWindow != root || !usable(w)) continue;
    int depth = 0;
    for (const ImGuiWindow* a = w; a->ParentWindow; a = a->ParentWindow) ++depth;
    if (depth > best_depth) best = w, best_depth = depth;
  }
  for (ImGuiWindow* w = best; w; w = w->ParentWindow)
    if ((vertical ? w->ScrollMax.y : w->ScrollMax.x) > 0 && !(w->Flags & ImGuiWindowFlags_NoScrollWithMouse)) return w;
  return nullptr;
}

ImGuiID g_before_press = 0;  // what was active before a touch's press

ImGuiInputTextState* active_state() {
  ImGuiContext& g = *GImGui;
  return g.ActiveId != 0 && g.ActiveId == g.InputTextState.ID ? &g.InputTextState : nullptr;
}

std::string field_text(const ImGuiInputTextState& st) {
  std::string s(size_t(ImTextCountUtf8BytesFromStr(st.TextW.Data, st.TextW.Data + st.CurLenW)), '\0');
  ImTextStrToUtf8(s.data(), int(s.size()) + 1, st.TextW.Data, st.TextW.Data + st.CurLenW);
  return s;
}

}  // namespace

void feed_init() {
  ImGuiIO& io = ImGui::GetIO();
  for (int k = 0; k < ImGuiKey_COUNT; ++k) io.KeyMap[k] = k;
  io.BackendPlatformName = "attention-playground (platform/feed.cpp)";
}

void feed(const std::vector<input::Action>& actions) {
  ImGuiIO& io = ImGui::GetIO();
  float sx = 0, sy = 0, ax = 0, ay = 0;
  ViewGesture& zoom = view_gesture();
  zoom = {};
  for (const input::Action& a : actions) switch (a.type) {
      case input::Action::MousePos:
        io.MousePos = ImVec2(a.x, a.y);
        break;
      case input::Action::MouseButton:
        if (a.code >= 0 && a.code < 5) io.MouseDown[a.code] = a.down;
        if (a.press && a.down) g_before_press = GImGui->ActiveId;
        // A press that turned into a scroll or a long press leaves no field open (no keyboard pops up).
        if (a.press && !a.down && active_state() && GImGui->ActiveId != g_before_press) ImGui::ClearActiveID();
        break;
      case input::Action::Wheel:
        io.MouseWheel += a.dy;
        io.MouseWheelH += a.dx;
        break;
      case input::Action::Scroll:
        sx += a.dx, sy += a.dy, ax = a.x, ay = a.y;
        break;
      case input::Action::Zoom:
        zoom.on = true;
        zoom.x = a.x, zoom.y = a.y;
        zoom.factor *= a.factor;
        zoom.dx += a.dx, zoom.dy += a.dy;
        break;
      case input::Action::Key:
        io.KeysDown[a.code] = a.down;
        break;
      case input::Action::Mods:
        io.KeyCtrl = a.code & input::kCtrl;
        io.KeyShift = a.code & input::kShift;
        io.KeyAlt = a.code & input::kAlt;
        io.KeySuper = a.code & input::kSuper;
        break;
    }
  // One move of the scroll per frame: ImGui applies a window's scroll target at its next Begin.
  if (sy != 0)
    if (ImGuiWindow* w = scrollable_at(ax, ay, true)) ImGui::SetScrollY(w, w->Scroll.y - sy);
  if (sx != 0)
    if (ImGuiWindow* w = scrollable_at(ax, ay, false)) ImGui::SetScrollX(w, w->Scroll.x - sx);
}

bool press_took_drag() {
  const bool claimed = drag_taken();
  const ImGuiContext& g = *GImGui;
  // Nothing, a text field, or a press on a window's empty space (which holds every key while it lasts): a drag scrolls.
  const bool window_itself = g.ActiveIdWindow && g.ActiveId == g.ActiveIdWindow->MoveId;
  if (g.ActiveId == 0 || active_state() || window_itself) return false;
  // Sliders and drags declare the arrow keys they use when they become active; buttons do not.
  return claimed || g.ActiveIdUsingNavDirMask != 0;
}

void apply_textarea(const Textarea& t, bool blurred) {
  ImGuiInputTextState* st = active_state();
  if (!st) return;
  if (blurred) {  // the page took the focus elsewhere: the field is let go, as a click outside would
    ImGui::ClearActiveID();
    return;
  }
  if (!t.focused) return;
  if (t.value != field_text(*st)) {
    const int len = ImTextCountCharsFromUtf8(t.value.data(), t.value.data() + t.value.size());
    st->TextW.resize(std::max(st->TextW.Size, len + 1));
    ImTextStrFromUtf8(st->TextW.Data, st->TextW.Size, t.value.data(), t.value.data() + t.value.size());
    st->CurLenW = len;
    st->CurLenA = int(t.value.size());
    // ImGui's undo steps no longer match the text; undo is the textarea's.
    st->Stb.undostate.undo_point = st->Stb.undostate.undo_char_point = 0;
    st->Stb.undostate.redo_point = STB_TEXTEDIT_UNDOSTATECOUNT;
    st->Stb.undostate.redo_char_point = STB_TEXTEDIT_UNDOCHARCOUNT;
  }
  const int a = std::clamp(t.sel_start, 0, st->CurLenW), b = std::clamp(t.sel_end, a, st->CurLenW);
  st->Stb.select_start = t.backward ? b : a;
  st->Stb.select_end = st->Stb.cursor = t.backward ? a : b;
  st->Stb.has_preferred_x = 0;
  st->CursorAnimReset();
  st->CursorFollow = true;
}

TextField active_text_field() {
  const ImGuiInputTextState* st = active_state();
  if (!st) return {};
  const ImGuiContext& g = *GImGui;
  TextField f;
  f.active = true;
  // Where the field drew its caret this frame (ImGui keeps it for an input method's window).
  f.x = g.PlatformImePos.x + 1, f.y = g.PlatformImePos.y;
  f.text = field_text(*st);
  f.sel_start = std::min(st->Stb.select_start, st->Stb.select_end);
  f.sel_end = std::max(st->Stb.select_start, st->Stb.select_end);
  return f;
}

void draw_preedit(const std::string& preedit) {
  if (preedit.empty() || !active_state()) return;
  const ImGuiContext& g = *GImGui;
  const ImVec2 p(g.PlatformImePos.x + 1, g.PlatformImePos.y);
  const ImVec2 size = ImGui::CalcTextSize(preedit.c_str());
  ImDrawList* dl = ImGui::GetForegroundDrawList();
  const float pad = g.FontSize * 0.15f;
  dl->AddRectFilled(ImVec2(p.x - pad, p.y - pad), ImVec2(p.x + size.x + pad, p.y + size.y + pad),
                    ImGui::GetColorU32(ImGuiCol_PopupBg, 1.0f));
  dl->AddText(p, ImGui::GetColorU32(ImGuiCol_Text), preedit.c_str());
  // Underlined, as input methods show text still being composed.
  dl->AddLine(ImVec2(p.x, p.y + size.y), ImVec2(p.x + size.x, p.y + size.y), ImGui::GetColorU32(ImGuiCol_Text),
              std::max(1.0f, g.FontSize / 12));
}

}  // namespace web
