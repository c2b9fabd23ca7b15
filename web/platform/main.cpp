// Browser entry point: a WebGL2 context on the page's canvas, Dear ImGui with
// the OpenGL ES 3 backend and the page's own input (platform/input.js ->
// input.h -> feed.h), the main loop, and high-DPI handling.
// One of the two files that know about Emscripten (the other is bridge.cpp).
#include <emscripten/emscripten.h>
#include <emscripten/html5.h>
#include <emscripten/html5_webgl.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "imgui.h"
#include "imgui_impl_opengl3.h"
#include "panels/app.h"
#include "platform/feed.h"
#include "platform/input.h"
#include "platform/wheel.h"
#include "render/fonts.h"
#include "render/gl.h"
#include "render/heatmap.h"
#include "session/link.h"

extern const unsigned char font_ui_ttf[];
extern const std::size_t font_ui_ttf_size;

namespace web {
App* g_app = nullptr;  // read by bridge.cpp
}

namespace {

struct Window {
  EMSCRIPTEN_WEBGL_CONTEXT_HANDLE gl = 0;
  bool context_lost = false;    // WebGL context lost: draw nothing until it is restored
  bool trap_requested = false;  // test hook: trap inside the next frame (see ap_debug_trap)
  float scale = 0;              // device pixel ratio the fonts and style were built for
  int width = 0, height = 0;    // canvas size in device pixels
  bool first_frame_done = false;
  bool touch_style = false;    // the style has touch-sized targets
  double last_ms = 0;          // when the last frame began
  int cursor = -2;             // the mouse cursor the page shows (ImGuiMouseCursor)
  web::TextField field;        // the text field the page's textarea mirrors
  uint64_t saved_lessons = 0;  // the lessons' progress as last saved (Lessons::changes)
};
Window g_win;
web::input::Queue g_input;
web::Textarea g_textarea;  // the page's textarea as last polled

// Fonts beyond the embedded one, fetched when a text first needs them, and
// the code points the atlas must hold (see render/fonts.h).
struct Fonts {
  std::string bytes[web::fonts::kExtraFaces];  // [Face - 1]: each fetched face's file
  bool requested[web::fonts::kExtraFaces] = {};
  std::set<uint32_t> needed;                             // beyond the first atlas's ranges
  std::set<uint32_t> seen;                               // every character of the texts
  std::vector<ImWchar> ranges[web::fonts::kExtraFaces];  // what each merged face adds (alive until the atlas is built)
  bool dirty = false;                                    // rebuild the atlas before the next frame
  uint64_t seen_key = ~0ull;                             // what update_fonts last scanned
  std::string seen_preedit;
};
Fonts g_fonts;

EM_JS(void, notify_first_frame, (), {
  if (Module.apFirstFrame) Module.apFirstFrame();
});
EM_JS(void, report_fatal, (const char* msg), {
  if (Module.apFatal) Module.apFatal(UTF8ToString(msg));
});
// The page's side of web::Platform and of the URL: see web/api.js (Module.apPage).
EM_JS(void, js_download, (const char* name, const char* mime, const char* data, int size),
      { Module.apPage.download(UTF8ToString(name), UTF8ToString(mime), HEAPU8.slice(data, data + size)); });
EM_JS(void, js_copy_link, (), { Module.apPage.copyLink(); });
EM_JS(void, js_copy_text, (const char* text), { Module.apPage.copyText(UTF8ToString(text)); });
EM_JS(void, js_save_lessons, (const char* json), { Module.apPage.saveLessons(UTF8ToString(json)); });
EM_JS(char*, js_saved_lessons, (), {
  const s = Module.apPage.savedLessons();
  const size = lengthBytesUTF8(s) + 1, p = _malloc(size);
  stringToUTF8(s, p, size);
  return p;
});
EM_JS(void, js_pick_file, (), { Module.apPage.pickFile(); });
EM_JS(void, js_pick_homework, (), { Module.apPage.pickHomework(); });
EM_JS(void, js_model_request, (const char* json), { Module.apModel.request(UTF8ToString(json)); });
EM_JS(void, js_save_png, (float x, float y, float w, float h), { Module.apPage.savePng(x, y, w, h); });
EM_JS(void, js_set_link, (const char* query), { Module.apPage.setLink(UTF8ToString(query)); });
// The fragment to start from: the address's, else the last state saved on this device.
// window.apRuntime (start.js) as JSON.
EM_JS(char*, js_runtime, (), {
  const json = JSON.stringify(window.apRuntime || {});
  const bytes = lengthBytesUTF8(json) + 1;
  const out = _malloc(bytes);
  stringToUTF8(json, out, bytes);
  return out;
});
// The page's input side (web/platform/input.js, Module.apInput).
// Fetches fonts/<file> and hands it to ap_font_loaded (web/platform/api.js, Module.apFonts).
EM_JS(void, js_font_need, (const char* file), { Module.apFonts.need(UTF8ToString(file)); });
EM_JS(int, js_coarse_pointer, (), { return Module.apInput.coarse ? 1 : 0; });
EM_JS(void, js_set_cursor, (const char* css), { Module.apInput.setCursor(UTF8ToString(css)); });
EM_JS(void, js_text_field, (int active, float x, float y, const char* text, int a, int b),
      { Module.apInput.field(active, x, y, UTF8ToString(text), a, b); });
// The textarea's state as JSON if it changed since the last call, else null.
EM_JS(char*, js_textarea_poll, (), {
  const json = Module.apInput.poll();
  if (!json) return 0;  // (no === here: clang-format would split it)
  const size = lengthBytesUTF8(json) + 1, p = _malloc(size);
  stringToUTF8(json, p, size);
  return p;
});
EM_JS(char*, js_start_link, (), {
  const s = Module.apPage.startLink();
  const size = lengthBytesUTF8(s) + 1, p = _malloc(size);
  stringToUTF8(s, p, size);
  return p;
});

// Everything ImGui draws is sized in device pixels: the font is rasterised at
// 15 CSS px x devicePixelRatio and the style scaled to match, so text is
// sharp on high-DPI screens instead of a 1x atlas stretched by the browser.
// On a touch screen every target is at least 40 CSS px tall (checkboxes,
// +/- buttons and tabs are as tall as a frame), and a double tap may land
// further from the first than a double click.
constexpr float kFontCss = 15, kTouchTargetCss = 40;

void build_style(float scale, bool touch) {
  ImGuiStyle style;
  ImGui::StyleColorsDark(&style);
  style.WindowRounding = 0;
  style.FrameRounding = 3;
  style.WindowBorderSize = 0;
  if (touch) {
    style.FramePadding.y = (kTouchTargetCss - kFontCss) / 2 + 0.5f;  // ScaleAllSizes floors it
    style.ItemSpacing.y = 6;
    style.ScrollbarSize = 18;
    style.GrabMinSize = 24;
  }
  style.ScaleAllSizes(scale);
  ImGui::GetStyle() = style;
  ImGuiIO& io = ImGui::GetIO();
  io.MouseDoubleClickMaxDist = (touch ? 24 : 6) * scale;
  io.MouseDragThreshold = (touch ? 10 : 6) * scale;
}

// What the atlas still cannot draw (shown as �), for layout(): no font here, or one still on its way.
void find_missing_glyphs() {
  const ImFont* font = ImGui::GetIO().Fonts->Fonts[0];
  web::App& app = *web::g_app;
  app.missing_glyphs.clear();
  for (uint32_t cp : g_fonts.seen)
    if (!font->FindGlyphNoFallback(ImWchar(cp))) app.missing_glyphs.push_back(cp);
}

void build_fonts_and_style(float scale) {
  ImGuiIO& io = ImGui::GetIO();
  io.Fonts->Clear();
  ImFontConfig cfg;
  cfg.FontDataOwnedByAtlas = false;  // the TTF is static data embedded at build time
  cfg.OversampleH = 2;
  // ImWchar is 32-bit here (IMGUI_USE_WCHAR32), the ranges' own type.
  static_assert(sizeof(ImWchar) == sizeof(uint32_t));
  const ImWchar* ranges = reinterpret_cast<const ImWchar*>(web::fonts::kBaseRanges);
  const std::string_view ui(reinterpret_cast<const char*>(font_ui_ttf), font_ui_ttf_size);
  io.Fonts->AddFontFromMemoryTTF(const_cast<char*>(ui.data()), int(ui.size()), std::round(kFontCss * scale), &cfg,
                                 ranges);
  // The other faces, merged into it for exactly the characters the texts hold, their em as large as its.
  for (int f = 0; f < web::fonts::kExtraFaces; ++f) {
    std::vector<ImWchar>& r = g_fonts.ranges[f];
    r.clear();
    for (uint32_t cp : g_fonts.needed)
      if (int(web::fonts::face_for(cp)) == f + 1) r.insert(r.end(), {ImWchar(cp), ImWchar(cp)});
    const std::string_view ttf = g_fonts.bytes[f];
    if (r.empty() || ttf.empty()) continue;
    r.push_back(0);
    ImFontConfig merge;
    merge.MergeMode = true;
    merge.FontDataOwnedByAtlas = false;
    merge.OversampleH = 1;
    const float base = web::fonts::height_per_em(ui), face = web::fonts::height_per_em(ttf);
    const float px = base > 0 && face > 0 ? kFontCss * scale * face / base : kFontCss * scale;
    io.Fonts->AddFontFromMemoryTTF(const_cast<char*>(ttf.data()), int(ttf.size()), std::round(px), &merge, r.data());
  }
  ImGui_ImplOpenGL3_DestroyFontsTexture();
  ImGui_ImplOpenGL3_CreateFontsTexture();
  build_style(scale, g_win.touch_style);
  find_missing_glyphs();
}

// The code points the page's texts hold beyond the embedded font: the sentences, their tokens and an
// input method's preedit. New ones ask for their font (once) and a rebuilt atlas.
void update_fonts() {
  web::Session& s = web::g_app->session;
  // A model's predictions after hovered tokens come without a new generation: their count is in the key.
  const uint64_t key = s.generation * 1000003 + (s.model ? s.model->at.size() + 1 : 0);
  if (key == g_fonts.seen_key && g_textarea.preedit == g_fonts.seen_preedit) return;
  g_fonts.seen_key = key;
  g_fonts.seen_preedit = g_textarea.preedit;
  const size_t before = g_fonts.needed.size(), seen_before = g_fonts.seen.size();
  const auto scan = [](std::string_view text) {
    web::fonts::add_extra_codepoints(text, g_fonts.needed);
    web::fonts::each_codepoint(text, [](uint32_t cp) { g_fonts.seen.insert(cp); });
  };
  scan(s.config.text);
  scan(s.config.cross_text);
  for (const auto* tokens : {&s.trace.q_tokens, &s.trace.kv_tokens})
    for (const std::string& t : *tokens) scan(t);
  scan(g_fonts.seen_preedit);
  if (s.model && s.model->tokenizer) {  // GPT-2's next tokens, as its tab shows them
    const web::ModelSession& m = *s.model;
    const auto add = [&](const std::vector<ap::TokenScore>& top) {
      for (const ap::TokenScore& t : top) scan(m.tokenizer->token_display(t.token));
    };
    add(m.prediction.top);
    add(m.prediction.unedited_top);
    for (const auto& [position, p] : m.at) add(p.top);
  }
  if (g_fonts.needed.size() == before) {
    if (g_fonts.seen.size() != seen_before) find_missing_glyphs();  // only characters of the first atlas
    return;
  }
  g_fonts.dirty = true;
  for (uint32_t cp : g_fonts.needed) {
    const int f = int(web::fonts::face_for(cp)) - 1;
    if (f >= 0 && f < web::fonts::kExtraFaces && !g_fonts.requested[f]) {
      g_fonts.requested[f] = true;
      js_font_need(web::fonts::file_of(web::fonts::Face(f + 1)));
    }
  }
}

// Keeps the canvas backing store at CSS size x devicePixelRatio.
void sync_canvas_size() {
  double css_w = 0, css_h = 0;
  emscripten_get_element_css_size("#canvas", &css_w, &css_h);
  const float scale = float(emscripten_get_device_pixel_ratio());
  const int w = std::max(1, int(std::lround(css_w * scale))), h = std::max(1, int(std::lround(css_h * scale)));
  if (w != g_win.width || h != g_win.height) {
    emscripten_set_canvas_element_size("#canvas", w, h);
    g_win.width = w;
    g_win.height = h;
  }
  if (scale != g_win.scale) {
    g_win.scale = scale;
    g_input.set_scale(scale);
    build_fonts_and_style(scale);
  }
}

// A lost WebGL context (GPU reset, driver update, too many contexts) can be
// restored if the page asks: returning true makes Emscripten call preventDefault.
EM_BOOL on_context_lost(int, const void*, void*) {
  g_win.context_lost = true;
  return EM_TRUE;
}

// Every GL object died with the old context: make them again and redraw the same state.
EM_BOOL on_context_restored(int, const void*, void*) {
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplOpenGL3_Init("#version 300 es");
  build_fonts_and_style(g_win.scale);
  web::init_heatmap_shaders();
  web::drop_gpu_resources(*web::g_app);
  g_win.context_lost = false;
  return EM_TRUE;
}

// [SECTION] the page's textarea and cursor, kept in step with ImGui

// What the page's textarea holds now, into the active field (only when it changed).
void apply_textarea() {
  char* json = js_textarea_poll();
  if (!json) return;
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  free(json);
  if (!j.is_object()) return;
  web::Textarea& t = g_textarea;
  const bool was_focused = t.focused;
  t.focused = j.value("focused", false);
  t.value = j.value("value", std::string());
  t.sel_start = j.value("start", 0);
  t.sel_end = j.value("end", 0);
  t.backward = j.value("backward", false);
  t.preedit = j.value("preedit", std::string());
  web::apply_textarea(t, was_focused && !t.focused && j.value("blurred", false));
}

// The active text field and the mouse cursor, to the page when they change.
void report_to_page() {
  const web::TextField f = web::active_text_field();
  if (!(f == g_win.field)) {
    js_text_field(f.active, f.x, f.y, f.text.c_str(), f.sel_start, f.sel_end);
    g_win.field = f;
  }
  static const char* const kCursors[] = {"default",     "text",        "move",    "ns-resize",  "ew-resize",
                                         "nesw-resize", "nwse-resize", "pointer", "not-allowed"};
  const int c = ImGui::GetMouseCursor();
  if (c != g_win.cursor) {
    js_set_cursor(c >= 0 && c < int(std::size(kCursors)) ? kCursors[c] : "none");
    g_win.cursor = c;
  }
}

void frame() {
  if (g_win.trap_requested) __builtin_trap();  // a real wasm trap, inside the main loop
  if (g_win.context_lost) return;
  sync_canvas_size();
  update_fonts();
  if (web::g_app->session.lessons.changes != g_win.saved_lessons) {  // a step done, a hint read: kept on the device
    g_win.saved_lessons = web::g_app->session.lessons.changes;
    js_save_lessons(web::progress_json(web::g_app->session).c_str());
  }
  if (g_fonts.dirty) {
    g_fonts.dirty = false;
    build_fonts_and_style(g_win.scale);
  }
  const double now = emscripten_get_now();
  ImGuiIO& io = ImGui::GetIO();
  io.DeltaTime = g_win.last_ms > 0 ? float(std::max(1e-3, (now - g_win.last_ms) / 1000)) : 1.0f / 60;
  g_win.last_ms = now;
  io.DisplaySize = ImVec2(float(g_win.width), float(g_win.height));  // device pixels, 1:1
  io.DisplayFramebufferScale = ImVec2(1, 1);
  if (g_input.last_was_touch() && !g_win.touch_style) {  // a touch screen in use: targets for fingers
    g_win.touch_style = true;
    build_style(g_win.scale, true);
  }
  apply_textarea();
  web::feed(g_input.frame(now));
  ImGui_ImplOpenGL3_NewFrame();
  ImGui::NewFrame();
  // The page's own work this frame (compute slices, training, panels, texture
  // uploads), apart from handing the drawing to GL: what the JS API reports.
  const double t0 = emscripten_get_now();
  web::draw_app(*web::g_app, io.DisplaySize.x, io.DisplaySize.y, g_win.scale);
  web::Session& session = web::g_app->session;
  session.longest_frame_ms = std::max(session.longest_frame_ms, emscripten_get_now() - t0);
  web::draw_preedit(g_textarea.preedit);
  ImGui::Render();
  g_input.frame_done(web::press_took_drag());
  report_to_page();
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  glViewport(0, 0, g_win.width, g_win.height);
  glClearColor(0.08f, 0.08f, 0.1f, 1);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  web::App& app = *web::g_app;
  if (app.png_requested) {  // the drawing buffer holds this frame until the task ends
    app.png_requested = false;
    js_save_png(app.views_rect[0], app.views_rect[1], app.views_rect[2], app.views_rect[3]);
  }
  // The address follows what is on screen (the page decides push or replace).
  static std::string last_link;
  if (std::string link = web::current_link(app.session); link != last_link) {
    js_set_link(link.c_str());
    last_link = std::move(link);
  }
  if (!g_win.first_frame_done) {
    g_win.first_frame_done = true;
    notify_first_frame();
  }
}

}  // namespace

