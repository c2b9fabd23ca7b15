// Panel helpers: see widgets.h.
#include "render/widgets.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "imgui_internal.h"  // ImDrawList vertex access for rotated labels

namespace web {

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

void same_line_if_fits(float w) {
  const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
  ImGui::SameLine();
  if (ImGui::GetCursorScreenPos().x + w > right) ImGui::NewLine();
}

bool narrow_view(float scale) { return ImGui::GetContentRegionAvail().x < 560 * scale; }

void note(const char* text) { message(text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled)); }

void message(const std::string& text, const ImVec4& colour) {
  ImGui::PushStyleColor(ImGuiCol_Text, colour);
  ImGui::PushTextWrapPos(0);
  ImGui::TextUnformatted(text.c_str());
  ImGui::PopTextWrapPos();
  ImGui::PopStyleColor();
}

namespace {
ViewGesture g_gesture;
bool g_drag_taken = false;
}  // namespace

ViewGesture& view_gesture() { return g_gesture; }
void take_drag() { g_drag_taken = true; }
bool drag_taken() { return std::exchange(g_drag_taken, false); }

namespace {
ImGuiID view_key(const char* id, const char* part) { return ImHashStr(part, 0, ImGui::GetID(id)); }
}  // namespace

MapView map_view(const char* id) {
  ImGuiStorage* st = ImGui::GetStateStorage();
  return {st->GetFloat(view_key(id, "zoom"), 1), st->GetFloat(view_key(id, "col0"), 0),
          st->GetFloat(view_key(id, "row0"), 0)};
}

bool heatmap_image(Heatmap& map, const char* id, ImVec2 size, float lo, float hi, Colormap cm, int rows, int cols,
                   int& hover_row, int& hover_col, bool zoomable) {
  const int w = std::max(1, int(size.x)), h = std::max(1, int(size.y));
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  const ImGuiIO& io = ImGui::GetIO();
  MapView v = zoomable ? map_view(id) : MapView{};
  // Keeps at least 4 cells across, and the view inside the map.
  const auto clamp_view = [&] {
    v.zoom = std::clamp(v.zoom, 1.0f, std::max(1.0f, std::min(rows, cols) / 4.0f));
    v.col0 = std::clamp(v.col0, 0.0f, cols - cols / v.zoom);
    v.row0 = std::clamp(v.row0, 0.0f, rows - rows / v.zoom);
  };
  // The (fractional) column and row under a point at this zoom.
  const auto col_at = [&](float x) { return v.col0 + (x - p0.x) / w * cols / v.zoom; };
  const auto row_at = [&](float y) { return v.row0 + (y - p0.y) / h * rows / v.zoom; };
  ViewGesture& g = view_gesture();
  if (zoomable && g.on && g.x >= p0.x && g.x < p0.x + w && g.y >= p0.y && g.y < p0.y + h) {
    // The cell under the fingers' middle stays under it as they spread, and follows it as they move.
    const float c = col_at(g.x - g.dx), r = row_at(g.y - g.dy);
    v.zoom *= g.factor;
    clamp_view();
    v.col0 = c - (g.x - p0.x) / w * cols / v.zoom;
    v.row0 = r - (g.y - p0.y) / h * rows / v.zoom;
    clamp_view();
    g.on = false;
  }
  // Clicked on release, so that a finger swiping over the map to scroll toggles nothing.
  const bool released = ImGui::InvisibleButton(id, ImVec2(float(w), float(h)));
  const bool clicked = released && io.MouseDragMaxDistanceSqr[0] < io.MouseDragThreshold * io.MouseDragThreshold;
  if (zoomable && v.zoom > 1) {
    if (ImGui::IsItemActive()) {  // a drag pans the zoomed map (and does not scroll the window)
      take_drag();
      v.col0 -= io.MouseDelta.x / w * cols / v.zoom;
      v.row0 -= io.MouseDelta.y / h * rows / v.zoom;
      clamp_view();
    }
    if (ImGui::IsItemHovered() && ImGui::IsMouseDoubleClicked(0)) v = MapView{};
  }
  if (zoomable) {
    ImGuiStorage* st = ImGui::GetStateStorage();
    st->SetFloat(view_key(id, "zoom"), v.zoom);
    st->SetFloat(view_key(id, "col0"), v.col0);
    st->SetFloat(view_key(id, "row0"), v.row0);
  }
  const float view[4] = {v.col0 / cols, v.row0 / rows, (v.col0 + cols / v.zoom) / cols,
                         (v.row0 + rows / v.zoom) / rows};
  const GLuint tex = map.texture(w, h, lo, hi, cm, view);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddImage(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(tex)), p0, ImVec2(p0.x + w, p0.y + h));
  if (v.zoom > 1) {  // how far in, and the way back
    char label[64];
    std::snprintf(label, sizeof label, "×%.1f · double-tap: all", v.zoom);
    if (ImGui::CalcTextSize(label).x > w * 0.9f) std::snprintf(label, sizeof label, "×%.1f", v.zoom);
    const ImVec2 ts = ImGui::CalcTextSize(label), at(p0.x + w - ts.x - 4, p0.y + h - ts.y - 2);
    dl->AddRectFilled(ImVec2(at.x - 3, at.y - 1), ImVec2(p0.x + w - 1, p0.y + h - 1), IM_COL32(20, 20, 25, 200));
    dl->AddText(at, ImGui::GetColorU32(ImGuiCol_Text), label);
  }
  hover_row = hover_col = -1;
  if (ImGui::IsItemHovered()) {
    const ImVec2 m = io.MousePos;
    hover_row = std::clamp(int(row_at(m.y)), 0, rows - 1);
    hover_col = std::clamp(int(col_at(m.x)), 0, cols - 1);
  }
  return clicked;
}

