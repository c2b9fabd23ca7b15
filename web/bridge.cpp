// The C side of the JS API (web/api.js wraps these): JSON strings in and out,
// tensor data handed over as a pointer into the wasm heap for JS to copy.
#include <emscripten/emscripten.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "app.h"
#include "config/json.h"
#include "train/url.h"

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
  g_reply = ap::config_to_json(web::target_config(*web::g_app));
  return g_reply.c_str();
}

// {"ok": bool, "errors": [...]}; nothing changes unless ok.
EMSCRIPTEN_KEEPALIVE const char* ap_set_config(const char* json) {
  web::App& app = *web::g_app;
  auto up = ap::apply_config_json(web::target_config(app), json);
  if (up.ok()) up.errors = web::apply_config(app, up.config);
  if (up.ok()) {
    app.controls.synced = false;  // the widgets show the new config
    app.controls.errors.clear();
  }
  if (!up.ok()) return reply({{"ok", false}, {"errors", up.errors}});
  return reply({{"ok", true}, {"errors", up.errors}, {"pending", web::busy(app)}});
}

// Whether anything is being computed: {"busy", "phase" ("weights": a new trace up to its
// weights; "outputs": the shown trace's weights·V and output; "" when idle), "progress" (0..1
// of the phase), "lastMs" (the last finished trace, outputs included), "weightsMs" (from its
// edit to its weights on screen), "longestSliceMs", "longestPieceMs", "longestFrameMs" (the
// most a frame spent in the page's code since the last call)}.
EMSCRIPTEN_KEEPALIVE const char* ap_computing() {
  web::App& app = *web::g_app;
  const double longest = app.longest_frame_ms;
  app.longest_frame_ms = 0;
  return reply({{"busy", web::busy(app)},
                {"phase", app.pending ? "weights" : app.finishing ? "outputs" : ""},
                {"progress", app.pending ? app.pending->plan.progress() : app.finishing ? app.finishing->progress() : 1.0},
                {"lastMs", app.compute_ms},
                {"weightsMs", app.weights_ms},
                {"longestSliceMs", app.pending ? app.pending->longest_slice_ms : app.longest_slice_ms},
                {"longestPieceMs", app.pending ? app.pending->plan.longest_piece_ms() : app.longest_piece_ms},
                {"longestFrameMs", longest}});
}

// {"shape": [...], "ptr": byte offset, "length": floats} or {"error": "..."}.
EMSCRIPTEN_KEEPALIVE const char* ap_tensor(const char* name, int head) {
  std::string error;
  auto td = ap::find_tensor(web::g_app->trace, name, head, &error);
  if (!td) return reply({{"error", error}});
  g_tensor = std::move(td->data);
  return reply({{"shape", td->shape}, {"ptr", reinterpret_cast<uintptr_t>(g_tensor.data())}, {"length", g_tensor.size()}});
}

// The query tokens (keys = 0) or the key/value tokens (keys = 1).
EMSCRIPTEN_KEEPALIVE const char* ap_tokens(int keys) {
  return reply(keys ? web::g_app->trace.kv_tokens : web::g_app->trace.q_tokens);
}

// Selects a panel by name: {"ok": true} or {"error": "..."}.
EMSCRIPTEN_KEEPALIVE const char* ap_open_panel(const char* name) {
  if (auto p = web::panel_from_name(name)) {
    web::open_panel(*web::g_app, *p);
    return reply({{"ok", true}});
  }
  std::string known;
  for (int i = 0; i < int(web::Panel::Count); ++i) known += std::string(i ? ", " : "") + web::panel_name(web::Panel(i));
  return reply({{"error", std::string("unknown panel \"") + name + "\"; known: " + known}});
}

// {"panels": [names], "current": name}
EMSCRIPTEN_KEEPALIVE const char* ap_panels() {
  nlohmann::json names = nlohmann::json::array();
  for (int i = 0; i < int(web::Panel::Count); ++i) names.push_back(web::panel_name(web::Panel(i)));
  return reply({{"panels", names}, {"current", web::panel_name(web::g_app->panel)}});
}

