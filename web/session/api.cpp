// The JS API's answers: see api.h.
#include "session/api.h"

#include <algorithm>

#include "config/json.h"
#include "train/url.h"

namespace web::api {

using nlohmann::json;

json set_config(Session& s, const std::string& text) {
  auto up = ap::apply_config_json(target_config(s), text);
  if (up.ok()) up.errors = apply_outside_edit(s, up.config);
  if (!up.ok()) return {{"ok", false}, {"errors", up.errors}};
  return {{"ok", true}, {"errors", up.errors}, {"pending", busy(s)}};
}

json computing(Session& s) {
  const double longest = s.longest_frame_ms;
  s.longest_frame_ms = 0;
  return {{"busy", busy(s)},
          {"phase", s.pending     ? "weights"
                    : s.finishing ? "outputs"
                                  : ""},
          {"progress", s.pending     ? s.pending->plan.progress()
                       : s.finishing ? s.finishing->progress()
                                     : 1.0},
          {"lastMs", s.compute_ms},
          {"weightsMs", s.weights_ms},
          {"longestSliceMs", s.pending ? s.pending->longest_slice_ms : s.longest_slice_ms},
          {"longestPieceMs", s.pending ? s.pending->plan.longest_piece_ms() : s.longest_piece_ms},
          {"longestFrameMs", longest}};
}

json open_panel(Session& s, const std::string& key) {
  if (web::open_panel(s, key)) return {{"ok", true}};
  std::string known;
  for (const auto& k : s.panel_keys) known += (known.empty() ? "" : ", ") + k;
  return {{"error", "unknown panel \"" + key + "\"; known: " + known}};
}

json panels(const Session& s) { return {{"panels", s.panel_keys}, {"current", s.view.panel}}; }

json analysis(Session& s) {
  ensure_scaling(s);
  advance_head_analysis(s, 1e300);
  const Derived& d = s.derived;
  json heads = json::array(), sim = json::array(), scaling = json::array(), steps = json::array();
  for (const auto& h : d.head_stats.stats)
    heads.push_back({{"entropy", h.entropy}, {"max_weight", h.max_weight}, {"distance", h.distance}});
  const ap::Mat& similarity = d.head_stats.similarity;
  for (Eigen::Index r = 0; r < similarity.rows(); ++r)
    sim.push_back(std::vector<float>(similarity.row(r).data(), similarity.row(r).data() + similarity.cols()));
  for (const auto& p : d.scaling)
    scaling.push_back({{"d_head", p.d_head},
                       {"entropy_scaled", p.entropy_scaled},
                       {"entropy_unscaled", p.entropy_unscaled},
                       {"max_weight_scaled", p.max_weight_scaled},
                       {"max_weight_unscaled", p.max_weight_unscaled},
                       {"jacobian_scaled", p.jacobian_scaled},
                       {"jacobian_unscaled", p.jacobian_unscaled}});
  for (const auto& st : s.trace.pipeline)
    steps.push_back({{"name", st.name},
                     {"formula", st.formula},
                     {"shape", st.shape},
                     {"axes", st.axes},
                     {"stage", st.stage},
                     {"view", st.view}});
  const ap::LayerCosts& c = d.costs;
  return {{"heads", heads},
          {"uniformEntropy", d.head_stats.uniform_entropy},
          {"similarity", sim},
          {"scaling", scaling},
          {"costs",
           {{"params", c.params},
            {"flops", c.flops},
            {"flops_projections", c.flops_projections},
            {"flops_attention", c.flops_attention},
            {"bytes_weights", c.bytes_weights},
            {"bytes_scores", c.bytes_scores},
            {"bytes_activations", c.bytes_activations}}},
          {"steps", steps}};
}

json train(Session& s, const std::string& request) {
  TrainSession& p = s.train;
  const json r = json::parse(request, nullptr, false);
  if (!r.is_object() || !r.contains("action") || !r["action"].is_string())
    return {{"error", "expected {\"action\": ...}"}};
  const std::string action = r["action"];
  train_ensure(p);
  if (action == "start") p.running = true;
  else if (action == "pause") p.running = false;
  else if (action == "step") p.pending_steps += std::clamp(r.value("steps", 1), 1, 100000);
  else if (action == "reset") train_restart(p, p.settings);
  else if (action == "settings") {
    const json& settings = r.value("settings", json::object());
    if (!settings.is_object()) return {{"error", "settings must be an object"}};
    const auto& keys = ap::train::settings_keys();
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const auto& [k, v] : settings.items()) {
      if (std::find(keys.begin(), keys.end(), "t_" + k) == keys.end()) {
        std::string known;
        for (const auto& key : keys) known += (known.empty() ? "" : ", ") + key.substr(2);
        return {{"error", "unknown training setting '" + k + "'; known: " + known}};
      }
      pairs.emplace_back("t_" + k, v.is_string()    ? v.get<std::string>()
                                   : v.is_boolean() ? (v.get<bool>() ? "1" : "0")
                                                    : v.dump());
    }
    auto applied = ap::train::apply_settings(p.settings, pairs);
    if (!applied.notes.empty()) return {{"error", applied.notes}};
    train_restart(p, applied.settings);
  } else if (action == "ablate") {
    const std::string e = train_ablate(p, r.value("layer", -1), r.value("head", -1), r.value("on", true));
    if (!e.empty()) return {{"error", e}};
  } else if (action != "state") {
    return {{"error", "unknown action '" + action + "'"}};
  }
  const ap::train::Trainer& t = *p.trainer;
  json weights = json::array();
  for (const auto& layer : p.probe.weights) {
    json heads = json::array();
    for (const auto& w : layer) heads.push_back(std::vector<double>(w.data(), w.data() + w.size()));
    weights.push_back(heads);
  }
  json losses = json::array();
  for (const auto& h : t.history()) losses.push_back(h.loss);
  return {{"step", t.step_count()},
          {"running", p.running},
          {"pending", p.pending_steps},
          {"link", ap::train::settings_to_query(p.settings)},
          {"eval", {{"loss", p.eval.loss}, {"accuracy", p.eval.accuracy}}},
          {"curve", {{"step", p.eval_steps}, {"loss", p.eval_loss}, {"accuracy", p.eval_accuracy}}},
          {"trainLoss", losses},
          {"stepsPerSecond", p.steps_per_second},
          {"longestSliceMs", p.longest_slice_ms},
          {"probe", {{"tokens", p.probe.labels}, {"predictions", p.probe.prediction_labels}, {"weights", weights}}}};
}

}  // namespace web::api