void colour_legend(Heatmap& legend, ImVec2 pos, float w, float h, float lo, float hi, Colormap cm) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const GLuint tex = legend.texture(int(w), int(h), 0.0f, 1.0f, cm);
  dl->AddImage(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(tex)), pos, ImVec2(pos.x + w, pos.y + h));
  const ImU32 col = ImGui::GetColorU32(ImGuiCol_Text);
  const float line = ImGui::GetTextLineHeight(), tick = w * 0.3f;
  char buf[32];
  for (int i = 0; i <= 4; ++i) {
    const float v = hi - (hi - lo) * i / 4.0f, y = pos.y + h * i / 4.0f;
    std::snprintf(buf, sizeof buf, "%.3g", v);
    dl->AddLine(ImVec2(pos.x + w, y), ImVec2(pos.x + w + tick, y), col);
    dl->AddText(ImVec2(pos.x + w + tick * 2, y - line * 0.5f), col, buf);
  }
}

int line_plot(const char* id, ImVec2 size, const std::vector<std::string>& x_labels, const std::vector<Series>& series,
              double y_lo, double y_hi, const char* title, int marker) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton(id, size);
  const bool hovered = ImGui::IsItemHovered();
  const float line = ImGui::GetTextLineHeight();
  // The title wraps within the plot's width (two plots side by side must not print over each other).
  const float title_h = ImGui::CalcTextSize(title, nullptr, false, size.x).y;
  const float left = ImGui::CalcTextSize("0.000").x + line * 0.5f, bottom = line * 1.4f, top = title_h + line * 0.3f;
  const ImVec2 a(p0.x + left, p0.y + top), b(p0.x + size.x - line * 0.5f, p0.y + size.y - bottom);
  const ImU32 axis = ImGui::GetColorU32(ImGuiCol_TextDisabled), text = ImGui::GetColorU32(ImGuiCol_Text);
  dl->AddText(nullptr, 0, ImVec2(p0.x, p0.y), text, title, nullptr, size.x);
  dl->AddRect(a, b, axis);
  const int n = int(x_labels.size());
  const auto px = [&](double i) { return a.x + float(i / std::max(1, n - 1)) * (b.x - a.x); };
  const auto py = [&](double v) { return b.y - float((v - y_lo) / (y_hi - y_lo)) * (b.y - a.y); };
  char buf[32];
  for (int k = 0; k <= 2; ++k) {
    const double v = y_lo + (y_hi - y_lo) * k / 2;
    std::snprintf(buf, sizeof buf, "%.3g", v);
    dl->AddText(ImVec2(p0.x, py(v) - line * 0.5f), axis, buf);
  }
  // Every label that fits: skip some when the widest ones would touch.
  float widest = 0;
  for (const auto& l : x_labels) widest = std::max(widest, ImGui::CalcTextSize(l.c_str()).x);
  const int every = std::max(1, int(std::ceil((widest + line) * n / (b.x - a.x))));
  for (int i = 0; i < n; i += every) {
    const float w = ImGui::CalcTextSize(x_labels[size_t(i)].c_str()).x;
    dl->AddText(ImVec2(px(i) - w * 0.5f, b.y + 2), axis, x_labels[size_t(i)].c_str());
  }
  if (marker >= 0) dl->AddLine(ImVec2(px(marker), a.y), ImVec2(px(marker), b.y), IM_COL32(255, 217, 77, 160), 2);
  for (const Series& s : series)
    for (int i = 1; i < n; ++i) {
      if (s.dashed && i % 2) continue;
      dl->AddLine(ImVec2(px(i - 1), py(s.y[size_t(i - 1)])), ImVec2(px(i), py(s.y[size_t(i)])), s.colour, 2.0f);
    }
  // Legend in the top-right corner.
  float ly = a.y + 4;
  for (const Series& s : series) {
    const float w = ImGui::CalcTextSize(s.label).x;
    dl->AddLine(ImVec2(b.x - w - line * 2, ly + line * 0.5f), ImVec2(b.x - w - line * 0.6f, ly + line * 0.5f), s.colour,
                2);
    dl->AddText(ImVec2(b.x - w - 4, ly), text, s.label);
    ly += line;
  }
  if (!hovered) return -1;
  const float mx = ImGui::GetIO().MousePos.x;
  return std::clamp(int(std::lround((mx - a.x) / (b.x - a.x) * (n - 1))), 0, n - 1);
}

