// Mouse wheels and trackpads in ImGui's units. Debian's Emscripten 3.1.6
// hands GLFW's scroll callback the DOM's raw deltaY: positive for down (GLFW
// and ImGui mean up) and about 100 per notch (ImGui scrolls 5 font heights
// per unit), so a notch jumped a whole page the wrong way. The page reads the
// wheel event itself and converts it here (no Emscripten: tested natively).
#pragma once

namespace web {

// DOM WheelEvent.deltaMode.
enum class WheelMode { Pixel = 0, Line = 1, Page = 2 };

// Lines a notch scrolls, as browsers and desktops do by default.
inline constexpr double kLinesPerNotch = 3;
// A notch in pixel mode, in CSS px (Chromium's; a trackpad's flick sums to about as much).
inline constexpr double kPixelsPerNotch = 100;

// The lines a wheel event scrolls, positive down (the DOM's sign).
// `page_lines`: what a page-mode delta of 1 means.
inline double wheel_lines(double delta, WheelMode mode, double page_lines) {
  if (mode == WheelMode::Pixel) return delta * kLinesPerNotch / kPixelsPerNotch;
  return mode == WheelMode::Line ? delta : delta * page_lines;
}

// Those lines, `line_px` each, as io.MouseWheel units, positive up: ImGui
// 1.86 scrolls a window by 5 font heights (`font_px`) per unit.
inline float imgui_wheel(double lines, double line_px, double font_px) {
  return font_px > 0 ? float(-lines * line_px / (5 * font_px)) : 0.0f;
}

}  // namespace web
