// The link (link.h): the config's fields through core/config/url.h, the
// page's own keys here.
#include "session/link.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "config/url.h"
#include "train/url.h"

namespace web {
namespace {

// The page's own keys, and the training lab's settings (core/train/url.h).
const std::vector<std::string>& page_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k = {"panel",  "head",   "tensor",      "embed",      "model", "layer",
                                  "ablate", "lesson", "lesson_json", "lesson_url", "step"};
    for (const auto& t : ap::train::settings_keys()) k.push_back(t);
    return k;
  }();
  return keys;
}

// A repo id as hub.js accepts it: owner/name or name, each starting with a letter or digit, then also ._-
bool repo_id(const std::string& v) {
  if (v.empty() || v.size() > 193 || std::count(v.begin(), v.end(), '/') > 1) return false;
  for (size_t i = 0; i < v.size(); ++i) {
    const bool starts = i == 0 || v[i - 1] == '/';
    const unsigned char c = static_cast<unsigned char>(v[i]);
    if (!(std::isalnum(c) || (!starts && (c == '.' || c == '_' || c == '-' || (c == '/' && i + 1 < v.size())))))
      return false;
  }
  return true;
}

std::string value_of(const std::vector<std::pair<std::string, std::string>>& pairs, const std::string& key) {
  for (const auto& [k, v] : pairs)
    if (k == key) return v;
  return "";
}

}  // namespace

void apply_model_link(Session& s, const std::string& query) {
  ModelSession& m = *s.model;
  const ap::Gpt2Config& c = m.model.config;
  ap::QueryApplied first = ap::apply_query(ap::Config{}, query, page_keys());
  int layer = m.layer;
  if (const std::string v = value_of(first.other, "layer"); !v.empty()) {
    char* end = nullptr;
    const long l = std::strtol(v.c_str(), &end, 10);
    if (*end || l < 0 || l >= c.n_layer)
      s.notes.push_back("layer=" + v.substr(0, 20) + " ignored: not a layer of " + m.name);
    else layer = int(l);
  }
  ap::Gpt2Edits edits = m.edits;
  if (const std::string v = value_of(first.other, "ablate"); !v.empty()) {
    for (auto& row : edits.ablated) std::fill(row.begin(), row.end(), 0);
    size_t at = 0;
    while (at <= v.size()) {
      const size_t comma = std::min(v.find(',', at), v.size());
      const std::string head = v.substr(at, comma - at);
      int l = -1, h = -1;
      if (parse_head(head, l, h) && l < c.n_layer && h < c.n_head) edits.ablated[size_t(l)][size_t(h)] = 1;
      else s.notes.push_back("ablate: " + head.substr(0, 20) + " ignored: not a head (layer.head) of " + m.name);
      at = comma + 1;
    }
  }
  ap::Config base = edits.layers[size_t(layer)];
  base.text = m.text;
  ap::QueryApplied r = ap::apply_query(base, query, page_keys());
  for (auto& e : apply_model_edits(s, layer, r.config, edits)) s.notes.push_back("the link's model edits: " + e);
  ++s.outside_edits;
}