void vertical_text(ImDrawList* dl, ImVec2 anchor, ImU32 col, const char* text) {
  const int first = dl->VtxBuffer.Size;
  const float h = ImGui::GetTextLineHeight();
  const ImVec2 origin(anchor.x - h * 0.5f, anchor.y);
  dl->AddText(origin, col, text);
  for (int i = first; i < dl->VtxBuffer.Size; ++i) {
    ImVec2& p = dl->VtxBuffer[i].pos;
    const float dx = p.x - origin.x, dy = p.y - origin.y;
    p = ImVec2(origin.x + dy, origin.y - dx);  // rotate −90° about the origin
  }
}

float TokenAxes::room(float scale) const {
  float w = 0;
  for (const auto* toks : {rows, cols})
    if (toks)
      for (const auto& tok : *toks) w = std::max(w, ImGui::CalcTextSize(tok.c_str()).x);
  return std::min(w, 110 * scale) + 6 * scale;
}

void TokenAxes::draw(ImVec2 map_pos, float cell, float room, float scale, const MapView& view) const {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float zoomed = cell * view.zoom;  // a cell on screen
  // Only the rows and columns in view, at their zoomed places.
  const auto in_view = [&](float at, size_t n) { return at >= -zoomed * 0.25f && at <= n * cell + zoomed * 0.25f; };
  const ImU32 text_col = ImGui::GetColorU32(ImGuiCol_Text), dim_col = ImGui::GetColorU32(ImGuiCol_TextDisabled);
  const float line = ImGui::GetTextLineHeight();
  const auto padded = [](const std::vector<uint8_t>* pad, size_t i) { return pad && i < pad->size() && (*pad)[i]; };
  if (cols)
    for (size_t k = 0; k < cols->size(); ++k) {
      const float x = (float(k) + 0.5f - view.col0) * zoomed;
      if (!in_view(x, cols->size())) continue;
      const std::string s = fit_text((*cols)[k], room - 6 * scale);
      vertical_text(dl, ImVec2(map_pos.x + x, map_pos.y - 4 * scale), padded(col_pad, k) ? dim_col : text_col,
                    s.c_str());
    }
  if (rows)
    for (size_t q = 0; q < rows->size(); ++q) {
      const float y = (float(q) + 0.5f - view.row0) * zoomed;
      if (!in_view(y, rows->size())) continue;
      const std::string s = fit_text((*rows)[q], room - 6 * scale);
      const float tw = ImGui::CalcTextSize(s.c_str()).x;
      dl->AddText(ImVec2(map_pos.x - tw - 4 * scale, map_pos.y + y - line * 0.5f),
                  padded(row_pad, q) ? dim_col : text_col, s.c_str());
    }
}

std::string fit_text(const std::string& s, float max_w) {
  if (ImGui::CalcTextSize(s.c_str()).x <= max_w) return s;
  std::string out;
  for (size_t i = 0; i < s.size();) {
    size_t len = 1;
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0xF0) len = 4;
    else if (c >= 0xE0) len = 3;
    else if (c >= 0xC0) len = 2;
    const std::string next = out + s.substr(i, len);
    if (ImGui::CalcTextSize((next + "…").c_str()).x > max_w) break;
    out = next;
    i += len;
  }
  return out + "…";
}

std::string count_text(double n) {
  char buf[32];
  const char* units[] = {"", "K", "M", "G", "T", "P"};
  int u = 0;
  while (std::abs(n) >= 1000 && u < 5) n /= 1000, ++u;
  std::snprintf(buf, sizeof buf, u ? "%.3g%s" : "%.0f%s", n, units[u]);
  return buf;
}

std::string bytes_text(double b) {
  char buf[32];
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) b /= 1024, ++u;
  std::snprintf(buf, sizeof buf, u ? "%.3g %s" : "%.0f %s", b, units[u]);
  return buf;
}

}  // namespace web