// The numbers the panels show, as the core derived them (analysis.h).
EMSCRIPTEN_KEEPALIVE const char* ap_analysis() {
  web::ensure_scaling(*web::g_app);
  web::advance_head_analysis(*web::g_app, 1e300);
  const web::Derived& d = web::g_app->derived;
  nlohmann::json heads = nlohmann::json::array(), sim = nlohmann::json::array(), scaling = nlohmann::json::array();
  for (const auto& s : d.heads.stats) heads.push_back({{"entropy", s.entropy}, {"max_weight", s.max_weight}, {"distance", s.distance}});
  const ap::Mat& similarity = d.heads.similarity;
  for (Eigen::Index r = 0; r < similarity.rows(); ++r)
    sim.push_back(std::vector<float>(similarity.row(r).data(), similarity.row(r).data() + similarity.cols()));
  for (const auto& p : d.scaling)
    scaling.push_back({{"d_head", p.d_head}, {"entropy_scaled", p.entropy_scaled}, {"entropy_unscaled", p.entropy_unscaled},
                       {"max_weight_scaled", p.max_weight_scaled}, {"max_weight_unscaled", p.max_weight_unscaled},
                       {"jacobian_scaled", p.jacobian_scaled}, {"jacobian_unscaled", p.jacobian_unscaled}});
  const ap::LayerCosts& c = d.costs;
  return reply({{"heads", heads}, {"similarity", sim}, {"scaling", scaling},
                {"costs", {{"params", c.params}, {"flops", c.flops}, {"flops_projections", c.flops_projections},
                           {"flops_attention", c.flops_attention}, {"bytes_weights", c.bytes_weights},
                           {"bytes_scores", c.bytes_scores}, {"bytes_activations", c.bytes_activations}}},
                {"steps", [&] {
                   nlohmann::json steps = nlohmann::json::array();
                   for (const auto& s : web::g_app->trace.steps)
                     steps.push_back({{"name", s.name}, {"formula", s.formula}, {"shape", s.shape}, {"axes", s.axes}});
                   return steps;
                 }()}});
}

// Loads a link's fragment (back/forward, or the JS API): {"notes": [...]}.
EMSCRIPTEN_KEEPALIVE const char* ap_apply_link(const char* query) {
  web::apply_link(*web::g_app, query);
  return reply({{"notes", web::g_app->notes}});
}

EMSCRIPTEN_KEEPALIVE const char* ap_link() {
  g_reply = web::current_link(*web::g_app);
  return g_reply.c_str();
}

EMSCRIPTEN_KEEPALIVE const char* ap_notes() { return reply(web::g_app->notes); }

EMSCRIPTEN_KEEPALIVE void ap_set_online(int online) { web::g_app->online = online != 0; }

EMSCRIPTEN_KEEPALIVE void ap_request_png() { web::g_app->png_requested = true; }

EMSCRIPTEN_KEEPALIVE const char* ap_reset() {
  web::reset(*web::g_app);
  return reply({{"ok", true}});
}

// An .npy file's bytes for role x, q, k or v: {"ok": true} or {"ok": false, "error": "..."}.
EMSCRIPTEN_KEEPALIVE const char* ap_import(const char* role, const char* data, int size) {
  const std::string error = web::import_npy(*web::g_app, role, std::string(data, size_t(size)));
  if (!error.empty()) web::g_app->notes.push_back(error);
  web::g_app->controls.synced = false;
  return reply({{"ok", error.empty()}, {"error", error}});
}

// {"name", "mime", "ptr", "length"} of a file to export, or {"error"}.
EMSCRIPTEN_KEEPALIVE const char* ap_export(const char* kind, const char* tensor, int head) {
  static std::string bytes;
  web::ExportFile f = web::export_file(*web::g_app, kind, tensor, head);
  if (!f.error.empty()) return reply({{"error", f.error}});
  bytes = std::move(f.bytes);
  return reply({{"name", f.name}, {"mime", f.mime}, {"ptr", reinterpret_cast<uintptr_t>(bytes.data())}, {"length", bytes.size()}});
}

