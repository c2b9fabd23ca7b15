// The wheel's conversion (web/platform/wheel.h): a notch down scrolls three
// lines down in either delta mode, a notch up as far back.
#include <doctest/doctest.h>

#include "platform/wheel.h"

TEST_CASE("wheel: a notch is three lines, down for a positive DOM delta, in pixel and line modes") {
  CHECK(web::wheel_lines(100, web::WheelMode::Pixel, 20) == doctest::Approx(3));
  CHECK(web::wheel_lines(-100, web::WheelMode::Pixel, 20) == doctest::Approx(-3));
  CHECK(web::wheel_lines(3, web::WheelMode::Line, 20) == doctest::Approx(3));
  CHECK(web::wheel_lines(-3, web::WheelMode::Line, 20) == doctest::Approx(-3));
  CHECK(web::wheel_lines(1, web::WheelMode::Page, 30) == doctest::Approx(30));
  // A trackpad's small pixel deltas scroll a little at a time, in proportion.
  CHECK(web::wheel_lines(4, web::WheelMode::Pixel, 20) == doctest::Approx(0.12));
}

TEST_CASE("wheel: lines become ImGui units that scroll that many pixels, the other way round") {
  // Font 15 px, lines of 19 px: ImGui scrolls 75 px a unit, so 3 lines (57 px) are -0.76 units.
  const float units = web::imgui_wheel(3, 19, 15);
  CHECK(units == doctest::Approx(-0.76));
  CHECK(units * 5 * 15 == doctest::Approx(-3 * 19));
  CHECK(web::imgui_wheel(-3, 19, 15) == doctest::Approx(0.76));
  CHECK(web::imgui_wheel(3, 19, 0) == 0.0f);  // before the first frame: no font yet
}
