// The field table (fields.h) and the readers every serialiser shares.
#include "config/fields.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "base/format.h"

namespace ap {
namespace {

using nlohmann::json;
using BoolMatrix = std::vector<std::vector<uint8_t>>;
using FloatMatrix = std::vector<std::vector<float>>;

// [SECTION] enum names, in each enum's order
const std::vector<const char*>& names(FullyMasked*) {
  static const std::vector<const char*> n = {"zero", "nan", "uniform"};
  return n;
}
const std::vector<const char*>& names(CausalAlign*) {
  static const std::vector<const char*> n = {"top_left", "bottom_right"};
  return n;
}
const std::vector<const char*>& names(Weights*) {
  static const std::vector<const char*> n = {"random", "constructed"};
  return n;
}

// [SECTION] accessors, chosen by the member's type
template <typename T>
constexpr FieldKind kind_of() {
  if constexpr (std::is_same_v<T, std::string>) return FieldKind::Text;
  else if constexpr (std::is_same_v<T, bool>) return FieldKind::Bool;
  else if constexpr (std::is_same_v<T, double>) return FieldKind::Number;
  else if constexpr (std::is_enum_v<T>) return FieldKind::Choice;
  else if constexpr (std::is_same_v<T, BoolMatrix>) return FieldKind::BoolMatrix;
  else if constexpr (std::is_same_v<T, FloatMatrix>) return FieldKind::FloatMatrix;
  else return FieldKind::Int;
}

template <typename T>
json to_json(const T& v) {
  if constexpr (std::is_enum_v<T>) {
    return names((T*)nullptr)[size_t(v)];
  } else if constexpr (std::is_same_v<T, BoolMatrix>) {
    if (v.empty()) return nullptr;
    json m = json::array();
    for (const auto& row : v) {
      json r = json::array();
      for (uint8_t c : row) r.push_back(bool(c));
      m.push_back(std::move(r));
    }
    return m;
  } else if constexpr (std::is_same_v<T, FloatMatrix>) {
    if (v.empty()) return nullptr;
    json m = json::array();
    for (const auto& row : v) {
      json r = json::array();
      for (float c : row) r.push_back(std::isinf(c) ? json("-inf") : json(c));  // JSON has no infinity
      m.push_back(std::move(r));
    }
    return m;
  } else {
    return v;
  }
}

template <typename T>
void from_json(const json& j, T& v) {
  if constexpr (std::is_enum_v<T>) {
    const auto& n = names((T*)nullptr);
    v = T(std::find(n.begin(), n.end(), j.get<std::string>()) - n.begin());
  } else if constexpr (std::is_same_v<T, BoolMatrix>) {
    v.clear();
    if (!j.is_null())
      for (const auto& row : j) {
        v.emplace_back();
        for (const auto& c : row) v.back().push_back(uint8_t(c.get<bool>()));
      }
  } else if constexpr (std::is_same_v<T, FloatMatrix>) {
    v.clear();
    if (!j.is_null())
      for (const auto& row : j) {
        v.emplace_back();
        for (const auto& c : row)
          v.back().push_back(c.is_string() ? -std::numeric_limits<float>::infinity() : c.get<float>());
      }
  } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bool> || std::is_same_v<T, double>) {
    v = j.get<T>();
  } else {
    v = T(j.get<long long>());
  }
}

template <auto M>
Field field(const char* name, bool projections, const char* help) {
  using T = std::remove_cvref_t<decltype(std::declval<Config>().*M)>;
  Field f;
  f.name = name;
  f.kind = kind_of<T>();
  f.projections = projections;
  f.help = help;
  if constexpr (std::is_enum_v<T>) f.choices = names((T*)nullptr);
  f.get = [](const Config& c) { return to_json(c.*M); };
  f.set = [](Config& c, const json& v) { from_json(v, c.*M); };
  f.same = [](const Config& a, const Config& b) { return a.*M == b.*M; };
  return f;
}
// An Int or Number field with its range.
template <auto M>
Field field(const char* name, bool projections, const char* help, double lo, double hi, const char* rule = nullptr,
            bool hi_open = false) {
  Field f = field<M>(name, projections, help);
  f.lo = lo, f.hi = hi, f.rule = rule, f.hi_open = hi_open;
  return f;
}

// [SECTION] readers: the type and cell checks of one value
std::string shown(const json& v) { return v.is_primitive() ? v.dump() : json_type_name(v); }

// A matrix: an array of rows of cells (its shape is checked by validate()).
template <typename Cell>
bool read_matrix(const Field& f, const json& v, json& out, std::string& error, const char* cell_kind, Cell cell) {
  const std::string key = f.name;
  if (v.is_null()) {
    out = nullptr;
    return true;
  }
  if (!v.is_array() || v.size() > size_t(Limits::max_tokens)) {
    error = key + " must be an array of rows (at most " + std::to_string(Limits::max_tokens) + "), or null for none";
    return false;
  }
  out = json::array();
  for (const auto& row : v) {
    if (!row.is_array() || row.size() > size_t(Limits::max_tokens)) {
      error = key + " must be an array of rows, each an array of " + cell_kind;
      return false;
    }
    json r = json::array();
    for (const auto& c : row) {
      json value;
      if (!cell(c, value)) {
        error = key + " entries must be " + cell_kind + ", not " + shown(c);
        return false;
      }
      r.push_back(std::move(value));
    }
    out.push_back(std::move(r));
  }
  return true;
}

std::string int_range(const Field& f) { return format("between %lld and %lld", (long long)f.lo, (long long)f.hi); }

}  // namespace

