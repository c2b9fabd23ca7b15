// JSON mapping of Config: every field through the field table (fields.h),
// with nlohmann-json doing the parsing.
#include "config/json.h"

#include <nlohmann/json.hpp>

#include "config/fields.h"

namespace ap {

using nlohmann::json;

const std::vector<std::string>& config_fields() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const Field& f : config_fields_table()) n.emplace_back(f.name);
    return n;
  }();
  return names;
}

std::string config_to_json(const Config& c) {
  json j = json::object();
  for (const Field& f : config_fields_table()) j[f.name] = f.get(c);
  // Invalid UTF-8 never gets into a Config (validate refuses it); replace rather than throw anyway.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

ConfigUpdate apply_config_json(const Config& base, std::string_view text, bool validate_result) {
  ConfigUpdate up{base, {}};
  const json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    up.errors.push_back("the config is not valid JSON");
    return up;
  }
  if (!j.is_object()) {
    up.errors.push_back(std::string("the config must be a JSON object of fields, not ") + json_type_name(j));
    return up;
  }
  for (const auto& [key, v] : j.items()) {
    const Field* f = find_field(key);
    if (!f) {
      std::string known;
      for (const auto& name : config_fields()) known += (known.empty() ? "" : ", ") + name;
      up.errors.push_back("unknown config field \"" + key + "\" (known: " + known + ")");
      continue;
    }
    json value;
    std::string error;
    if (read_field(*f, v, value, error)) f->set(up.config, value);
    else up.errors.push_back(std::move(error));
  }
  if (up.errors.empty() && validate_result) up.errors = validate(up.config);
  return up;
}

}  // namespace ap
