// The JS API's answers: see api.h.
#include "session/api.h"

#include <algorithm>

#include "base/format.h"
#include "config/json.h"
#include "layer/trace.h"
#include "session/model.h"
#include "train/url.h"

namespace web::api {

using nlohmann::json;

namespace {

// "L.H" or [L, H]: a head of the model, or why not.
bool read_head(const json& v, int& layer, int& head) {
  if (v.is_array() && v.size() == 2 && v[0].is_number_integer() && v[1].is_number_integer()) {
    layer = v[0].get<int>(), head = v[1].get<int>();
    return true;
  }
  return v.is_string() && parse_head(v.get<std::string>(), layer, head);
}

// setConfig with a model loaded: the chosen layer's fields, and layer, ablate and layers.
json set_model_config(Session& s, const std::string& text) {
  ModelSession& m = *s.model;
  const ap::Gpt2Config& c = m.model.config;
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return {{"ok", false}, {"errors", {"setConfig needs a JSON object of fields"}}};
  std::vector<std::string> errors;
  int layer = m.layer;
  if (j.contains("layer")) {
    if (!j["layer"].is_number_integer() || j["layer"].get<int64_t>() < 0 || j["layer"].get<int64_t>() >= c.n_layer)
      errors.push_back(ap::format("layer must be a whole number from 0 to %d", c.n_layer - 1));
    else layer = j["layer"].get<int>();
    j.erase("layer");
  }
  ap::Gpt2Edits edits = m.edits;
  if (j.contains("ablate")) {
    const json& a = j["ablate"];
    if (!a.is_array()) errors.push_back("ablate must be a list of heads, e.g. [\"3.1\", \"5.2\"] or [[3, 1]]");
    else {
      for (auto& row : edits.ablated) std::fill(row.begin(), row.end(), 0);
      for (const json& v : a) {
        int l = -1, h = -1;
        if (!read_head(v, l, h) || l < 0 || l >= c.n_layer || h < 0 || h >= c.n_head) {
          errors.push_back(ap::format("ablate: %s is not a head of this model (layers 0 to %d, heads 0 to %d)",
                                      v.dump().substr(0, 20).c_str(), c.n_layer - 1, c.n_head - 1));
          break;
        }
        edits.ablated[size_t(l)][size_t(h)] = 1;
      }
    }
    j.erase("ablate");
  }
  if (j.contains("layers")) {
    const json& ls = j["layers"];
    if (!ls.is_object()) errors.push_back("layers must be an object of {\"layer\": {fields}}");
    else
      for (const auto& [key, fields] : ls.items()) {
        char* end = nullptr;
        const long l = std::strtol(key.c_str(), &end, 10);
        if (key.empty() || *end || l < 0 || l >= c.n_layer) {
          errors.push_back(
              ap::format("layers: \"%s\" is not a layer (0 to %d)", key.substr(0, 20).c_str(), c.n_layer - 1));
          continue;
        }
        auto up = ap::apply_config_json(edits.layers[size_t(l)], fields.dump(), false);
        for (const auto& e : up.errors) errors.push_back(ap::format("layer %ld: ", l) + e);
        edits.layers[size_t(l)] = up.config;
      }
    j.erase("layers");
  }
  ap::Config chosen = edits.layers[size_t(layer)];
  chosen.text = m.text;
  auto up = ap::apply_config_json(chosen, j.dump(), false);
  for (const auto& e : up.errors) errors.push_back(e);
  if (errors.empty()) errors = apply_model_edits(s, layer, up.config, edits);
  if (errors.empty()) ++s.outside_edits;
  if (!errors.empty()) return {{"ok", false}, {"errors", errors}};
  return {{"ok", true}, {"errors", json::array()}, {"pending", busy(s)}};
}

json scores_json(const std::vector<ap::TokenScore>& top, const ap::Gpt2Tokenizer& t) {
  json tokens = json::array(), ids = json::array(), probs = json::array();
  for (const auto& x : top) {
    tokens.push_back(t.token_display(x.token));
    ids.push_back(x.token);
    probs.push_back(x.probability);
  }
  return {{"tokens", tokens}, {"ids", ids}, {"probs", probs}};
}

}  // namespace

json set_config(Session& s, const std::string& text) {
  if (s.model) return set_model_config(s, text);
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

// [SECTION] a real GPT-2

json model_check(const std::string& config_json) {
  const ModelCheck c = check_model(config_json);
  json r = {{"ok", c.error.empty()}, {"error", c.error}, {"limitBytes", kModelWeightsLimit}};
  if (c.config.n_layer > 0)
    r.update({{"parameters", c.parameters},
              {"weightBytes", c.weight_bytes},
              {"layers", c.config.n_layer},
              {"heads", c.config.n_head},
              {"d_model", c.config.n_embd}});
  return r;
}

json model_info(const Session& s) {
  if (!s.model) return nullptr;
  const ModelSession& m = *s.model;
  const ap::Gpt2Config& c = m.model.config;
  json ablated = json::array();
  for (int l = 0; l < c.n_layer; ++l)
    for (int h = 0; h < c.n_head; ++h)
      if (m.edits.ablated[size_t(l)][size_t(h)]) ablated.push_back(ap::format("%d.%d", l, h));
  return {{"name", m.name},
          {"layers", c.n_layer},
          {"heads", c.n_head},
          {"d_model", c.n_embd},
          {"n_positions", c.n_positions},
          {"vocab", c.vocab_size},
          {"parameters", ap::gpt2_parameters(c)},
          {"weightBytes", m.model.bytes()},
          {"layer", m.layer},
          {"tokens", m.tokens.size()},
          {"ablated", ablated},
          {"forwardMs", m.forward_ms}};
}

json model_finish(Session& s) {
  const std::string e = finish_model_load(s);
  if (!e.empty()) return {{"ok", false}, {"errors", {e}}, {"info", nullptr}};
  return {{"ok", true}, {"errors", json::array()}, {"info", model_info(s)}};
}

json prediction(Session& s, int position) {
  if (!s.model) return {{"error", "no model is loaded: loadModel() first"}};
  ModelSession& m = *s.model;
  const int n = int(m.tokens.size());
  if (position >= n) return {{"error", ap::format("position %d is past the %d tokens", position, n)}};
  const Prediction* p = model_prediction_at(s, position < 0 ? n - 1 : position);
  if (!p) return {{"error", "the model is still computing: await playground.settled() first"}};
  json r = scores_json(p->top, *m.tokenizer);
  r["position"] = p->position;
  r["logprobs"] = p->logprob;
  r["uneditedLogprobs"] = p->unedited_logprob;
  r["unedited"] = scores_json(p->unedited_top, *m.tokenizer);
  return r;
}

json model_edit(Session& s, const std::string& request) {
  if (!s.model) return {{"error", "no model is loaded: loadModel() first"}};
  ModelSession& m = *s.model;
  const json r = json::parse(request, nullptr, false);
  if (!r.is_object() || !r.contains("action") || !r["action"].is_string())
    return {{"error", "expected {\"action\": ...}"}};
  const std::string action = r["action"];
  if (action == "ablate") {
    if (!r.contains("layer") || !r["layer"].is_number_integer() || !r.contains("head") ||
        !r["head"].is_number_integer())
      return {{"error", "ablate needs a layer and a head (whole numbers)"}};
    if (auto e = ablate_model_head(s, r["layer"], r["head"], r.value("on", true)); !e.empty()) return {{"error", e}};
  } else if (action == "clear") {
    clear_model_edits(s);
  } else if (action == "sample") {
    if (r.contains("temperature") && r["temperature"].is_number()) m.sampling.temperature = r["temperature"];
    if (r.contains("top_k") && r["top_k"].is_number_integer()) m.sampling.top_k = r["top_k"];
    if (r.contains("seed") && r["seed"].is_number_unsigned()) m.sampling.seed = r["seed"];
    while (model_busy(s)) advance_model(s, 1e300);
    const size_t notes = s.notes.size();
    if (append_sampled_token(s) < 0) return {{"error", s.notes.size() > notes ? s.notes.back() : "no token"}};
  } else if (action == "behaviour") {
    while (!advance_model_behaviour(s, 1e300))
      if (!m.behaviour_work) return {{"error", s.notes.empty() ? "could not measure" : s.notes.back()}};
  } else if (action != "state") {
    return {{"error", "unknown action '" + action + "'; known: ablate, clear, sample, behaviour, state"}};
  }
  json change = json::array();
  for (const auto& layer : m.attention_change) change.push_back(layer);
  json behaviour = nullptr;
  if (m.behaviour) {
    behaviour = json::object();
    for (int b = 0; b < ap::kBehaviourCount; ++b) {
      json grid = json::array();
      for (const auto& layer : m.behaviour->scores) {
        json row = json::array();
        for (const auto& head : layer) row.push_back(head[size_t(b)] ? json(*head[size_t(b)]) : json(nullptr));
        grid.push_back(row);
      }
      behaviour[ap::behaviours()[size_t(b)].key] = grid;
    }
  }
  return {{"info", model_info(s)}, {"text", m.text}, {"attentionChange", change}, {"behaviour", behaviour}};
}

json model_fetch(Session& s, const std::string& status) {
  const json j = json::parse(status, nullptr, false);
  if (!j.is_object()) return {{"ok", false}};
  ModelFetch& f = s.fetch;
  if (j.contains("phase")) {
    const std::string phase = j.value("phase", "");
    if (phase != f.phase && phase != "downloading") f.message.clear();
    f.phase = phase;
  }
  const auto text = [&](const char* key, std::string& out) {
    if (j.contains(key) && j[key].is_string()) out = j[key].get<std::string>();
  };
  const auto number = [&](const char* key, double& out) {
    if (j.contains(key) && j[key].is_number()) out = j[key].get<double>();
  };
  text("repo", f.repo);
  text("base", f.base);
  text("message", f.message);
  number("done", f.done);
  number("total", f.total);
  number("speed", f.speed);
  number("weights", f.weights_file);
  if (j.contains("check") && j["check"].is_object()) {
    f.parameters = j["check"].value("parameters", int64_t{0});
    f.weight_bytes = j["check"].value("weightBytes", 0.0);
  }
  if (j.contains("cached") && j["cached"].is_array()) {
    f.cached.clear();
    for (const json& c : j["cached"])
      if (c.is_object()) f.cached.push_back({c.value("repo", ""), c.value("base", ""), c.value("bytes", 0.0)});
    f.cached_known = true;
  }
  return {{"ok", true}};
}

json model_tensor(Session& s, const std::string& name, int head, int layer, std::vector<float>& data) {
  const ap::Trace* t = &s.trace;
  ap::Gpt2ChosenLayer other;
  if (layer >= 0 && (!s.model || layer != s.model->layer)) {
    if (!s.model) return {{"error", "layer applies to a loaded model only: loadModel() first"}};
    ModelSession& m = *s.model;
    if (model_busy(s)) return {{"error", "the model is still computing: await playground.settled() first"}};
    if (auto e = ap::gpt2_choose_layer(m.model, m.state, layer, m.token_text, other); !e.empty()) return {{"error", e}};
    t = &other.trace;
  }
  std::string error;
  auto td = ap::find_tensor(*t, name, head, &error);
  if (!td) return {{"error", error}};
  data = std::move(td->data);
  return {{"shape", td->shape}};
}

}  // namespace web::api
