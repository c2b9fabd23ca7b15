// The input queue and the touch gestures (web/platform/input.h): what ImGui
// is given frame by frame for taps, clicks, keys, swipes, flings, long
// presses and pinches.
#include <doctest/doctest.h>

#include <cmath>

#include "platform/input.h"

using web::input::Action;
using web::input::Device;
using web::input::Pointer;
using web::input::Queue;

namespace {

Pointer touch(Pointer::Type type, float x, float y, double ms, int id = 1) {
  return {type, Device::Touch, id, x, y, 0, ms};
}
Pointer mouse(Pointer::Type type, float x, float y, double ms) { return {type, Device::Mouse, 0, x, y, 0, ms}; }

int count(const std::vector<Action>& a, Action::Type t) {
  int n = 0;
  for (const Action& x : a) n += x.type == t;
  return n;
}
const Action* find(const std::vector<Action>& a, Action::Type t) {
  for (const Action& x : a)
    if (x.type == t) return &x;
  return nullptr;
}
// The button state ImGui would hold after these actions, and whether it saw a click at (x, y).
struct Imgui {
  bool down = false;
  float x = 0, y = 0;
  int clicks_at_target = 0, scrolled_y = 0;
  float scroll_x = 0, scroll_y = 0, zoom = 1;
  // One frame: ImGui reads the final state of everything, as 1.86 does.
  void frame(const std::vector<Action>& actions, float tx, float ty) {
    bool was = down;
    for (const Action& a : actions) {
      if (a.type == Action::MousePos) x = a.x, y = a.y;
      if (a.type == Action::MouseButton && a.code == 0) down = a.down;
      if (a.type == Action::Scroll) scroll_x += a.dx, scroll_y += a.dy;
      if (a.type == Action::Zoom) zoom *= a.factor;
    }
    if (was && !down && std::abs(x - tx) < 5 && std::abs(y - ty) < 5) ++clicks_at_target;
  }
};

// One frame: ImGui reads the actions, then the queue hears whether the press took a widget that drags.
void run(Queue& q, Imgui& g, double ms, bool took_drag = false, float tx = 0, float ty = 0) {
  g.frame(q.frame(ms), tx, ty);
  q.frame_done(took_drag);
}

}  // namespace

TEST_CASE("input: a tap whose press and release come in one frame is still a click") {
  Queue q;
  Imgui g;
  q.pointer(touch(Pointer::Down, 100, 200, 0));
  q.pointer(touch(Pointer::Up, 101, 200, 30));
  const auto f1 = q.frame(16);
  CHECK(count(f1, Action::MouseButton) == 0);  // the finger hovers a frame first (overlapping widgets need it)
  g.frame(f1, 100, 200);
  const auto f2 = q.frame(24);
  CHECK(count(f2, Action::MouseButton) == 1);  // then the press alone
  g.frame(f2, 100, 200);
  q.frame_done(false);
  CHECK(g.down);
  run(q, g, 33, false, 100, 200);
  CHECK_FALSE(g.down);
  CHECK(g.clicks_at_target == 1);
  // The pointer stays where the finger lifted: what it hovers keeps its tooltip.
  CHECK(g.x == 101);
  CHECK(q.idle());
}

TEST_CASE("input: a fast mouse click and a double tap keep every transition") {
  Queue q;
  Imgui g;
  q.pointer(mouse(Pointer::Down, 10, 10, 0));
  q.pointer(mouse(Pointer::Up, 10, 10, 5));
  q.pointer(mouse(Pointer::Down, 10, 10, 10));
  q.pointer(mouse(Pointer::Up, 10, 10, 15));
  for (int i = 0; i < 6; ++i) run(q, g, 16.0 * (i + 1), false, 10, 10);
  CHECK(g.clicks_at_target == 2);
  // Moves between frames collapse into the latest.
  q.pointer(mouse(Pointer::Move, 20, 20, 100));
  q.pointer(mouse(Pointer::Move, 30, 30, 101));
  const auto f = q.frame(116);
  REQUIRE(count(f, Action::MousePos) == 1);
  CHECK(find(f, Action::MousePos)->x == 30);
  q.pointer(mouse(Pointer::Leave, 0, 0, 120));
  CHECK(find(q.frame(132), Action::MousePos)->x == web::input::kNowhere);
}

