// JSON mapping of Config, with nlohmann-json doing the parsing.
#include "config_json.h"

#include <nlohmann/json.hpp>

namespace ap {
namespace {

using nlohmann::json;

const char* type_name(const json& v) {
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_null()) return "null";
  if (v.is_array()) return "an array";
  return "an object";
}

// Reads an integer field in [lo, hi]; 12.0 counts as 12, 12.5 does not.
bool read_int(const json& v, const std::string& key, long long lo, long long hi, long long& out,
              std::vector<std::string>& errors) {
  if (v.is_number_integer() || v.is_number_unsigned()) {
    out = v.is_number_unsigned() ? (long long)std::min<unsigned long long>(v.get<unsigned long long>(), 1ull << 62)
                                 : v.get<long long>();
  } else if (v.is_number_float() && v.get<double>() == (double)(long long)v.get<double>()) {
    out = (long long)v.get<double>();
  } else {
    errors.push_back(key + " must be a whole number, not " + (v.is_number() ? v.dump() : type_name(v)));
    return false;
  }
  if (out < lo || out > hi) {
    errors.push_back(key + " must be between " + std::to_string(lo) + " and " + std::to_string(hi) + " (got " +
                     std::to_string(out) + ")");
    return false;
  }
  return true;
}

bool read_bool(const json& v, const std::string& key, bool& out, std::vector<std::string>& errors) {
  if (!v.is_boolean()) {
    errors.push_back(key + " must be true or false, not " + type_name(v));
    return false;
  }
  out = v.get<bool>();
  return true;
}

}  // namespace

std::string config_to_json(const Config& c) {
  const json j = {{"text", c.text},     {"d_model", c.d_model}, {"n_heads", c.n_heads},
                  {"causal", c.causal}, {"seed", c.seed},       {"pad_to", c.pad_to},
                  {"bias", c.bias},     {"positional", c.positional}};
  // Invalid UTF-8 never gets into a Config (validate refuses it), so strict dumping is safe;
  // replace anyway rather than throw if that ever changes.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

ConfigUpdate apply_config_json(const Config& base, std::string_view text) {
  ConfigUpdate up{base, {}};
  const json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    up.errors.push_back("the config is not valid JSON");
    return up;
  }
  if (!j.is_object()) {
    up.errors.push_back(std::string("the config must be a JSON object of fields, not ") + type_name(j));
    return up;
  }
  Config& c = up.config;
  auto& errors = up.errors;
  for (const auto& [key, v] : j.items()) {
    long long n = 0;
    if (key == "text") {
      if (v.is_string()) c.text = v.get<std::string>();
      else errors.push_back(std::string("text must be a string, not ") + type_name(v));
    } else if (key == "d_model") {
      if (read_int(v, key, 1, Limits::max_d_model, n, errors)) c.d_model = int(n);
    } else if (key == "n_heads") {
      if (read_int(v, key, 1, Limits::max_heads, n, errors)) c.n_heads = int(n);
    } else if (key == "pad_to") {
      if (read_int(v, key, 0, Limits::max_tokens, n, errors)) c.pad_to = int(n);
    } else if (key == "seed") {
      if (read_int(v, key, 0, 0xFFFFFFFFll, n, errors)) c.seed = uint32_t(n);
    } else if (key == "causal") {
      read_bool(v, key, c.causal, errors);
    } else if (key == "bias") {
      read_bool(v, key, c.bias, errors);
    } else if (key == "positional") {
      read_bool(v, key, c.positional, errors);
    } else {
      errors.push_back("unknown config field \"" + key +
                       "\" (known: text, d_model, n_heads, causal, seed, pad_to, bias, positional)");
    }
  }
  if (errors.empty()) errors = validate(c);
  return up;
}

}  // namespace ap
