// The page's UI around a Session: the controls window and the views window
// with one tab per panel of the registry. No Emscripten here: what the page
// must do (downloads, the file picker, the link) comes in as a Platform.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "panels/controls.h"
#include "panels/panel.h"
#include "session/files.h"
#include "session/session.h"

namespace web {

// What the app asks of the page it runs in (platform/main.cpp fills these in).
struct Platform {
  std::function<void(const std::string& name, const std::string& mime, const std::string& bytes)> download;
  std::function<void()> copy_link;
  std::function<void(const std::string& text)> copy_text;
  std::function<void()> pick_file;      // an .npy file picker; the file arrives through import_file
  std::function<void()> pick_homework;  // an .npy file picker; the file arrives through check_homework_file
  std::function<void(float x, float y, float w, float h)> save_png;  // canvas pixels of this frame
  // Asks the page's side for a model's files (platform/model.js): {"action": "lookup" | "download" |
  // "cancel" | "pick" | "cached" | "forget", "repo", "base"}; it reports back through Session::fetch.
  std::function<void(const std::string& request_json)> model_request;
};

// The "Share and export" section's own choices.
struct ShareSection {
  std::string tensor = "weights";
  int head = 0;
};

// A window (or child) drawn this frame, for layout(): its box, how far its
// content reached to the right (canvas pixels from its left edge) against the
// width it shows, and whether it scrolls sideways to reach the rest.
struct WindowBox {
  std::string name;
  Box box;
  float content_w = 0, visible_w = 0;
  bool scrolls_x = false;
};

struct App {
  Session session;
  Platform platform;
  Runtime runtime;
  ControlsPanel controls;
  ShareSection share;
  std::vector<std::unique_ptr<Panel>> panels;        // [panel_registry()]
  std::vector<DrawnMap> drawn;                       // heatmaps drawn this frame, for layout()
  std::vector<DrawnGrid> grids;                      // text grids drawn this frame, for layout()
  std::vector<std::pair<std::string, Box>> widgets;  // named widgets of the panels this frame, for layout()
  std::vector<WindowBox> windows;                    // every window drawn this frame, for layout()
  std::vector<std::pair<std::string, Box>> tabs;     // [panel key, its tab] this frame, for layout()
  std::optional<Box> tooltip;                        // the tooltip shown this frame, for layout()
  std::vector<uint32_t> missing_glyphs;              // code points the texts hold that no loaded font draws
  // The controls window's scroll this frame, for layout(): position, its largest, one line (canvas pixels).
  float controls_scroll_y = 0, controls_scroll_max = 0, line_height = 0;
  bool controls_folded = false;        // a narrow screen's controls folded away to one line (the views get the room)
  bool png_requested = false;          // save the views window as PNG once this frame is drawn
  uint64_t homework_seen = 0;          // Session::homework.arrivals when the homework section last showed one
  float views_rect[4] = {0, 0, 0, 0};  // x, y, w, h of the views window, canvas pixels
};

// Makes the panels of the registry and tells the session their keys.
void init_app(App& app);
// From window.apRuntime's JSON (start.js): the build, and the pool's size as the thread count.
void set_runtime(App& app, const std::string& json);
// Threads for the next loops, within the workers the page made; returns the count set.
int set_thread_count(App& app, int n);
// Forgets every GPU object (after a lost WebGL context); the panels make and
// fill new ones on their next frame.
void drop_gpu_resources(App& app);
// Saves an export through the platform, or notes why it cannot be made.
void download(App& app, const ExportFile& f);
// The "Share and export" section of the controls (share.cpp).
void draw_share_section(App& app);
// Applies what a panel (or a section of the controls) asked for.
void apply_edit(App& app, const PanelEdit& e);
// Draws every window into a canvas of width x height pixels; `scale` is the
// device pixel ratio (all ImGui sizes are in device pixels, for crisp text).
void draw_app(App& app, float width, float height, float scale);

}  // namespace web