TEST_CASE("input: a key pressed and released in one frame reaches ImGui as both, a frame apart") {
  Queue q;
  q.mods(web::input::kCtrl);
  q.key(web::input::Key::A, true);
  q.key(web::input::Key::A, false);
  q.mods(0);
  const auto f1 = q.frame(16), f2 = q.frame(32), f3 = q.frame(48);
  REQUIRE(f1.size() == 2);
  CHECK(f1[0].type == Action::Mods);
  CHECK(f1[1].down);
  REQUIRE(f2.size() == 1);
  CHECK_FALSE(f2[0].down);
  REQUIRE(f3.size() == 1);
  CHECK(f3[0].code == 0);
  CHECK(web::input::key_from_dom("KeyZ") == web::input::Key::Z);
  CHECK(web::input::key_from_dom("Backspace") == web::input::Key::Backspace);
  CHECK(web::input::key_from_dom("F13") == web::input::Key::Count);
}

TEST_CASE("input: a swipe over buttons scrolls with the finger and clicks nothing") {
  Queue q;
  q.set_scale(3);  // a phone: the slop is 10 CSS px = 30 canvas px
  Imgui g;
  q.pointer(touch(Pointer::Down, 300, 900, 0));
  run(q, g, 16, false, 300, 900);                 // the press made a button active, which does not drag
  q.pointer(touch(Pointer::Move, 300, 890, 20));  // within the slop: still a tap
  run(q, g, 33, false, 300, 900);
  CHECK(g.scroll_y == 0);
  float y = 890;
  for (int i = 0; i < 20; ++i) {
    y -= 20;
    q.pointer(touch(Pointer::Move, 300, y, 40 + 16.0 * i));
    run(q, g, 48 + 16.0 * i, false, 300, 900);
  }
  CHECK(g.scroll_y == doctest::Approx(y - 900));  // the content followed the finger exactly
  CHECK_FALSE(g.down);
  CHECK(g.x == web::input::kNowhere);  // the button was let go away from it
  CHECK(g.clicks_at_target == 0);
  q.pointer(touch(Pointer::Move, 300, y, 40 + 16.0 * 20 + 150));  // holds still
  q.pointer(touch(Pointer::Up, 300, y, 40 + 16.0 * 20 + 160));
  const float before = g.scroll_y;
  for (int i = 0; i < 60; ++i) run(q, g, 1000 + 16.0 * i, false, 300, 900);
  CHECK(g.scroll_y == before);  // a finger that stopped before lifting does not fling
}

TEST_CASE("input: a flick flings on, slowing, and a touch stops it") {
  Queue q;
  Imgui g;
  q.pointer(touch(Pointer::Down, 100, 500, 0));
  run(q, g, 16, false, 0, 0);
  for (int i = 1; i <= 6; ++i) q.pointer(touch(Pointer::Move, 100, 500 - 30.0f * i, 16.0 + 10 * i));  // 3 px/ms up
  q.pointer(touch(Pointer::Up, 100, 320, 80));                // all before a frame showed the press: still a scroll
  for (double ms : {80, 81, 82}) run(q, g, ms, false, 0, 0);  // the press, its letting go, the scroll
  const float at_lift = g.scroll_y;
  CHECK(at_lift <= -180);  // the finger's way, and the fling's first 2 ms
  CHECK(at_lift > -190);
  float last_step = 1e9f;
  for (int i = 1; i <= 20; ++i) {
    const float before = g.scroll_y;
    run(q, g, 82 + 16.0 * i, false, 0, 0);  // frames 16 ms apart
    const float step = before - g.scroll_y;
    CHECK(step > 0);          // still going up
    CHECK(step < last_step);  // and slowing
    last_step = step;
  }
  // 3 px/ms for tau = 325 ms goes about 975 px in all; a touch stops it before.
  CHECK(at_lift - g.scroll_y < 975);
  q.pointer(touch(Pointer::Down, 100, 500, 500));
  q.pointer(touch(Pointer::Up, 100, 500, 510));
  const float stopped = g.scroll_y;
  for (int i = 0; i < 5; ++i) run(q, g, 520 + 16.0 * i, false, 0, 0);
  CHECK(g.scroll_y == stopped);
}