// The training lab: {"action": "start" | "pause" | "step" (with "steps") | "reset" |
// "settings" (with "settings": {...}) | "ablate" (with "layer", "head", "on") | "state"}.
// Replies with the lab's state, or {"error"} (and changes nothing).
EMSCRIPTEN_KEEPALIVE const char* ap_train(const char* request) {
  web::TrainPanel& p = web::g_app->train;
  const nlohmann::json r = nlohmann::json::parse(request, nullptr, false);
  if (!r.is_object() || !r.contains("action") || !r["action"].is_string()) return reply({{"error", "expected {\"action\": ...}"}});
  const std::string action = r["action"];
  web::train_ensure(p);
  if (action == "start") p.running = true;
  else if (action == "pause") p.running = false;
  else if (action == "step") p.pending_steps += std::clamp(r.value("steps", 1), 1, 100000);
  else if (action == "reset") web::train_restart(p, p.settings);
  else if (action == "settings") {
    const nlohmann::json& s = r.value("settings", nlohmann::json::object());
    if (!s.is_object()) return reply({{"error", "settings must be an object"}});
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const auto& [k, v] : s.items()) {
      if (std::find(ap::train::settings_keys().begin(), ap::train::settings_keys().end(), "t_" + k) == ap::train::settings_keys().end())
        return reply({{"error", "unknown training setting '" + k + "'; known: task, len, vocab, layers, heads, d_model, lr, batch, seed, ln, mlp"}});
      pairs.emplace_back("t_" + k, v.is_string() ? v.get<std::string>() : v.is_boolean() ? (v.get<bool>() ? "1" : "0") : v.dump());
    }
    auto applied = ap::train::apply_settings(p.settings, pairs);
    if (!applied.notes.empty()) return reply({{"error", applied.notes}});
    web::train_restart(p, applied.settings);
  } else if (action == "ablate") {
    const std::string e = p.trainer->set_ablated(r.value("layer", -1), r.value("head", -1), r.value("on", true));
    if (!e.empty()) return reply({{"error", e}});
    web::train_refresh(p);
  } else if (action != "state") {
    return reply({{"error", "unknown action '" + action + "'"}});
  }
  const ap::train::Trainer& t = *p.trainer;
  nlohmann::json weights = nlohmann::json::array();
  for (const auto& layer : p.probe.weights) {
    nlohmann::json heads = nlohmann::json::array();
    for (const auto& w : layer) heads.push_back(std::vector<double>(w.data(), w.data() + w.size()));
    weights.push_back(heads);
  }
  nlohmann::json losses = nlohmann::json::array();
  for (const auto& s : t.history()) losses.push_back(s.loss);
  return reply({{"step", t.steps()},
                {"running", p.running},
                {"pending", p.pending_steps},
                {"link", ap::train::settings_to_query(p.settings)},
                {"eval", {{"loss", p.eval.loss}, {"accuracy", p.eval.accuracy}}},
                {"curve", {{"step", p.eval_steps}, {"loss", p.eval_loss}, {"accuracy", p.eval_accuracy}}},
                {"trainLoss", losses},
                {"stepsPerSecond", p.steps_per_second},
                {"longestSliceMs", p.longest_slice_ms},
                {"probe", {{"tokens", p.probe.labels}, {"predictions", p.probe.prediction_labels}, {"weights", weights}}}});
}

// Where the heatmaps are on the canvas (device pixels), for tests and embedders.
EMSCRIPTEN_KEEPALIVE const char* ap_layout() {
  nlohmann::json maps = nlohmann::json::array();
  for (const auto& m : web::g_app->heads.drawn)
    maps.push_back({{"head", m.head}, {"focus", m.focus}, {"x", m.x}, {"y", m.y}, {"w", m.w}, {"h", m.h}});
  return reply({{"heatmaps", maps}, {"focus", web::g_app->heads.focus}});
}

}  // extern "C"