// Test hook for the end-to-end tests: the next frame executes a trap, so the
// page's handling of a crashed wasm module can be checked on the real path.
extern "C" EMSCRIPTEN_KEEPALIVE void ap_debug_trap() { g_win.trap_requested = true; }

// [SECTION] the page's events (platform/input.js), canvas pixels and ms; they wait in the queue for the next frame
extern "C" {
EMSCRIPTEN_KEEPALIVE void ap_input_pointer(int type, int device, int id, float x, float y, int button, double ms) {
  g_input.pointer({web::input::Pointer::Type(type), web::input::Device(device), id, x, y, button, ms});
}

// A wheel event's DOM deltas (deltaMode: platform/wheel.h) over the canvas point (x, y).
EMSCRIPTEN_KEEPALIVE void ap_input_wheel(double dx, double dy, int mode, int mods, float x, float y) {
  // A line is a row of text with its spacing; a page, the canvas's height of them.
  const double font = ImGui::GetFontSize(), line = ImGui::GetTextLineHeightWithSpacing();
  const double page_lines = line > 0 ? g_win.height / line : 20;
  const auto m = web::WheelMode(mode);
  g_input.wheel(web::imgui_wheel(web::wheel_lines(dx, m, page_lines), line, font),
                web::imgui_wheel(web::wheel_lines(dy, m, page_lines), line, font), web::input::Mods(mods), x, y);
}

EMSCRIPTEN_KEEPALIVE void ap_input_key(const char* dom_code, int down) {
  g_input.key(web::input::key_from_dom(dom_code), down != 0);
}

EMSCRIPTEN_KEEPALIVE void ap_input_mods(int bits) { g_input.mods(uint8_t(bits)); }

// A fetched font (fonts/<file>): kept, and merged into the atlas before the next frame.
EMSCRIPTEN_KEEPALIVE void ap_font_loaded(const char* file, const char* data, int size) {
  for (int f = 0; f < web::fonts::kExtraFaces; ++f)
    if (std::string(file) == web::fonts::file_of(web::fonts::Face(f + 1))) {
      g_fonts.bytes[f].assign(data, size_t(size));
      g_fonts.dirty = true;
    }
}
}

