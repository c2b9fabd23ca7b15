// Browser entry point: GLFW window on the page's canvas, Dear ImGui with the
// GLFW + OpenGL ES 3 backends, the main loop, and high-DPI handling.
// One of the two files that know about Emscripten (the other is bridge.cpp).
#include <GLFW/glfw3.h>
#include <emscripten/emscripten.h>
#include <emscripten/html5.h>
#include <emscripten/html5_webgl.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "imgui.h"
#include "imgui_impl_glfw.h"
#include "imgui_impl_opengl3.h"
#include "panels/app.h"
#include "platform/wheel.h"
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
  GLFWwindow* glfw = nullptr;
  bool context_lost = false;    // WebGL context lost: draw nothing until it is restored
  bool trap_requested = false;  // test hook: trap inside the next frame (see ap_debug_trap)
  float scale = 0;              // device pixel ratio the fonts and style were built for
  int width = 0, height = 0;    // canvas size in device pixels
  bool first_frame_done = false;
};
Window g_win;

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
EM_JS(void, js_pick_file, (), { Module.apPage.pickFile(); });
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
EM_JS(char*, js_start_link, (), {
  const s = Module.apPage.startLink();
  const size = lengthBytesUTF8(s) + 1, p = _malloc(size);
  stringToUTF8(s, p, size);
  return p;
});

// Everything ImGui draws is sized in device pixels: the font is rasterised at
// 15 CSS px x devicePixelRatio and the style scaled to match, so text is
// sharp on high-DPI screens instead of a 1x atlas stretched by the browser.
void build_fonts_and_style(float scale) {
  ImGuiIO& io = ImGui::GetIO();
  io.Fonts->Clear();
  ImFontConfig cfg;
  cfg.FontDataOwnedByAtlas = false;  // the TTF is static data embedded at build time
  cfg.OversampleH = 2;
  static const ImWchar ranges[] = {0x0020, 0x024F,  // Latin, Latin-1, Latin Extended-A/B
                                   0x0370, 0x03FF,  // Greek
                                   0x0400, 0x04FF,  // Cyrillic
                                   0x1D00, 0x1DBF,  // phonetic extensions (the ᵀ of Kᵀ)
                                   0x2000, 0x22FF,  // punctuation, super/subscripts, arrows, maths (√ · − ∞)
                                   0x2423, 0x2423,  // ␣, how GPT-2's tokens show their leading space
                                   0x25A0, 0x25FF,  // geometric shapes
                                   0};
  io.Fonts->AddFontFromMemoryTTF(const_cast<unsigned char*>(font_ui_ttf), int(font_ui_ttf_size),
                                 std::round(15.0f * scale), &cfg, ranges);
  ImGui_ImplOpenGL3_DestroyFontsTexture();
  ImGui_ImplOpenGL3_CreateFontsTexture();

  ImGuiStyle style;
  ImGui::StyleColorsDark(&style);
  style.WindowRounding = 0;
  style.FrameRounding = 3;
  style.WindowBorderSize = 0;
  style.ScaleAllSizes(scale);
  ImGui::GetStyle() = style;
}

// Keeps the canvas backing store at CSS size x devicePixelRatio.
void sync_canvas_size() {
  double css_w = 0, css_h = 0;
  emscripten_get_element_css_size("#canvas", &css_w, &css_h);
  const float scale = float(emscripten_get_device_pixel_ratio());
  const int w = std::max(1, int(std::lround(css_w * scale))), h = std::max(1, int(std::lround(css_h * scale)));
  if (w != g_win.width || h != g_win.height) {
    // Not glfwSetWindowSize: Emscripten's GLFW requests fullscreen when the size
    // equals the screen's. The backend's window size is overridden in frame().
    emscripten_set_canvas_element_size("#canvas", w, h);
    g_win.width = w;
    g_win.height = h;
  }
  if (scale != g_win.scale) {
    g_win.scale = scale;
    build_fonts_and_style(scale);
  }
}

// The wheel, in ImGui's units and sign, from the DOM event (see wheel.h).
EM_BOOL on_wheel(int, const EmscriptenWheelEvent* e, void*) {
  ImGuiIO& io = ImGui::GetIO();
  const auto mode = web::WheelMode(e->deltaMode);
  // A line is a row of text with its spacing; a page, the canvas's height of them.
  const double font = ImGui::GetFontSize(), line = ImGui::GetTextLineHeightWithSpacing();
  const double page_lines = line > 0 ? g_win.height / line : 20;
  io.MouseWheel += web::imgui_wheel(web::wheel_lines(e->deltaY, mode, page_lines), line, font);
  io.MouseWheelH += web::imgui_wheel(web::wheel_lines(e->deltaX, mode, page_lines), line, font);
  return EM_TRUE;  // the page itself does not scroll
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

void frame() {
  if (g_win.trap_requested) __builtin_trap();  // a real wasm trap, inside the main loop
  if (g_win.context_lost) return;
  sync_canvas_size();
  glfwPollEvents();
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  // The backend derives sizes from GLFW; state them in device pixels, 1:1.
  ImGuiIO& io = ImGui::GetIO();
  io.DisplaySize = ImVec2(float(g_win.width), float(g_win.height));
  io.DisplayFramebufferScale = ImVec2(1, 1);
  ImGui::NewFrame();
  // The page's own work this frame (compute slices, training, panels, texture
  // uploads), apart from handing the drawing to GL: what the JS API reports.
  const double t0 = emscripten_get_now();
  web::draw_app(*web::g_app, io.DisplaySize.x, io.DisplaySize.y, g_win.scale);
  web::Session& session = web::g_app->session;
  session.longest_frame_ms = std::max(session.longest_frame_ms, emscripten_get_now() - t0);
  ImGui::Render();
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

int main() {
  if (!glfwInit()) {
    report_fatal("GLFW could not start.");
    return 1;
  }
  glfwWindowHint(GLFW_CLIENT_API, GLFW_OPENGL_ES_API);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  g_win.glfw = glfwCreateWindow(1280, 800, "Attention Playground", nullptr, nullptr);
  if (!g_win.glfw) {
    report_fatal("WebGL2 could not be started on the canvas.");
    return 1;
  }
  glfwMakeContextCurrent(g_win.glfw);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;  // the layout is fixed; nothing to save
  ImGui_ImplGlfw_InitForOpenGL(g_win.glfw, true);
  glfwSetScrollCallback(g_win.glfw, nullptr);  // the wheel comes from on_wheel instead (platform/wheel.h)
  emscripten_set_wheel_callback("#canvas", nullptr, EM_TRUE, on_wheel);
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
  app.platform.pick_file = [] { js_pick_file(); };
  app.platform.model_request = [](const std::string& json) { js_model_request(json.c_str()); };
  char* start = js_start_link();
  web::apply_link(app.session, start);
  free(start);
  emscripten_set_main_loop(frame, 0, false);
  return 0;
}
