// The C side of the JS API (web/api.js wraps these): JSON strings in and out,
// tensor data handed over as a pointer into the wasm heap for JS to copy.
#include <emscripten/emscripten.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "config/json.h"
#include "panels/app.h"
#include "session/api.h"
#include "session/files.h"
#include "session/link.h"

namespace web {
extern App* g_app;
}

namespace {

std::string g_reply;  // the last reply; JS copies it before the next call
std::vector<float> g_tensor;

const char* reply(const nlohmann::json& j) {
  g_reply = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return g_reply.c_str();
}

}  // namespace

extern "C" {

EMSCRIPTEN_KEEPALIVE const char* ap_get_config() {
  g_reply = ap::config_to_json(web::target_config(web::g_app->session));
  return g_reply.c_str();
}

EMSCRIPTEN_KEEPALIVE const char* ap_set_config(const char* json) {
  return reply(web::api::set_config(web::g_app->session, json));
}

EMSCRIPTEN_KEEPALIVE const char* ap_computing() { return reply(web::api::computing(web::g_app->session)); }

// {"shape": [...], "ptr": byte offset, "length": floats} or {"error": "..."}.
EMSCRIPTEN_KEEPALIVE const char* ap_tensor(const char* name, int head) {
  std::string error;
  auto td = ap::find_tensor(web::g_app->session.trace, name, head, &error);
  if (!td) return reply({{"error", error}});
  g_tensor = std::move(td->data);
  return reply(
      {{"shape", td->shape}, {"ptr", reinterpret_cast<uintptr_t>(g_tensor.data())}, {"length", g_tensor.size()}});
}

// The query tokens (keys = 0) or the key/value tokens (keys = 1).
EMSCRIPTEN_KEEPALIVE const char* ap_tokens(int keys) {
  const ap::Trace& t = web::g_app->session.trace;
  return reply(keys ? t.kv_tokens : t.q_tokens);
}

EMSCRIPTEN_KEEPALIVE const char* ap_open_panel(const char* name) {
  return reply(web::api::open_panel(web::g_app->session, name));
}

EMSCRIPTEN_KEEPALIVE const char* ap_panels() { return reply(web::api::panels(web::g_app->session)); }

EMSCRIPTEN_KEEPALIVE const char* ap_analysis() { return reply(web::api::analysis(web::g_app->session)); }

// Loads a link's fragment (back/forward, or the JS API): {"notes": [...]}.
EMSCRIPTEN_KEEPALIVE const char* ap_apply_link(const char* query) {
  web::apply_link(web::g_app->session, query);
  return reply({{"notes", web::g_app->session.notes}});
}

EMSCRIPTEN_KEEPALIVE const char* ap_link() {
  g_reply = web::current_link(web::g_app->session);
  return g_reply.c_str();
}

EMSCRIPTEN_KEEPALIVE const char* ap_notes() { return reply(web::g_app->session.notes); }

EMSCRIPTEN_KEEPALIVE void ap_set_online(int online) { web::g_app->session.online = online != 0; }

EMSCRIPTEN_KEEPALIVE void ap_request_png() { web::g_app->png_requested = true; }

EMSCRIPTEN_KEEPALIVE const char* ap_reset() {
  web::reset(web::g_app->session);
  return reply({{"ok", true}});
}

// An .npy file's bytes for role x, q, k or v: {"ok": true} or {"ok": false, "error": "..."}.
EMSCRIPTEN_KEEPALIVE const char* ap_import(const char* role, const char* data, int size) {
  web::Session& s = web::g_app->session;
  const std::string error = web::import_file(s, role, std::string(data, size_t(size)));
  if (!error.empty()) s.notes.push_back(error);
  return reply({{"ok", error.empty()}, {"error", error}});
}

// {"name", "mime", "ptr", "length"} of a file to export, or {"error"}.
EMSCRIPTEN_KEEPALIVE const char* ap_export(const char* kind, const char* tensor, int head) {
  static std::string bytes;
  web::ExportFile f = web::export_file(web::g_app->session, kind, tensor, head);
  if (!f.error.empty()) return reply({{"error", f.error}});
  bytes = std::move(f.bytes);
  return reply({{"name", f.name},
                {"mime", f.mime},
                {"ptr", reinterpret_cast<uintptr_t>(bytes.data())},
                {"length", bytes.size()}});
}

// The training lab: see web::api::train.
EMSCRIPTEN_KEEPALIVE const char* ap_train(const char* request) {
  return reply(web::api::train(web::g_app->session, request));
}

// Where the heatmaps are on the canvas (device pixels), for tests and embedders.
EMSCRIPTEN_KEEPALIVE const char* ap_layout() {
  nlohmann::json maps = nlohmann::json::array();
  for (const auto& m : web::g_app->drawn)
    maps.push_back({{"head", m.head}, {"focus", m.focus}, {"x", m.x}, {"y", m.y}, {"w", m.w}, {"h", m.h}});
  const web::App& app = *web::g_app;
  const auto box = [](const web::Box& b) { return nlohmann::json{{"x", b.x}, {"y", b.y}, {"w", b.w}, {"h", b.h}}; };
  nlohmann::json placed = nlohmann::json::object();
  for (const auto& [field, b] : app.controls.placed) placed[field] = box(b);
  nlohmann::json windows = nlohmann::json::array();
  for (const auto& w : app.windows)
    windows.push_back({{"name", w.name},
                       {"box", box(w.box)},
                       {"contentW", w.content_w},
                       {"visibleW", w.visible_w},
                       {"scrollsX", w.scrolls_x}});
  nlohmann::json grids = nlohmann::json::array();
  for (const auto& g : app.grids)
    grids.push_back({{"name", g.name},
                     {"rows", g.rows},
                     {"cols", g.cols},
                     {"inView", {{"row0", g.row0}, {"row1", g.row1}, {"col0", g.col0}, {"col1", g.col1}}}});
  return reply({{"heatmaps", maps},
                {"grids", grids},
                {"focus", app.session.view.head},
                {"controls",
                 {{"scrollY", app.controls_scroll_y},
                  {"scrollMaxY", app.controls_scroll_max},
                  {"lineHeight", app.line_height},
                  {"fields", placed}}},
                {"windows", windows}});
}

}  // extern "C"