int main() {
  EmscriptenWebGLContextAttributes attrs;
  emscripten_webgl_init_context_attributes(&attrs);
  attrs.majorVersion = 2;  // WebGL2 = OpenGL ES 3.0
  attrs.minorVersion = 0;
  attrs.antialias = false;  // ImGui and the heatmaps draw pixel-exact; no multisampling
  g_win.gl = emscripten_webgl_create_context("#canvas", &attrs);
  if (g_win.gl <= 0 || emscripten_webgl_make_context_current(g_win.gl) != EMSCRIPTEN_RESULT_SUCCESS) {
    report_fatal("WebGL2 could not be started on the canvas.");
    return 1;
  }

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;  // the layout is fixed; nothing to save
  web::feed_init();
  g_win.touch_style = js_coarse_pointer() != 0;
  ImGui_ImplOpenGL3_Init("#version 300 es");
  if (!web::init_heatmap_shaders()) {
    report_fatal("The heatmap shaders failed to compile on this GPU.");
    return 1;
  }

  emscripten_set_webglcontextlost_callback("#canvas", nullptr, EM_FALSE, on_context_lost);
  emscripten_set_webglcontextrestored_callback("#canvas", nullptr, EM_FALSE, on_context_restored);

  static web::App app;
  web::g_app = &app;
  web::init_app(app);
  char* runtime = js_runtime();
  web::set_runtime(app, runtime);
  free(runtime);
  app.platform.download = [](const std::string& name, const std::string& mime, const std::string& bytes) {
    js_download(name.c_str(), mime.c_str(), bytes.data(), int(bytes.size()));
  };
  app.platform.copy_link = [] { js_copy_link(); };
  app.platform.copy_text = [](const std::string& text) { js_copy_text(text.c_str()); };
  app.platform.pick_file = [] { js_pick_file(); };
  app.platform.pick_homework = [] { js_pick_homework(); };
  app.platform.model_request = [](const std::string& json) { js_model_request(json.c_str()); };
  char* lessons = js_saved_lessons();
  web::restore_progress(app.session, lessons);
  free(lessons);
  g_win.saved_lessons = app.session.lessons.changes;
  char* start = js_start_link();
  web::apply_link(app.session, start);
  free(start);
  emscripten_set_main_loop(frame, 0, false);
  return 0;
}
