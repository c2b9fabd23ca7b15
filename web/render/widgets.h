// Small ImGui helpers shared by the panels: help markers, notes, heatmap
// images with hover, and line plots drawn with the draw list.
#pragma once
#include <string>
#include <vector>

#include "imgui.h"
#include "render/heatmap.h"

namespace web {

// A "(?)" after the last item, with `text` as its tooltip.
void help(const char* text);
// Continues the line if an item `w` pixels wide still fits before the
// window's right edge, else starts a new line (rows that wrap on a phone).
void same_line_if_fits(float w);
// Whether the panel is laid out for a narrow (phone) view: one column that scrolls.
bool narrow_view(float scale);
// A short explanation in the panel's own words, wrapped, dimmed.
void note(const char* text);
// A message wrapped at the window's edge, in a colour: kNoteColour for what a
// link or an import could not use, kErrorColour for what is refused.
void message(const std::string& text, const ImVec4& colour);
inline const ImVec4 kNoteColour(1, 0.75f, 0.35f, 1), kErrorColour(1, 0.45f, 0.4f, 1);

// A pinch (or Ctrl and the wheel) this frame, for the view under it: the
// platform sets it before the frame (platform/feed.cpp), a map under (x, y) takes it.
struct ViewGesture {
  bool on = false;
  float x = 0, y = 0;    // about this point (canvas pixels)
  float factor = 1;      // the scale it asks for
  float dx = 0, dy = 0;  // and how far its middle moved
};
ViewGesture& view_gesture();
// An active widget that wants a finger's drag for itself (not to scroll its
// window) says so each frame; the platform reads and clears it after the frame.
void take_drag();
bool drag_taken();

// The part of a zoomable map in view: its zoom (1 = all of it) and the
// first column and row shown (fractional, in cells).
struct MapView {
  float zoom = 1, col0 = 0, row0 = 0;
};
// The view heatmap_image keeps for the zoomable map `id` in the current window
// (read it before drawing the labels around that map).
MapView map_view(const char* id);

// Draws `map` as a w x h image at the cursor; reports the hovered cell
// (or -1, -1) and returns true when it was clicked (released on it, not
// dragged). A zoomable map takes a pinch or Ctrl and the wheel over it, pans
// with a drag while zoomed, and goes back to the whole on a double click.
bool heatmap_image(Heatmap& map, const char* id, ImVec2 size, float lo, float hi, Colormap cm, int rows, int cols,
                   int& hover_row, int& hover_col, bool zoomable = false);

// A colour bar from hi (top) down to lo, with five ticks, at `pos`.
void colour_legend(Heatmap& legend, ImVec2 pos, float w, float h, float lo, float hi, Colormap cm);

struct Series {
  std::vector<double> y;
  ImU32 colour;
  const char* label;
  bool dashed = false;
};
// A line plot over x = 0..n-1 (labelled by x_labels), y in [y_lo, y_hi];
// `marker` draws a vertical line at that x index (-1 for none). Returns the
// hovered x index or -1.
int line_plot(const char* id, ImVec2 size, const std::vector<std::string>& x_labels, const std::vector<Series>& series,
              double y_lo, double y_hi, const char* title, int marker);

// Text read bottom-up, its baseline end at `anchor` (x centred on a column).
void vertical_text(ImDrawList* dl, ImVec2 anchor, ImU32 col, const char* text);

// Token labels on the axes of a heatmap of square cells: the row tokens
// right-aligned to its left, the column tokens read bottom-up above it,
// [PAD] tokens dimmed. Either list may be null (that axis is unlabelled).
struct TokenAxes {
  const std::vector<std::string>* rows = nullptr;
  const std::vector<uint8_t>* row_pad = nullptr;
  const std::vector<std::string>* cols = nullptr;
  const std::vector<uint8_t>* col_pad = nullptr;
  // Pixels kept for the labels beside and above the map: the widest token, capped.
  float room(float scale) const;
  // Labels are drawn only when a line of text fits in a cell.
  static bool fit(float cell) { return cell >= ImGui::GetTextLineHeight() * 0.95f; }
  // Draws them around a map whose top-left corner is map_pos, as much of it as `view` shows.
  void draw(ImVec2 map_pos, float cell, float room, float scale, const MapView& view = {}) const;
};

// Token text shortened with an ellipsis to fit max_w pixels (UTF-8 safe).
std::string fit_text(const std::string& s, float max_w);

// Human-readable counts and sizes: 2.36M, 1.2 GiB.
std::string count_text(double n);
std::string bytes_text(double bytes);

}  // namespace web
