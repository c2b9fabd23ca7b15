// JSON mapping of Config, with nlohmann-json doing the parsing.
#include "config_json.h"

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

namespace ap {
namespace {

using nlohmann::json;
using Errors = std::vector<std::string>;

const char* type_name(const json& v) {
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_null()) return "null";
  if (v.is_array()) return "an array";
  return "an object";
}

// Reads an integer in [lo, hi]; 12.0 counts as 12, 12.5 does not.
bool read_int(const json& v, const std::string& key, long long lo, long long hi, long long& out, Errors& errors) {
  if (v.is_number_unsigned()) {
    out = (long long)std::min<unsigned long long>(v.get<unsigned long long>(), 1ull << 62);
  } else if (v.is_number_integer()) {
    out = v.get<long long>();
  } else if (v.is_number_float() && std::abs(v.get<double>()) < 1e15 && v.get<double>() == std::floor(v.get<double>())) {
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

bool read_number(const json& v, const std::string& key, double& out, Errors& errors) {
  if (!v.is_number()) {
    errors.push_back(key + " must be a number, not " + type_name(v));
    return false;
  }
  out = v.get<double>();
  return true;
}

bool read_bool(const json& v, const std::string& key, bool& out, Errors& errors) {
  if (!v.is_boolean()) {
    errors.push_back(key + " must be true or false, not " + type_name(v));
    return false;
  }
  out = v.get<bool>();
  return true;
}

bool read_string(const json& v, const std::string& key, std::string& out, Errors& errors) {
  if (!v.is_string()) {
    errors.push_back(key + " must be a string, not " + type_name(v));
    return false;
  }
  out = v.get<std::string>();
  return true;
}

template <typename E>
bool read_enum(const json& v, const std::string& key, const std::vector<std::pair<const char*, E>>& names, E& out,
               Errors& errors) {
  std::string list;
  for (const auto& [name, value] : names) {
    if (v.is_string() && v.get<std::string>() == name) {
      out = value;
      return true;
    }
    list += std::string(list.empty() ? "" : ", ") + "\"" + name + "\"";
  }
  std::string got = type_name(v);
  if (v.is_string()) got = v.dump();  // quoted, as the caller wrote it
  errors.push_back(key + " must be one of " + list + ", not " + got);
  return false;
}

// A matrix field: an array of equal-length rows (shape is checked by validate()).
template <typename T>
bool read_matrix(const json& v, const std::string& key, std::vector<std::vector<T>>& out, Errors& errors,
                 const std::function<bool(const json&, T&)>& cell, const char* cell_kind) {
  if (v.is_null()) {
    out.clear();
    return true;
  }
  if (!v.is_array() || v.size() > size_t(Limits::max_tokens)) {
    errors.push_back(key + " must be an array of rows (at most " + std::to_string(Limits::max_tokens) + "), or null for none");
    return false;
  }
  std::vector<std::vector<T>> m;
  for (const auto& row : v) {
    if (!row.is_array() || row.size() > size_t(Limits::max_tokens)) {
      errors.push_back(key + " must be an array of rows, each an array of " + cell_kind);
      return false;
    }
    m.emplace_back();
    for (const auto& c : row) {
      T value{};
      if (!cell(c, value)) {
        errors.push_back(key + " entries must be " + cell_kind + ", not " + (c.is_primitive() ? c.dump() : type_name(c)));
        return false;
      }
      m.back().push_back(value);
    }
  }
  out = std::move(m);
  return true;
}

const std::vector<std::pair<const char*, FullyMasked>> kPolicies = {
    {"zero", FullyMasked::Zero}, {"nan", FullyMasked::NaN}, {"uniform", FullyMasked::Uniform}};
const std::vector<std::pair<const char*, Weights>> kWeights = {
    {"random", Weights::Random}, {"constructed", Weights::Constructed}};
const std::vector<std::pair<const char*, CausalAlign>> kAligns = {
    {"top_left", CausalAlign::TopLeft}, {"bottom_right", CausalAlign::BottomRight}};

using Reader = std::function<void(const json&, const std::string&, Config&, Errors&)>;

Reader int_field(int Config::*f, long long lo, long long hi) {
  return [=](const json& v, const std::string& k, Config& c, Errors& e) {
    long long n;
    if (read_int(v, k, lo, hi, n, e)) c.*f = int(n);
  };
}
Reader bool_field(bool Config::*f) {
  return [=](const json& v, const std::string& k, Config& c, Errors& e) { read_bool(v, k, c.*f, e); };
}
Reader number_field(double Config::*f) {
  return [=](const json& v, const std::string& k, Config& c, Errors& e) { read_number(v, k, c.*f, e); };
}
Reader string_field(std::string Config::*f) {
  return [=](const json& v, const std::string& k, Config& c, Errors& e) { read_string(v, k, c.*f, e); };
}

const std::map<std::string, Reader>& readers() {
  static const std::map<std::string, Reader> r = {
      {"text", string_field(&Config::text)},
      {"cross_text", string_field(&Config::cross_text)},
      {"pad_to", int_field(&Config::pad_to, 0, Limits::max_tokens)},
      {"d_model", int_field(&Config::d_model, 1, Limits::max_d_model)},
      {"n_heads", int_field(&Config::n_heads, 1, Limits::max_heads)},
      {"n_kv_heads", int_field(&Config::n_kv_heads, 0, Limits::max_heads)},
      {"seed", [](const json& v, const std::string& k, Config& c, Errors& e) {
         long long n;
         if (read_int(v, k, 0, 0xFFFFFFFFll, n, e)) c.seed = uint32_t(n);
       }},
      {"bias", bool_field(&Config::bias)},
      {"positional", bool_field(&Config::positional)},
      {"kv_cache", int_field(&Config::kv_cache, 0, Limits::max_tokens)},
      {"weights", [](const json& v, const std::string& k, Config& c, Errors& e) { read_enum(v, k, kWeights, c.weights, e); }},
      {"causal", bool_field(&Config::causal)},
      {"causal_align", [](const json& v, const std::string& k, Config& c, Errors& e) { read_enum(v, k, kAligns, c.causal_align, e); }},
      {"window", int_field(&Config::window, 0, Limits::max_tokens)},
      {"mask_pad_keys", bool_field(&Config::mask_pad_keys)},
      {"mask_pad_queries", bool_field(&Config::mask_pad_queries)},
      {"custom_mask", [](const json& v, const std::string& k, Config& c, Errors& e) {
         read_matrix<uint8_t>(v, k, c.custom_mask, e, [](const json& x, uint8_t& out) {
           if (x.is_boolean()) out = x.get<bool>();
           else if (x.is_number_integer() && (x.get<long long>() == 0 || x.get<long long>() == 1)) out = uint8_t(x.get<long long>());
           else return false;
           return true;
         }, "true/false (or 1/0): true = may attend");
       }},
      {"float_mask", [](const json& v, const std::string& k, Config& c, Errors& e) {
         read_matrix<float>(v, k, c.float_mask, e, [](const json& x, float& out) {
           if (x.is_string() && (x.get<std::string>() == "-inf" || x.get<std::string>() == "-Infinity")) out = -std::numeric_limits<float>::infinity();
           else if (x.is_number() && std::isfinite(x.get<double>()) && std::abs(x.get<double>()) <= 1e30) out = float(x.get<double>());
           else return false;
           return true;
         }, "finite numbers or \"-inf\"");
       }},
      {"fully_masked", [](const json& v, const std::string& k, Config& c, Errors& e) { read_enum(v, k, kPolicies, c.fully_masked, e); }},
      {"scale", number_field(&Config::scale)},
      {"temperature", number_field(&Config::temperature)},
      {"softcap", number_field(&Config::softcap)},
      {"dropout", number_field(&Config::dropout)},
  };
  return r;
}

}  // namespace

const std::vector<std::string>& config_fields() {
  static const std::vector<std::string> f = {
      "text", "cross_text", "pad_to", "d_model", "n_heads", "n_kv_heads", "seed", "bias", "positional", "kv_cache", "weights",
      "causal", "causal_align", "window", "mask_pad_keys", "mask_pad_queries", "custom_mask", "float_mask",
      "fully_masked", "scale", "temperature", "softcap", "dropout"};
  return f;
}

std::string config_to_json(const Config& c) {
  json fm = json::array();
  for (const auto& row : c.float_mask) {
    json r = json::array();
    for (float v : row) r.push_back(std::isinf(v) ? json("-inf") : json(v));
    fm.push_back(r);
  }
  json cm = json::array();
  for (const auto& row : c.custom_mask) {
    json r = json::array();
    for (uint8_t v : row) r.push_back(bool(v));
    cm.push_back(r);
  }
  json j = json::object();
  j["text"] = c.text;
  j["cross_text"] = c.cross_text;
  j["pad_to"] = c.pad_to;
  j["d_model"] = c.d_model;
  j["n_heads"] = c.n_heads;
  j["n_kv_heads"] = c.n_kv_heads;
  j["seed"] = c.seed;
  j["bias"] = c.bias;
  j["positional"] = c.positional;
  j["kv_cache"] = c.kv_cache;
  j["weights"] = to_string(c.weights);
  j["causal"] = c.causal;
  j["causal_align"] = to_string(c.causal_align);
  j["window"] = c.window;
  j["mask_pad_keys"] = c.mask_pad_keys;
  j["mask_pad_queries"] = c.mask_pad_queries;
  j["custom_mask"] = c.custom_mask.empty() ? json(nullptr) : cm;
  j["float_mask"] = c.float_mask.empty() ? json(nullptr) : fm;
  j["fully_masked"] = to_string(c.fully_masked);
  j["scale"] = c.scale;
  j["temperature"] = c.temperature;
  j["softcap"] = c.softcap;
  j["dropout"] = c.dropout;
  // Invalid UTF-8 never gets into a Config (validate refuses it); replace rather than throw anyway.
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
  for (const auto& [key, v] : j.items()) {
    auto it = readers().find(key);
    if (it != readers().end()) {
      it->second(v, key, up.config, up.errors);
      continue;
    }
    std::string known;
    for (const auto& f : config_fields()) known += (known.empty() ? "" : ", ") + f;
    up.errors.push_back("unknown config field \"" + key + "\" (known: " + known + ")");
  }
  if (up.errors.empty()) up.errors = validate(up.config);
  return up;
}

}  // namespace ap
