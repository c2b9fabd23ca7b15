// What the page's pointers, wheel and keys mean to ImGui, frame by frame.
// Dear ImGui 1.86 reads the mouse and the keys once a frame, so a press and
// its release that arrive in one frame (a quick tap, a fast click) are lost;
// and it knows nothing of fingers. Here events wait in a queue and each frame
// takes them up to the second change of any button or key (what ImGui 1.87's
// input queue does), and touches become gestures: a tap is a click, a long
// press hovers (tooltips), a drag scrolls unless the press took a widget that
// drags (a slider, a mask cell), and two fingers zoom and pan.
// No ImGui and no browser here (tested natively); platform/feed.cpp gives
// the actions to ImGui, platform/input.js sends the events.
#pragma once
#include <cfloat>
#include <cstdint>
#include <deque>
#include <string_view>
#include <vector>

namespace web::input {

enum class Device : uint8_t { Mouse, Touch, Pen };

// Keys ImGui 1.86 asks for, numbered as its ImGuiKey_ (feed.cpp maps them one to one).
enum class Key : uint8_t {
  Tab,
  LeftArrow,
  RightArrow,
  UpArrow,
  DownArrow,
  PageUp,
  PageDown,
  Home,
  End,
  Insert,
  Delete,
  Backspace,
  Space,
  Enter,
  Escape,
  KeyPadEnter,
  A,
  C,
  V,
  X,
  Y,
  Z,
  Count
};
// A DOM KeyboardEvent.code as a Key, or Key::Count for one ImGui does not use.
Key key_from_dom(std::string_view code);

// Modifier bits, as the page reports them with every event.
enum Mods : uint8_t { kCtrl = 1, kShift = 2, kAlt = 4, kSuper = 8 };

// One event from the page. Positions in canvas (device) pixels, time in ms.
struct Pointer {
  enum Type : uint8_t { Down, Move, Up, Cancel, Leave } type;  // Leave: a mouse left the canvas
  Device device = Device::Mouse;
  int id = 0;  // the DOM pointerId: fingers are told apart by it
  float x = 0, y = 0;
  int button = 0;  // 0 left, 1 right, 2 middle (mouse)
  double ms = 0;
};

// What ImGui is given. kNowhere as a position: no pointer over the canvas.
inline constexpr float kNowhere = -FLT_MAX;
struct Action {
  enum Type : uint8_t {
    MousePos,     // x, y
    MouseButton,  // code = button, down
    Wheel,        // dx, dy in ImGui wheel units (positive up), at the mouse
    Scroll,       // the content under (x, y) follows a finger by dx, dy canvas px
    Zoom,         // the view under (x, y) is scaled by `factor` about that point and moved by dx, dy px
    Key,          // code = Key, down
    Mods,         // code = Mods bits
  } type;
  float x = 0, y = 0, dx = 0, dy = 0, factor = 1;
  int code = 0;
  bool down = false;
  // A touch's press (down: the queue waits to hear what it took), or its cancelling (up, away from
  // everything: the widget it made active is let go, a text field it opened included).
  bool press = false;
};

struct Tuning {
  float slop = 10;             // CSS px a finger may wander and still tap
  double long_press_ms = 500;  // held this long without moving: hover instead of press
  double fling_tau_ms = 325;   // a fling's speed falls by e in this time (as iOS lists scroll)
  float fling_min = 0.05f;     // CSS px per ms below which a fling stops
  double velocity_ms = 100;    // a fling's speed is the finger's over its last ~100 ms of moves
  double lift_gap_ms = 150;    // a finger still this long before it lifts does not fling
};

class Queue {
 public:
  // Canvas pixels per CSS pixel (devicePixelRatio), for the distances in Tuning.
  void set_scale(float device_px_per_css) { scale_ = device_px_per_css > 0 ? device_px_per_css : 1; }
  void pointer(const Pointer& e);
  void wheel(float dx, float dy, Mods mods, float x, float y);  // ImGui units; with Ctrl it zooms
  void key(Key k, bool down);
  void mods(uint8_t bits);
  // The actions for the frame drawn at `ms`: queued ones up to the second
  // change of a button or key (the rest wait for the next frame), plus a
  // fling's scroll and a long press that came due.
  std::vector<Action> frame(double ms);
  // After that frame: whether the press it gave made a widget active that
  // takes the drag (feed.cpp asks ImGui). Until then a moving finger waits.
  void frame_done(bool press_took_drag);

  bool idle() const { return queue_.empty() && touch_.state == Touch::Idle && !fling_.on; }
  bool last_was_touch() const { return last_touch_; }

 private:
  struct Touch {
    enum State : uint8_t { Idle, Pressed, DragWidget, Scrolling, LongPress, Pinch, Ending } state = Idle;
    int id = -1, id2 = -1;
    float x0 = 0, y0 = 0, x = 0, y = 0;  // where the finger went down, where it is
    float x2 = 0, y2 = 0;                // the second finger (pinch)
    double down_ms = 0;
    bool press_seen = false;  // a frame has drawn the press (so took_drag is known)
    bool took_drag = false;
    bool far = false;            // it moved beyond the slop before took_drag was known
    std::deque<Pointer> recent;  // moves of the last velocity_ms, for a fling
  };
  struct Fling {
    bool on = false;
    float vx = 0, vy = 0, x = 0, y = 0;  // canvas px per ms, at the point it scrolls
    double last_ms = 0;
  };

  void push(Action a) { queue_.push_back(a); }
  void cancel_press();  // releases the button away from everything: no click
  void touch_down(const Pointer& e);
  void touch_move(const Pointer& e);
  void touch_up(const Pointer& e, bool cancelled);
  void decide_drag();  // the finger moved beyond the slop: drag the widget or scroll
  void start_fling(double ms);
  float slop_px() const { return tuning_.slop * scale_; }

  Tuning tuning_;
  float scale_ = 1;
  std::deque<Action> queue_;
  Touch touch_;
  Fling fling_;
  bool press_in_frame_ = false;  // the last frame() gave the touch's press
  bool last_touch_ = false;
};

}  // namespace web::input
