// The input queue and the touch gestures: see input.h.
#include "platform/input.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <utility>

namespace web::input {
namespace {

// DOM KeyboardEvent.code of each Key, in Key's order.
constexpr std::string_view kDomCodes[] = {
    "Tab",  "ArrowLeft", "ArrowRight", "ArrowUp",   "ArrowDown", "PageUp", "PageDown", "Home",
    "End",  "Insert",    "Delete",     "Backspace", "Space",     "Enter",  "Escape",   "NumpadEnter",
    "KeyA", "KeyC",      "KeyV",       "KeyX",      "KeyY",      "KeyZ"};
static_assert(std::size(kDomCodes) == size_t(Key::Count));

float distance(float ax, float ay, float bx, float by) { return std::hypot(ax - bx, ay - by); }

}  // namespace

Key key_from_dom(std::string_view code) {
  for (size_t i = 0; i < std::size(kDomCodes); ++i)
    if (kDomCodes[i] == code) return Key(i);
  return Key::Count;
}

void Queue::pointer(const Pointer& e) {
  last_touch_ = e.device == Device::Touch;
  if (e.device == Device::Touch) {
    if (e.type == Pointer::Down) touch_down(e);
    else if (e.type == Pointer::Move) touch_move(e);
    else if (e.type != Pointer::Leave) touch_up(e, e.type == Pointer::Cancel);
    return;
  }
  // A mouse or a pen points exactly: its events go to ImGui as they are.
  const bool moves = e.type == Pointer::Move || e.type == Pointer::Leave;
  if (moves && !queue_.empty() && queue_.back().type == Action::MousePos) queue_.pop_back();  // only the latest counts
  if (e.type == Pointer::Leave) push({Action::MousePos, kNowhere, kNowhere});
  else if (e.type != Pointer::Cancel) push({Action::MousePos, e.x, e.y});
  if (!moves) push({.type = Action::MouseButton, .code = e.button, .down = e.type == Pointer::Down});
}

void Queue::wheel(float dx, float dy, Mods m, float x, float y) {
  // Ctrl and the wheel (or a trackpad's pinch, which browsers send so) zoom: a notch by about a fifth.
  if (m & kCtrl) push({.type = Action::Zoom, .x = x, .y = y, .factor = std::exp(0.3f * dy)});
  else push({.type = Action::Wheel, .dx = dx, .dy = dy});
}

void Queue::key(Key k, bool down) {
  if (k != Key::Count) push({.type = Action::Key, .code = int(k), .down = down});
}

void Queue::mods(uint8_t bits) { push({.type = Action::Mods, .code = bits}); }

void Queue::cancel_press() {
  push({Action::MousePos, kNowhere, kNowhere});
  push({.type = Action::MouseButton, .code = 0, .down = false, .press = true});
}

void Queue::touch_down(const Pointer& e) {
  Touch& t = touch_;
  if (t.state == Touch::Idle) {
    fling_.on = false;  // a finger stops a fling
    t = Touch{};
    t.state = Touch::Pressed;
    t.id = e.id;
    t.x0 = t.x = e.x, t.y0 = t.y = e.y;
    t.down_ms = e.ms;
    t.recent.push_back(e);
    push({Action::MousePos, e.x, e.y});
    Action press{.type = Action::MouseButton, .code = 0, .down = true};
    press.press = true;
    push(press);
    return;
  }
  if (t.id2 >= 0 || t.state == Touch::Ending) return;  // a third finger: ignored
  // A second finger: the two pinch (the first's press, if it was one, is let go without a click).
  if (t.state == Touch::Pressed || t.state == Touch::DragWidget) cancel_press();
  t.state = Touch::Pinch;
  t.id2 = e.id;
  t.x2 = e.x, t.y2 = e.y;
}

void Queue::touch_move(const Pointer& e) {
  Touch& t = touch_;
  if (t.state == Touch::Pinch && (e.id == t.id || e.id == t.id2)) {
    const float mx = (t.x + t.x2) / 2, my = (t.y + t.y2) / 2, d = distance(t.x, t.y, t.x2, t.y2);
    (e.id == t.id ? t.x : t.x2) = e.x;
    (e.id == t.id ? t.y : t.y2) = e.y;
    const float nx = (t.x + t.x2) / 2, ny = (t.y + t.y2) / 2, nd = distance(t.x, t.y, t.x2, t.y2);
    push({.type = Action::Zoom, .x = nx, .y = ny, .dx = nx - mx, .dy = ny - my, .factor = d > 0 ? nd / d : 1});
    return;
  }
  if (e.id != t.id) return;
  const float px = t.x, py = t.y;
  t.x = e.x, t.y = e.y;
  t.recent.push_back(e);
  while (t.recent.size() > 2 && t.recent.front().ms < e.ms - tuning_.velocity_ms) t.recent.pop_front();
  switch (t.state) {
    case Touch::Pressed:
      if (distance(t.x0, t.y0, e.x, e.y) <= slop_px()) return;
      t.far = true;
      if (t.press_seen) decide_drag();
      return;
    case Touch::DragWidget:
    case Touch::LongPress:  // the hover follows the finger: its tooltip with it
      if (!queue_.empty() && queue_.back().type == Action::MousePos) queue_.pop_back();
      push({Action::MousePos, e.x, e.y});
      return;
    case Touch::Scrolling:
      push({.type = Action::Scroll, .x = t.x0, .y = t.y0, .dx = e.x - px, .dy = e.y - py});
      return;
    default:
      return;
  }
}

void Queue::decide_drag() {
  Touch& t = touch_;
  if (t.took_drag) {
    t.state = Touch::DragWidget;
    push({Action::MousePos, t.x, t.y});
    return;
  }
  // Not a widget that drags: the press is let go without a click, and the content follows the finger.
  t.state = Touch::Scrolling;
  cancel_press();
  push({.type = Action::Scroll, .x = t.x0, .y = t.y0, .dx = t.x - t.x0, .dy = t.y - t.y0});
}

void Queue::touch_up(const Pointer& e, bool cancelled) {
  Touch& t = touch_;
  if (t.state == Touch::Pinch || t.state == Touch::Ending) {
    if (e.id == t.id2) t.id2 = -1;
    else if (e.id == t.id) t.id = -1;
    else return;
    // The pinch is over when one finger lifts; the other ends it when it lifts too.
    t.state = t.id < 0 && t.id2 < 0 ? Touch::Idle : Touch::Ending;
    return;
  }
  if (e.id != t.id) return;
  switch (t.state) {
    case Touch::Pressed:
      if (cancelled) {
        cancel_press();
      } else if (t.far) {  // a flick over before a frame showed what it pressed: a scroll, and a fling
        t.took_drag = false;
        decide_drag();
        start_fling(e.ms);
      } else {  // a tap: released where it was, so the hover (and a tooltip) stays until the next touch
        push({Action::MousePos, e.x, e.y});
        push({.type = Action::MouseButton, .code = 0, .down = false});
      }
      break;
    case Touch::DragWidget:
      push({.type = Action::MouseButton, .code = 0, .down = false});
      break;
    case Touch::Scrolling:
      if (!cancelled) start_fling(e.ms);
      break;
    default:
      break;  // a long press: the hover stays where the finger lifted
  }
  t.state = Touch::Idle;
  t.id = -1;
}

void Queue::start_fling(double ms) {
  // The finger's speed over its last moves; none if it rested before it lifted.
  const Touch& t = touch_;
  if (t.recent.size() < 2 || ms - t.recent.back().ms > tuning_.lift_gap_ms) return;
  const Pointer& b = t.recent.back();
  size_t i = t.recent.size() - 1;
  while (i > 0 && t.recent[i - 1].ms >= b.ms - tuning_.velocity_ms) --i;
  const Pointer& a = t.recent[i];
  const double span = b.ms - a.ms;
  if (span <= 0) return;
  fling_ = {true, float((b.x - a.x) / span), float((b.y - a.y) / span), t.x0, t.y0, ms};
  if (std::hypot(fling_.vx, fling_.vy) < tuning_.fling_min * scale_) fling_.on = false;
}

std::vector<Action> Queue::frame(double ms) {
  Touch& t = touch_;
  if (t.state == Touch::Pressed && t.press_seen && !t.took_drag && !t.far && ms - t.down_ms >= tuning_.long_press_ms) {
    // A long press hovers: the press is let go and the pointer put back under the finger.
    cancel_press();
    push({Action::MousePos, t.x, t.y});
    t.state = Touch::LongPress;
  }
  if (fling_.on) {
    // The distance an exponentially slowing fling covers in dt, whatever the frame rate.
    const double dt = std::max(0.0, ms - fling_.last_ms), tau = tuning_.fling_tau_ms;
    const float moved = float(tau * (1 - std::exp(-dt / tau))), decay = float(std::exp(-dt / tau));
    push({.type = Action::Scroll, .x = fling_.x, .y = fling_.y, .dx = fling_.vx * moved, .dy = fling_.vy * moved});
    fling_.vx *= decay, fling_.vy *= decay;
    fling_.last_ms = ms;
    if (std::hypot(fling_.vx, fling_.vy) < tuning_.fling_min * scale_) fling_.on = false;
  }

  std::vector<Action> out;
  uint32_t buttons = 0, keys = 0;
  bool mods = false, moved = false;
  while (!queue_.empty()) {
    const Action& a = queue_.front();
    if (a.type == Action::MouseButton) {
      if (buttons & (1u << a.code)) break;  // its second change waits: ImGui would see neither
      // A finger lands where the pointer was not: ImGui sees it hover there for a frame before the press
      // (a widget that overlaps others, a tab, is pressed only where it was hovered the frame before).
      if (a.press && a.down && moved) break;
      buttons |= 1u << a.code;
    } else if (a.type == Action::MousePos) {
      if (buttons) break;  // a click happens where the press was; the pointer moves on next frame
      moved = true;
    } else if (a.type == Action::Key) {
      if (keys & (1u << a.code)) break;
      keys |= 1u << a.code;
    } else if (a.type == Action::Mods) {
      if (mods || buttons || keys) break;  // a modifier changes before what it modifies
      mods = true;
    }
    if (a.press && a.down) press_in_frame_ = true;
    out.push_back(a);
    queue_.pop_front();
  }
  return out;
}

void Queue::frame_done(bool press_took_drag) {
  if (!press_in_frame_) return;
  press_in_frame_ = false;
  Touch& t = touch_;
  if (t.state != Touch::Pressed) return;
  t.press_seen = true;
  t.took_drag = press_took_drag;
  if (t.far) decide_drag();
}

}  // namespace web::input
