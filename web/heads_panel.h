// The attention weights of every head: one head large with its tokens along
// the axes and a colour legend, all heads below as small multiples. Hovering
// a cell shows the query token, the key token and the exact weight.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "heatmap.h"
#include "layer/trace.h"

namespace web {

// Where a heatmap was drawn, in canvas pixels, for the JS API's layout().
struct DrawnMap {
  int head;
  bool focus;  // the large one
  float x, y, w, h;
};

struct HeadsPanel {
  int focus = 0;              // head shown large
  bool range_to_max = true;   // colour range 0..max weight (else 0..1)
  std::vector<std::unique_ptr<Heatmap>> maps;  // one per head, small multiples (pooled to at most kThumbCells a side)
  std::unique_ptr<Heatmap> focus_map;          // the focused head, large (pooled to at most kFocusCells a side)
  int focus_shown = -1;                        // the head focus_map holds for this generation
  std::unique_ptr<Heatmap> legend;
  uint64_t generation = 0;    // trace generation the maps hold (or are being filled from)
  std::vector<int> to_upload;  // heads whose maps still show an older trace
  ap::MaskMat show_focus, show_thumb;  // cells drawn as values (the rest hatched), pooled like the maps
  float max_weight = 0;        // the largest finite weight of any head
  bool any_blocked = false, any_nan = false;  // whether the legend shows the hatch and magenta
  std::vector<DrawnMap> drawn;  // this frame's layout
};

// Why a cell is blocked, in words, from the flags the core recorded ("" if allowed).
std::string block_reason(const ap::Trace& t, int q, int k);

// The tooltip of one cell of a weights heatmap: tokens, weight, score steps or block reasons.
void weight_tooltip(const ap::Trace& t, int head, int q, int k);

// `constructed`: the heads were built, not drawn at random; their roles are noted.
void draw_heads_panel(HeadsPanel& panel, const ap::Trace& trace, uint64_t generation, float scale, bool constructed);

}  // namespace web
