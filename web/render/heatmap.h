// A matrix drawn as a heatmap by shaders/heatmap.frag: the values go to the
// GPU as a float texture, the shader maps them through a colormap into a
// colour texture the size of the heatmap's place on screen, and ImGui draws
// that texture as an image. Re-rendered only when values, size or range change.
#pragma once
#include <memory>

#include "base/tensor.h"
#include "render/gl.h"

namespace web {

enum class Colormap { Sequential = 0, Diverging = 1 };

class Heatmap {
 public:
  Heatmap();
  ~Heatmap();
  Heatmap(const Heatmap&) = delete;
  Heatmap& operator=(const Heatmap&) = delete;

  // values: [rows x cols]; allowed: same shape, 0 = blocked (drawn hatched), or null.
  // NaN values are drawn in magenta, outside every colormap.
  void set_cells(const ap::Mat& values, const ap::MaskMat* allowed);
  // The colour texture for a w x h pixel image (renders it if anything changed) of the part of the
  // matrix in `view` (u0, v0, u1, v1 in 0..1: all of it unless zoomed).
  GLuint texture(int w, int h, float lo, float hi, Colormap map, const float (&view)[4] = kWhole);
  static constexpr float kWhole[4] = {0, 0, 1, 1};
  // After a lost WebGL context the GL names are void: forget them instead of deleting.
  void abandon() { cells_ = color_ = fbo_ = 0; }

 private:
  GLuint cells_ = 0, color_ = 0, fbo_ = 0;
  int rows_ = 0, cols_ = 0, w_ = 0, h_ = 0;
  float lo_ = 0, hi_ = 0, view_[4] = {0, 0, 1, 1};
  Colormap map_ = Colormap::Sequential;
  bool stale_ = true;
};

// A colour bar's cells: a column from 1 (top) down to 0, for colour_legend().
std::unique_ptr<Heatmap> make_legend();

// Forgets a heatmap after a lost WebGL context (see Heatmap::abandon).
inline void drop(std::unique_ptr<Heatmap>& m) {
  if (m) m->abandon();
  m.reset();
}

// Compiles the heatmap shader program; call once after the GL context exists.
// Returns false (and prints the GL log to stderr) if compiling fails.
bool init_heatmap_shaders();

}  // namespace web
