// The attention weights of every head: one head large with its tokens along
// the axes and a colour legend, all heads below as small multiples. Hovering
// a cell shows the query token, the key token and the exact weight.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "config.h"
#include "heatmap.h"
#include "trace.h"

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
  bool paint = false;         // clicks on the large heatmap toggle the custom mask
  std::vector<std::unique_ptr<Heatmap>> maps;  // one per head
  std::unique_ptr<Heatmap> legend;
  uint64_t generation = 0;    // trace generation the maps hold
  std::vector<DrawnMap> drawn;  // this frame's layout
};

// Returns true when the user painted a cell of the custom mask into `edit`
// (a copy of the applied config for the app to apply).
bool draw_heads_panel(HeadsPanel& panel, const ap::Trace& trace, uint64_t generation, float scale, ap::Config& edit);

}  // namespace web