TEST_CASE("input: a drag that starts on a slider drags the slider, even one faster than a frame") {
  Queue q;
  Imgui g;
  q.pointer(touch(Pointer::Down, 100, 100, 0));
  q.pointer(touch(Pointer::Move, 160, 100, 5));  // beyond the slop before the first frame
  run(q, g, 16, false, 0, 0);                    // the finger hovers
  run(q, g, 24, true, 0, 0);                     // the press, which took a slider
  CHECK(g.down);
  q.pointer(touch(Pointer::Move, 200, 100, 20));
  run(q, g, 33, false, 0, 0);
  CHECK(g.down);
  CHECK(g.x == 200);
  CHECK(g.scroll_x == 0);
  q.pointer(touch(Pointer::Up, 200, 100, 40));
  run(q, g, 50, false, 0, 0);
  CHECK_FALSE(g.down);
}

TEST_CASE("input: a long press hovers (a tooltip) and lifting it clicks nothing") {
  Queue q;
  Imgui g;
  q.pointer(touch(Pointer::Down, 50, 60, 0));
  run(q, g, 16, false, 50, 60);
  run(q, g, 300, false, 50, 60);
  CHECK(g.down);  // not yet long
  for (int i = 0; i < 3; ++i) run(q, g, 520 + 16.0 * i, false, 50, 60);
  CHECK_FALSE(g.down);
  CHECK(g.x == 50);  // hovering where the finger is
  CHECK(g.clicks_at_target == 0);
  q.pointer(touch(Pointer::Move, 80, 60, 600));  // the hover follows the finger
  run(q, g, 616, false, 50, 60);
  CHECK(g.x == 80);
  q.pointer(touch(Pointer::Up, 80, 60, 700));
  run(q, g, 716, false, 80, 60);
  CHECK(g.clicks_at_target == 0);
  CHECK(g.x == 80);
}

TEST_CASE("input: two fingers pinch: the zoom is the ratio of their spans, about their middle") {
  Queue q;
  Imgui g;
  q.pointer(touch(Pointer::Down, 100, 100, 0, 1));
  run(q, g, 16, false, 0, 0);
  q.pointer(touch(Pointer::Down, 200, 100, 20, 2));
  for (int i = 1; i <= 10; ++i) {
    q.pointer(touch(Pointer::Move, 100 - 5.0f * i, 100, 20 + 10 * i, 1));
    q.pointer(touch(Pointer::Move, 200 + 5.0f * i, 100, 21 + 10 * i, 2));
    run(q, g, 40 + 16 * i, false, 0, 0);
  }
  CHECK(g.zoom == doctest::Approx(200.0 / 100.0));
  CHECK_FALSE(g.down);  // the first finger's press was let go
  CHECK(g.clicks_at_target == 0);
  q.pointer(touch(Pointer::Up, 50, 100, 300, 1));
  q.pointer(touch(Pointer::Move, 260, 100, 310, 2));  // the other finger lifts later: nothing more
  q.pointer(touch(Pointer::Up, 260, 100, 320, 2));
  run(q, g, 330, false, 0, 0);
  CHECK(g.zoom == doctest::Approx(2.0));
  CHECK(q.idle());
  // Ctrl and the wheel zoom too (a trackpad's pinch arrives so): a notch up zooms in.
  q.wheel(0, 1, web::input::kCtrl, 10, 10);
  const auto f = q.frame(400);
  REQUIRE(find(f, Action::Zoom));
  CHECK(find(f, Action::Zoom)->factor > 1);
  CHECK(count(f, Action::Wheel) == 0);
}
