#version 300 es
// A triangle that covers the viewport; no vertex buffer needed.
// v_uv runs 0..1 across the viewport in GL's orientation (origin bottom-left).
out vec2 v_uv;
void main() {
  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
  v_uv = p;
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
