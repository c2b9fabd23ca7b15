// The learning panels beside the heads view, one file each. Every panel
// reads the Trace and the numbers the core derived from it (analysis.h) and
// computes none itself; panels that edit the config return the edit.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "config/config.h"
#include "heatmap.h"
#include "layer/trace.h"

namespace web {

// Compare heads: arcs between tokens for one head (BertViz-style), per-head
// statistics, and the head-similarity matrix.
struct ComparePanel {
  int head = 0;
  int hover_token = -1;  // a query whose arcs alone are drawn, -1 for all
  std::unique_ptr<Heatmap> similarity, legend;
  uint64_t generation = 0;
};
void draw_compare_panel(ComparePanel& p, const ap::Trace& t, const ap::HeadAnalysis& heads, double progress,
                        uint64_t generation, float scale);

// Pipeline: the steps with their live shapes and the layer's costs. Returns
// the name of a tensor the learner clicked, to be shown in the tensors panel.
std::optional<std::string> draw_pipeline_panel(const ap::Trace& t, const ap::LayerCosts& costs, float scale);

// Tensors: any tensor of the trace as a heatmap, with how each value was computed.
struct TensorsPanel {
  std::string name = "scores";
  int head = 0;
  std::unique_ptr<Heatmap> map, legend_seq, legend_div;
  uint64_t generation = 0;
  std::string shown;  // name/head the map holds
  const ap::Mat* data = nullptr;  // `shown`, in the trace (found once per trace)
  ap::Mat mask;                   // the mask as 0/1 floats, when that is shown (the trace holds it as bytes)
  float lo = 0, hi = 1;           // its colour range
};
void draw_tensors_panel(TensorsPanel& p, const ap::Trace& t, uint64_t generation, float scale);

// Masks: the combined mask (paint the custom mask here), the same mask in
// four libraries' conventions, and what fully masked rows become.
struct MasksPanel {
  std::unique_ptr<Heatmap> map;
  uint64_t generation = 0;
};
bool draw_masks_panel(MasksPanel& p, const ap::Trace& t, const ap::Config& applied, uint64_t generation, float scale,
                      ap::Config& edit);

// Why √d: entropy, max weight and softmax-Jacobian norm against d_head.
struct ScalingPanel {
  bool show_scaled = true, show_unscaled = true;
};
void draw_scaling_panel(ScalingPanel& p, const std::vector<ap::ScalingPoint>& pts, const ap::Trace& t, float scale);

// Sizes: real models' widths and what one attention layer of theirs costs.
std::optional<ap::Config> draw_sizes_panel(const ap::Config& applied, const ap::Trace& t, float scale);

// Memory layout: strides of view, transpose(1, 2) and contiguous().
void draw_memory_panel(const ap::Trace& t, float scale);

}  // namespace web