void apply_link(Session& s, const std::string& query) {
  ap::QueryApplied r = ap::apply_query(ap::Config{}, query, page_keys());
  s.notes = std::move(r.notes);
  std::vector<std::pair<std::string, std::string>> train_pairs;
  const std::string model = value_of(r.other, "model");
  if (!model.empty() && !repo_id(model)) s.notes.push_back("model ignored: not a repo id (owner/name)");
  if (!model.empty() && repo_id(model)) {
    for (const auto& [key, value] : r.other) {
      if (key == "panel") open_panel(s, value);
      else if (key == "head") s.view.head = std::clamp(std::atoi(value.c_str()), 0, 1000);
    }
    if (s.model && s.model->name == model) apply_model_link(s, query);
    else {
      // The model is not here: the GPT-2 tab asks before anything is downloaded, then applies the rest.
      s.fetch.link_repo = s.fetch.link_model = model;
      s.fetch.link_query = query;
      open_panel(s, "model");
    }
    return;
  }
  if (s.model) unload_model(s);  // a link without a model is the playground's
  for (const auto& [key, value] : r.other) {
    if (key.rfind("t_", 0) == 0) {
      train_pairs.emplace_back(key, value);
    } else if (key == "panel") {
      if (!open_panel(s, value)) s.notes.push_back("panel=" + value.substr(0, 40) + " ignored: not a panel name");
    } else if (key == "head" || key == "embed") {
      char* end = nullptr;
      const long v = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end || v < 0 || v > 1000) s.notes.push_back(key + " ignored: not a small whole number");
      else if (key == "head") s.view.head = int(v);
      else s.view.embed = v != 0;
    } else if (key == "tensor") {
      const auto& names = ap::tensor_names();
      if (std::find(names.begin(), names.end(), value) != names.end()) s.view.tensor = value;
      else s.notes.push_back("tensor ignored: not a tensor name");
    }
  }
  if (!(r.config == s.config) || s.generation == 0) apply_outside_edit(s, r.config);
  else ++s.outside_edits;
  if (!train_pairs.empty())
    for (auto& n : train_apply_link(s.train, train_pairs)) s.notes.push_back(std::move(n));
  s.view.head = std::clamp(s.view.head, 0, target_config(s).n_heads - 1);
  // A lesson (by id, or a teacher's packed into the link) and its step. With a step the link's state is
  // the learner's (the page's own links, a reload); without, the lesson starts from its start state.
  const std::string id = value_of(r.other, "lesson"), packed = value_of(r.other, "lesson_json");
  if (!id.empty() || !packed.empty()) {
    const std::string step = value_of(r.other, "step");
    char* end = nullptr;
    const long n = std::strtol(step.c_str(), &end, 10);
    const bool number = !step.empty() && !*end && n >= 0 && n < long(ap::lesson::Limits::max_steps);
    if (!step.empty() && !number) s.notes.push_back("step ignored: not a step number");
    const std::string which = packed.empty() ? id.substr(0, 60) : packed;
    if (const std::string e = open_lesson(s, which, number ? int(n) : -1, !number); !e.empty())
      s.notes.push_back((packed.empty() ? "lesson ignored: " : "lesson_json ignored: ") + e);
  } else {
    close_lesson(s);
  }
}

std::string current_link(const Session& s) {
  std::string q = ap::config_to_query(s.config);
  if (s.model && repo_id(s.model->name)) {  // not local files or a folder's URL: nothing a link could fetch
    const ModelSession& m = *s.model;
    q += "&model=" + m.name + "&layer=" + std::to_string(m.layer);
    std::string ablate;
    for (size_t l = 0; l < m.edits.ablated.size(); ++l)
      for (size_t h = 0; h < m.edits.ablated[l].size(); ++h)
        if (m.edits.ablated[l][h]) ablate += (ablate.empty() ? "" : ",") + std::to_string(l) + "." + std::to_string(h);
    if (!ablate.empty()) q += "&ablate=" + ablate;
  }
  q += "&panel=" + s.view.panel + "&head=" + std::to_string(s.view.head);
  if (s.view.panel == "tensors") q += "&tensor=" + s.view.tensor;
  if (s.view.panel == "train") q += "&" + ap::train::settings_to_query(s.train.settings);
  if (s.view.embed) q += "&embed=1";
  // A built-in lesson by its id, a teacher's as its JSON (it has no address of its own).
  if (const ap::lesson::Lesson* l = open_lesson(s)) {
    const bool teacher = s.lessons.teacher && s.lessons.teacher->id == l->id;
    q += teacher ? "&lesson_json=" + ap::percent_encode(s.lessons.teacher_json) : "&lesson=" + l->id;
    q += "&step=" + std::to_string(s.lessons.progress.at(l->id).step);
  }
  return q;
}

}  // namespace web
