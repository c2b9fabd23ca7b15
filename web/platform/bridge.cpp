// The C side of the JS API (web/api.js wraps these): JSON strings in and out,
// tensor data handed over as a pointer into the wasm heap for JS to copy.
#include <emscripten/emscripten.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "config/json.h"
#include "kernels/parallel.h"
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

// {"shape": [...], "ptr": byte offset, "length": floats} or {"error": "..."}; layer -1: the shown one.
EMSCRIPTEN_KEEPALIVE const char* ap_tensor(const char* name, int head, int layer) {
  nlohmann::json r = web::api::model_tensor(web::g_app->session, name, head, layer, g_tensor);
  if (r.contains("error")) return reply(r);
  r["ptr"] = reinterpret_cast<uintptr_t>(g_tensor.data());
  r["length"] = g_tensor.size();
  return reply(r);
}

// A lesson request (session/lessons.h): list, open, state, answer, next, go, hint, showMe, close.
EMSCRIPTEN_KEEPALIVE const char* ap_lesson(const char* request) {
  return reply(web::lesson_request(web::g_app->session, request));
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

EMSCRIPTEN_KEEPALIVE const char* ap_runtime() {
  const web::Runtime& r = web::g_app->runtime;
  return reply({{"threaded", r.threaded},
                {"isolated", r.isolated},
                {"threads", ap::threads()},
                {"maxThreads", r.most_threads},
                {"cores", r.cores},
                {"reason", r.reason},
                {"build", r.threaded ? "playground-threads.js" : "playground.js"}});
}

EMSCRIPTEN_KEEPALIVE int ap_set_threads(int n) { return web::set_thread_count(*web::g_app, n); }

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

// A learner's .npy, checked as their homework against `target` ("" for the open lesson step's, else by
// shape): the report (web::homework_json), with "error" when the file could not be read.
EMSCRIPTEN_KEEPALIVE const char* ap_homework(const char* name, const char* target, const char* data, int size) {
  web::Session& s = web::g_app->session;
  const std::string error = web::check_homework_file(s, name, std::string(data, size_t(size)), target);
  if (!error.empty()) s.notes.push_back(error);
  return reply(web::homework_json(s));
}

EMSCRIPTEN_KEEPALIVE const char* ap_homework_report() { return reply(web::homework_json(web::g_app->session)); }

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

// [SECTION] a real GPT-2: the files as platform/model.js receives them, and the model's answers

EMSCRIPTEN_KEEPALIVE const char* ap_model_check(const char* config_json) {
  return reply(web::api::model_check(config_json));
}

EMSCRIPTEN_KEEPALIVE const char* ap_model_begin(const char* name, const char* config_json, const char* size) {
  const std::string e = web::begin_model_load(web::g_app->session, name, config_json, std::strtoull(size, nullptr, 10));
  return reply({{"ok", e.empty()}, {"error", e}});
}

EMSCRIPTEN_KEEPALIVE const char* ap_model_file(const char* name, const char* data, int size) {
  const std::string e = web::add_model_file(web::g_app->session, name, std::string(data, size_t(size)));
  return reply({{"ok", e.empty()}, {"error", e}});
}

EMSCRIPTEN_KEEPALIVE const char* ap_model_feed(const char* data, int size) {
  const std::string e = web::feed_model_weights(web::g_app->session, data, size_t(size));
  return reply({{"ok", e.empty()}, {"error", e}});
}

EMSCRIPTEN_KEEPALIVE const char* ap_model_finish() { return reply(web::api::model_finish(web::g_app->session)); }

EMSCRIPTEN_KEEPALIVE void ap_model_cancel() { web::cancel_model_load(web::g_app->session); }

EMSCRIPTEN_KEEPALIVE void ap_model_unload() { web::unload_model(web::g_app->session); }

EMSCRIPTEN_KEEPALIVE const char* ap_model_info() { return reply(web::api::model_info(web::g_app->session)); }

EMSCRIPTEN_KEEPALIVE const char* ap_prediction(int position) {
  return reply(web::api::prediction(web::g_app->session, position));
}

EMSCRIPTEN_KEEPALIVE const char* ap_model_edit(const char* request) {
  return reply(web::api::model_edit(web::g_app->session, request));
}

EMSCRIPTEN_KEEPALIVE const char* ap_model_fetch(const char* status) {
  return reply(web::api::model_fetch(web::g_app->session, status));
}

// Where the heatmaps are on the canvas (device pixels), for tests and embedders.
EMSCRIPTEN_KEEPALIVE const char* ap_layout() {
  nlohmann::json maps = nlohmann::json::array();
  for (const auto& m : web::g_app->drawn)
    maps.push_back({{"head", m.head},
                    {"focus", m.focus},
                    {"layer", m.layer},
                    {"x", m.x},
                    {"y", m.y},
                    {"w", m.w},
                    {"h", m.h},
                    {"zoom", m.zoom},
                    {"hover", m.hover_row >= 0 ? nlohmann::json{m.hover_row, m.hover_col} : nlohmann::json()}});
  const web::App& app = *web::g_app;
  const auto box = [](const web::Box& b) { return nlohmann::json{{"x", b.x}, {"y", b.y}, {"w", b.w}, {"h", b.h}}; };
  nlohmann::json widgets = nlohmann::json::object();
  for (const auto& [name, b] : app.widgets) widgets[name] = box(b);
  nlohmann::json placed = nlohmann::json::object();
  for (const auto& f : app.controls.placed) placed[f.field] = {{"box", box(f.box)}, {"item", box(f.item)}};
  nlohmann::json tabs = nlohmann::json::object();
  for (const auto& [key, b] : app.tabs) tabs[key] = box(b);
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
                {"widgets", widgets},
                {"tabs", tabs},
                {"tooltip", app.tooltip ? box(*app.tooltip) : nlohmann::json()},
                {"missingGlyphs", app.missing_glyphs},
                {"focus", app.session.view.head},
                {"controls",
                 {{"scrollY", app.controls_scroll_y},
                  {"scrollMaxY", app.controls_scroll_max},
                  {"lineHeight", app.line_height},
                  {"fields", placed}}},
                {"windows", windows}});
}

}  // extern "C"
