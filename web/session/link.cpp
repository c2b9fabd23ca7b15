// The link (link.h): the config's fields through core/config/url.h, the
// page's own keys here.
#include "session/link.h"

#include <algorithm>
#include <cstdlib>

#include "config/url.h"
#include "train/url.h"

namespace web {
namespace {

// The page's own keys, and the training lab's settings (core/train/url.h).
const std::vector<std::string>& page_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k = {"panel", "head", "tensor", "embed"};
    for (const auto& t : ap::train::settings_keys()) k.push_back(t);
    return k;
  }();
  return keys;
}

}  // namespace

void apply_link(Session& s, const std::string& query) {
  ap::QueryApplied r = ap::apply_query(ap::Config{}, query, page_keys());
  s.notes = std::move(r.notes);
  std::vector<std::pair<std::string, std::string>> train_pairs;
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
}

std::string current_link(const Session& s) {
  std::string q = ap::config_to_query(s.config);
  q += "&panel=" + s.view.panel + "&head=" + std::to_string(s.view.head);
  if (s.view.panel == "tensors") q += "&tensor=" + s.view.tensor;
  if (s.view.panel == "train") q += "&" + ap::train::settings_to_query(s.train.settings);
  if (s.view.embed) q += "&embed=1";
  return q;
}

}  // namespace web
