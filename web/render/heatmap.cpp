// Heatmap rendering with the embedded shaders (see CMakeLists: embed.cmake).
#include "render/heatmap.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

extern const unsigned char shader_fullscreen_vert[];
extern const unsigned char shader_heatmap_frag[];

namespace web {
namespace {

GLuint g_program = 0, g_vao = 0;
GLint u_cells = -1, u_range = -1, u_colormap = -1, u_pixels = -1, u_grid = -1, u_view = -1;

// Whether a shader compiled (or a program linked); if not, its log goes to stderr.
bool succeeded(GLuint object, bool program) {
  GLint ok = 0;
  (program ? glGetProgramiv : glGetShaderiv)(object, program ? GL_LINK_STATUS : GL_COMPILE_STATUS, &ok);
  if (ok) return true;
  char log[2048];
  (program ? glGetProgramInfoLog : glGetShaderInfoLog)(object, sizeof log, nullptr, log);
  std::fprintf(stderr, "heatmap %s: %s\n", program ? "program failed to link" : "shader failed to compile", log);
  return false;
}

GLuint compile(GLenum type, const unsigned char* source) {
  GLuint s = glCreateShader(type);
  const char* src = reinterpret_cast<const char*>(source);
  glShaderSource(s, 1, &src, nullptr);
  glCompileShader(s);
  succeeded(s, false);
  return s;
}

}  // namespace

bool init_heatmap_shaders() {
  const GLuint vs = compile(GL_VERTEX_SHADER, shader_fullscreen_vert);
  const GLuint fs = compile(GL_FRAGMENT_SHADER, shader_heatmap_frag);
  g_program = glCreateProgram();
  glAttachShader(g_program, vs);
  glAttachShader(g_program, fs);
  glLinkProgram(g_program);
  glDeleteShader(vs);
  glDeleteShader(fs);
  if (!succeeded(g_program, true)) return false;
  u_cells = glGetUniformLocation(g_program, "u_cells");
  u_range = glGetUniformLocation(g_program, "u_range");
  u_colormap = glGetUniformLocation(g_program, "u_colormap");
  u_pixels = glGetUniformLocation(g_program, "u_pixels");
  u_grid = glGetUniformLocation(g_program, "u_grid");
  u_view = glGetUniformLocation(g_program, "u_view");
  glGenVertexArrays(1, &g_vao);  // the vertex shader needs no attributes, but GL wants a VAO
  return true;
}

Heatmap::Heatmap() {
  glGenTextures(1, &cells_);
  glGenTextures(1, &color_);
  glGenFramebuffers(1, &fbo_);
  for (GLuint t : {cells_, color_}) {
    glBindTexture(GL_TEXTURE_2D, t);
    // Float textures are not filterable in WebGL2; nearest also keeps cells sharp.
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  }
}

Heatmap::~Heatmap() {
  glDeleteFramebuffers(1, &fbo_);
  glDeleteTextures(1, &color_);
  glDeleteTextures(1, &cells_);
}

void Heatmap::set_cells(const ap::Mat& values, const ap::MaskMat* allowed) {
  rows_ = int(values.rows());
  cols_ = int(values.cols());
  std::vector<float> rg(size_t(rows_) * cols_ * 2);
  for (int r = 0; r < rows_; ++r)
    for (int c = 0; c < cols_; ++c) {
      const size_t i = size_t(r) * cols_ + c;
      // G: 0 = blocked (hatched; its value, −inf, is not drawn), 1 = a value, 2 = NaN.
      const bool ok = !allowed || (*allowed)(r, c);
      const bool nan = std::isnan(values(r, c));
      rg[2 * i] = ok && !nan ? values(r, c) : 0.0f;
      rg[2 * i + 1] = !ok ? 0.0f : nan ? 2.0f : 1.0f;
    }
  glBindTexture(GL_TEXTURE_2D, cells_);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RG32F, cols_, rows_, 0, GL_RG, GL_FLOAT, rg.data());
  stale_ = true;
}

GLuint Heatmap::texture(int w, int h, float lo, float hi, Colormap map, const float (&view)[4]) {
  if (w < 1 || h < 1 || rows_ == 0) return color_;
  if (w != w_ || h != h_) {
    glBindTexture(GL_TEXTURE_2D, color_);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
    glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, color_, 0);
    w_ = w;
    h_ = h;
    stale_ = true;
  }
  if (!stale_ && lo == lo_ && hi == hi_ && map == map_ && std::equal(view, view + 4, view_)) return color_;
  std::copy(view, view + 4, view_);
  lo_ = lo;
  hi_ = hi;
  map_ = map;
  stale_ = false;

  glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
  glViewport(0, 0, w, h);
  glDisable(GL_BLEND);
  glDisable(GL_SCISSOR_TEST);
  glUseProgram(g_program);
  glBindVertexArray(g_vao);
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D, cells_);
  glUniform1i(u_cells, 0);
  glUniform2f(u_range, lo, hi);
  glUniform1i(u_colormap, int(map));
  glUniform2f(u_pixels, float(w), float(h));
  glUniform4f(u_view, view[0], view[1], view[2], view[3]);
  // Grid lines only where a cell is big enough to keep its colour visible.
  const float cell_w = w / (cols_ * (view[2] - view[0])), cell_h = h / (rows_ * (view[3] - view[1]));
  glUniform1f(u_grid, (cell_w >= 10 && cell_h >= 10) ? 1.0f : 0.0f);
  glDrawArrays(GL_TRIANGLES, 0, 3);
  glBindVertexArray(0);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  return color_;
}

std::unique_ptr<Heatmap> make_legend() {
  constexpr int kSteps = 256;
  ap::Mat ramp(kSteps, 1);
  for (int i = 0; i < kSteps; ++i) ramp(i, 0) = 1.0f - (i + 0.5f) / kSteps;
  auto legend = std::make_unique<Heatmap>();
  legend->set_cells(ramp, nullptr);
  return legend;
}

}  // namespace web
