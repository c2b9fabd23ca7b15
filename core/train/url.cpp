// See url.h.
#include "train/url.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace ap::train {

namespace {

// Whole numbers within a wide sanity range; validate() states the real limits.
bool parse_int(const std::string& v, int& out) {
  if (v.empty() || v.size() > 10) return false;
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  if (*end || errno || x < -1000000000LL || x > 4294967295LL) return false;
  out = int(x);
  return true;
}

bool parse_double(const std::string& v, double& out) {
  if (v.empty() || v.size() > 32) return false;
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (*end || !std::isfinite(x)) return false;
  out = x;
  return true;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

const std::vector<std::string>& settings_keys() {
  static const std::vector<std::string> keys = {"t_task", "t_len",   "t_vocab", "t_layers", "t_heads", "t_d_model",
                                                "t_lr",   "t_batch", "t_seed",  "t_ln",     "t_mlp"};
  return keys;
}

std::string settings_to_query(const TrainSettings& s) {
  return std::string("t_task=") + task_info(s.task).key + "&t_len=" + std::to_string(s.length) +
         "&t_vocab=" + std::to_string(s.vocab) + "&t_layers=" + std::to_string(s.layers) +
         "&t_heads=" + std::to_string(s.n_heads) + "&t_d_model=" + std::to_string(s.d_model) +
         "&t_lr=" + number(s.learning_rate) + "&t_batch=" + std::to_string(s.batch) +
         "&t_seed=" + std::to_string(s.seed) + "&t_ln=" + (s.layer_norm ? "1" : "0") + "&t_mlp=" + (s.mlp ? "1" : "0");
}

SettingsApplied apply_settings(const TrainSettings& base,
                               const std::vector<std::pair<std::string, std::string>>& pairs) {
  SettingsApplied r{base, {}};
  TrainSettings& s = r.settings;
  for (const auto& [key, value] : pairs) {
    const std::string shown = value.substr(0, 40);
    bool ok = true;
    int i = 0;
    if (key == "t_task") {
      if (auto t = task_from_key(value)) s.task = *t;
      else ok = false;
    } else if (key == "t_lr") {
      ok = parse_double(value, s.learning_rate);
    } else if (key == "t_ln" || key == "t_mlp") {
      ok = value == "0" || value == "1";
      if (ok) (key == "t_ln" ? s.layer_norm : s.mlp) = value == "1";
    } else if (parse_int(value, i)) {
      if (key == "t_len") s.length = i;
      else if (key == "t_vocab") s.vocab = i;
      else if (key == "t_layers") s.layers = i;
      else if (key == "t_heads") s.n_heads = i;
      else if (key == "t_d_model") s.d_model = i;
      else if (key == "t_batch") s.batch = i;
      else if (key == "t_seed") s.seed = uint32_t(i);
    } else {
      ok = false;
    }
    if (!ok)
      r.notes.push_back(key + "=" + shown + " ignored: " +
                        (key == "t_task"                   ? "not a task (copy, reverse, prev, sort, induction)"
                         : key == "t_ln" || key == "t_mlp" ? "use 0 or 1"
                                                           : "not a number"));
  }
  auto errors = validate(s);
  if (!errors.empty()) {
    for (auto& e : errors) r.notes.push_back("training settings from the link not used: " + e);
    s = base;
  }
  return r;
}

}  // namespace ap::train