const char* json_type_name(const json& v) {
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_null()) return "null";
  if (v.is_array()) return "an array";
  return "an object";
}

const char* to_string(FullyMasked v) { return names((FullyMasked*)nullptr)[size_t(v)]; }
const char* to_string(CausalAlign v) { return names((CausalAlign*)nullptr)[size_t(v)]; }
const char* to_string(Weights v) { return names((Weights*)nullptr)[size_t(v)]; }

const std::vector<Field>& config_fields_table() {
  constexpr int T = Limits::max_tokens;
  static const std::vector<Field> table = {
      // [SECTION] sequences
      field<&Config::text>("text", true,
                           "The sentence: its tokens are the queries, and the keys unless cross_text is set."),
      field<&Config::cross_text>("cross_text", true,
                                 "A second text for the keys and values (cross-attention); empty = self-attention."),
      field<&Config::pad_to>("pad_to", true,
                             "Append [PAD] tokens to the text (the queries, and the keys without cross_text) up to "
                             "this length; 0 = no padding.",
                             0, T),
      field<&Config::cross_pad_to>("cross_pad_to", true,
                                   "Append [PAD] tokens to cross_text up to this length; 0 = no padding.", 0, T),
      // [SECTION] sizes and weights
      field<&Config::d_model>("d_model", true, "Width of every token vector; d_head = d_model / n_heads.", 1,
                              Limits::max_d_model),
      field<&Config::n_heads>("n_heads", true, "Query heads.", 1, Limits::max_heads),
      field<&Config::n_kv_heads>("n_kv_heads", true,
                                 "Key/value heads for grouped-query attention (must divide n_heads); 0 = n_heads.", 0,
                                 Limits::max_heads),
      field<&Config::seed>("seed", true, "Seeds the token embeddings, W_q, W_k, W_v, W_o and dropout.", 0,
                           4294967295.0),
      field<&Config::bias>("bias", true, "nn.Linear biases on the four projections."),
      field<&Config::positional>("positional", true, "Add the sinusoidal positional encoding to the token vectors."),
      field<&Config::kv_cache>("kv_cache", true,
                               "The first kv_cache tokens are past: keys and values only, no queries.", 0, T),
      field<&Config::weights>("weights", true,
                              "random: nn.Linear's initialisation; constructed: heads built to attend to the previous, "
                              "same, first or two-back token."),
      // [SECTION] masks
      field<&Config::causal>("causal", false, "Causal mask: a query sees no later key."),
      field<&Config::causal_align>("causal_align", false,
                                   "Where the causal diagonal sits when there are more keys than queries."),
      field<&Config::window>("window", false,
                             "Sliding window: keys within window−1 positions of the diagonal; 0 = off.", 0, T),
      field<&Config::mask_pad_keys>("mask_pad_keys", false, "Key padding mask: [PAD] keys are blocked."),
      field<&Config::mask_pad_queries>("mask_pad_queries", false,
                                       "Query padding mask: [PAD] query rows are blocked entirely."),
      field<&Config::custom_mask>("custom_mask", false, "[n_q][n_kv] of true (may attend) / false; null = none."),
      field<&Config::float_mask>("float_mask", false,
                                 "[n_q][n_kv] added to the scores (numbers or \"-inf\"); null = none."),
      field<&Config::fully_masked>("fully_masked", false,
                                   "What a query row with every key blocked becomes: 0 (ONNX), NaN (PyTorch SDPA) or "
                                   "uniform (masked_fill with −1e9)."),
      // [SECTION] scores and weights
      field<&Config::scale>("scale", false, "Multiplies Q·Kᵀ; 0 = 1/√d_head.", 0, 1e6,
                            "0 (meaning 1/√d_head) or a positive number up to 1e6"),
      field<&Config::temperature>("temperature", false, "Divides the scaled scores.", 1e-6, 1e6,
                                  "a positive number between 1e-6 and 1e6"),
      field<&Config::softcap>("softcap", false, "> 0: s → softcap·tanh(s / softcap), before the masks; 0 = off.", 0,
                              1e6, "0 (off) or a positive number up to 1e6"),
      field<&Config::dropout>("dropout", false, "Probability of zeroing a weight; survivors are scaled by 1/(1−p).", 0,
                              1, "at least 0 and below 1", true),
  };
  return table;
}

