#version 300 es
// Heatmap of a matrix: one texel per cell (R = value; G = 1 for a value,
// 0 for a cell blocked by the mask, 2 for NaN), drawn at screen resolution so that cells stay crisp,
// blocked cells get a hatch, and large cells get a thin grid line.
precision highp float;
precision highp sampler2D;

uniform sampler2D u_cells;  // [rows x cols] RG32F, sampled with texelFetch (no filtering)
uniform vec2 u_range;       // value range mapped to the ends of the colormap
uniform int u_colormap;     // 0 = sequential (viridis-like), 1 = diverging (blue-white-red)
uniform vec2 u_pixels;      // size of the target in pixels
uniform float u_grid;       // 1 to draw grid lines between cells
uniform vec4 u_view;        // the part of the matrix in view (zoomed): u0, v0, u1, v1 in 0..1
in vec2 v_uv;
out vec4 frag;

// Stops of matplotlib's viridis (CC0), evenly spaced in t.
vec3 sequential(float t) {
  const vec3 c[9] = vec3[9](vec3(0.267, 0.005, 0.329), vec3(0.282, 0.141, 0.458), vec3(0.254, 0.265, 0.530),
                            vec3(0.207, 0.372, 0.553), vec3(0.164, 0.471, 0.558), vec3(0.128, 0.567, 0.551),
                            vec3(0.135, 0.659, 0.518), vec3(0.478, 0.821, 0.318), vec3(0.993, 0.906, 0.144));
  float x = clamp(t, 0.0, 1.0) * 8.0;
  int i = min(int(floor(x)), 7);
  return mix(c[i], c[i + 1], x - float(i));
}

// Blue for negative, white at zero, red for positive (t = 0.5 is zero).
vec3 diverging(float t) {
  vec3 blue = vec3(0.230, 0.299, 0.754), white = vec3(0.97), red = vec3(0.706, 0.016, 0.150);
  t = clamp(t, 0.0, 1.0);
  return t < 0.5 ? mix(blue, white, t * 2.0) : mix(white, red, t * 2.0 - 1.0);
}

void main() {
  ivec2 size = textureSize(u_cells, 0);  // (cols, rows)
  // Row 0 is rendered at the texture's first row (GL's bottom); ImGui maps
  // texture v = 0 to the top of the image, so row 0 appears at the top.
  vec2 uv = mix(u_view.xy, u_view.zw, v_uv);
  ivec2 cell = min(ivec2(uv * vec2(size)), size - 1);
  vec2 value = texelFetch(u_cells, cell, 0).rg;
  vec2 full = u_pixels / (u_view.zw - u_view.xy);  // the whole matrix's size at this zoom, in pixels
  vec2 pix = uv * full;
  vec3 color;
  if (value.g > 1.5) {
    // NaN (the fully-masked-row policy of PyTorch's SDPA): magenta, unmistakable.
    color = vec3(0.9, 0.16, 0.78);
  } else if (value.g < 0.5) {
    // Blocked by the mask: grey with diagonal hatch, never a colormap colour.
    float stripe = mod(pix.x + pix.y, 8.0);
    color = stripe < 2.0 ? vec3(0.42) : vec3(0.27);
  } else {
    float t = (value.r - u_range.x) / max(u_range.y - u_range.x, 1e-30);
    color = u_colormap == 0 ? sequential(t) : diverging(t);
  }
  if (u_grid > 0.5) {
    vec2 cell_px = full / vec2(size);
    vec2 f = mod(pix, cell_px);
    if (f.x < 1.0 || f.y < 1.0) color *= 0.55;
  }
  frag = vec4(color, 1.0);
}