const Field* find_field(const std::string& name) {
  for (const Field& f : config_fields_table())
    if (name == f.name) return &f;
  return nullptr;
}

bool read_field(const Field& f, const json& v, json& out, std::string& error) {
  const std::string key = f.name;
  switch (f.kind) {
    case FieldKind::Text:
      if (!v.is_string()) return error = key + " must be a string, not " + json_type_name(v), false;
      out = v;
      return true;
    case FieldKind::Bool:
      if (!v.is_boolean()) return error = key + " must be true or false, not " + json_type_name(v), false;
      out = v;
      return true;
    case FieldKind::Number:
      if (!v.is_number()) return error = key + " must be a number, not " + json_type_name(v), false;
      out = v.get<double>();
      return true;
    case FieldKind::Int: {
      // 12.0 counts as 12, 12.5 does not.
      long long n = 0;
      if (v.is_number_unsigned()) n = (long long)std::min<unsigned long long>(v.get<unsigned long long>(), 1ull << 62);
      else if (v.is_number_integer()) n = v.get<long long>();
      else if (v.is_number_float() && std::abs(v.get<double>()) < 1e15 &&
               v.get<double>() == std::floor(v.get<double>()))
        n = (long long)v.get<double>();
      else return error = key + " must be a whole number, not " + (v.is_number() ? v.dump() : json_type_name(v)), false;
      if (double(n) < f.lo || double(n) > f.hi)
        return error = key + " must be " + int_range(f) + " (got " + std::to_string(n) + ")", false;
      out = n;
      return true;
    }
    case FieldKind::Choice: {
      std::string list;
      for (const char* name : f.choices) {
        if (v.is_string() && v.get<std::string>() == name) return out = v, true;
        list += std::string(list.empty() ? "" : ", ") + "\"" + name + "\"";
      }
      error = key + " must be one of " + list + ", not " + (v.is_string() ? v.dump() : json_type_name(v));
      return false;
    }
    case FieldKind::BoolMatrix:
      return read_matrix(f, v, out, error, "true/false (or 1/0): true = may attend", [](const json& c, json& o) {
        if (c.is_boolean()) o = c;
        else if (c.is_number_integer() && (c.get<long long>() == 0 || c.get<long long>() == 1))
          o = c.get<long long>() == 1;
        else return false;
        return true;
      });
    case FieldKind::FloatMatrix:
      return read_matrix(f, v, out, error, "finite numbers or \"-inf\"", [](const json& c, json& o) {
        if (c.is_string() && (c.get<std::string>() == "-inf" || c.get<std::string>() == "-Infinity")) o = "-inf";
        else if (c.is_number() && std::isfinite(c.get<double>()) && std::abs(c.get<double>()) <= 1e30)
          o = c.get<double>();
        else return false;
        return true;
      });
  }
  return false;
}

std::string range_error(const Field& f, const Config& c) {
  if (f.kind != FieldKind::Int && f.kind != FieldKind::Number) return "";
  const double v = f.get(c).get<double>();
  const bool ok = std::isfinite(v) && v >= f.lo && (f.hi_open ? v < f.hi : v <= f.hi);
  if (ok) return "";
  if (f.kind == FieldKind::Int) return format("%s must be %s (got %lld)", f.name, int_range(f).c_str(), (long long)v);
  return format("%s must be %s (got %g)", f.name, f.rule, v);
}

std::string field_range_text(const Field& f) {
  switch (f.kind) {
    case FieldKind::Text:
      return "text";
    case FieldKind::Bool:
      return "true / false";
    case FieldKind::Int:
      return format("%lld to %lld", (long long)f.lo, (long long)f.hi);
    case FieldKind::Number:
      return f.rule;
    case FieldKind::Choice: {
      std::string s;
      for (const char* c : f.choices) s += (s.empty() ? "" : ", ") + std::string("`\"") + c + "\"`";
      return s;
    }
    case FieldKind::BoolMatrix:
      return "matrix of true / false, or null";
    case FieldKind::FloatMatrix:
      return "matrix of numbers or \"-inf\", or null";
  }
  return "";
}

std::string fields_markdown() {
  std::string s = "| field | default | accepts | redoes Q/K/V | meaning |\n| --- | --- | --- | --- | --- |\n";
  const Config defaults;
  for (const Field& f : config_fields_table())
    s += std::string("| `") + f.name + "` | `" + f.get(defaults).dump() + "` | " + field_range_text(f) + " | " +
         (f.projections ? "yes" : "no") + " | " + f.help + " |\n";
  return s;
}

}  // namespace ap
