// URL fragment <-> Config: see config_url.h. Values are turned into JSON and
// go through apply_config_json, so the URL and the JS API accept exactly the
// same things and say the same sentences about what they refuse.
#include "config/url.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>

#include "config/fields.h"
#include "config/json.h"
#include "text/tokenize.h"

namespace ap {
namespace {

using nlohmann::json;

constexpr size_t kMaxQuery = 64 * 1024;

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

// A value shown back in a note: short, and with control characters made visible.
std::string shown(std::string_view v) {
  size_t end = std::min<size_t>(v.size(), 40);
  while (end < v.size() && (static_cast<unsigned char>(v[end]) & 0xC0) == 0x80) --end;  // not inside a character
  const bool utf8 = !find_invalid_utf8(v.substr(0, end));
  std::string out;
  for (unsigned char c : v.substr(0, end)) out += c < 0x20 || c == 0x7F || (c >= 0x80 && !utf8) ? '?' : char(c);
  if (end < v.size()) out += "…";
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (size_t start = 0;;) {
    const size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

std::optional<double> number(std::string_view v) {
  if (v.empty() || v.size() > 40) return std::nullopt;
  const std::string s(v);
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

// The JSON value a parameter stands for, or the reason it cannot be read.
std::optional<json> to_json(const Field& f, const std::string& v, std::string& why) {
  if (find_invalid_utf8(v)) {  // JSON strings must be UTF-8; say so rather than replace bytes
    why = "not valid UTF-8 after %-decoding";
    return std::nullopt;
  }
  switch (f.kind) {
    case FieldKind::Text:
      return json(v);
    case FieldKind::Choice:
      return json(v);
    case FieldKind::Bool:
      if (v == "1" || v == "true") return json(true);
      if (v == "0" || v == "false") return json(false);
      why = "not 1 or 0";
      return std::nullopt;
    case FieldKind::Int:
    case FieldKind::Number:
      if (auto d = number(v)) {
        if (f.kind == FieldKind::Int && *d == std::floor(*d) && std::abs(*d) < 1e15) return json((long long)*d);
        return json(*d);
      }
      why = "not a number";
      return std::nullopt;
    case FieldKind::BoolMatrix: {  // rows of 0/1 separated by '.': "101.011"
      if (v.empty()) return json(nullptr);
      json m = json::array();
      for (auto row : split(v, '.')) {
        json r = json::array();
        for (char c : row) {
          if (c != '0' && c != '1') {
            why = "rows must be strings of 0 and 1 separated by '.'";
            return std::nullopt;
          }
          r.push_back(c == '1');
        }
        m.push_back(r);
      }
      return m;
    }
    case FieldKind::FloatMatrix: {  // rows separated by ';', values by ',': "0,-inf;1.5,0"
      if (v.empty()) return json(nullptr);
      json m = json::array();
      for (auto row : split(v, ';')) {
        json r = json::array();
        for (auto cell : split(row, ',')) {
          if (cell == "-inf") r.push_back("-inf");
          else if (auto d = number(cell)) r.push_back(*d);
          else {
            why = "values must be numbers or -inf, rows separated by ';'";
            return std::nullopt;
          }
        }
        m.push_back(r);
      }
      return m;
    }
  }
  return std::nullopt;
}

std::string number_text(double v) {
  json j = v;
  return j.dump();  // shortest round-trip form
}

}  // namespace

std::string percent_encode(std::string_view s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (is_unreserved(c)) out += char(c);
    else out += {'%', hex[c >> 4], hex[c & 15]};
  }
  return out;
}

std::optional<std::string> percent_decode(std::string_view s) {
  const auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') out += ' ';
    else if (s[i] != '%') out += s[i];
    else {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = digit(s[i + 1]), lo = digit(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += char(hi * 16 + lo);
      i += 2;
    }
  }
  return out;
}

std::string config_to_query(const Config& c) {
  std::string q;
  for (const Field& f : config_fields_table()) {
    const json v = f.get(c);
    if (v.is_null() || (v.is_string() && v.get<std::string>().empty())) continue;  // none: the default
    std::string text;
    switch (f.kind) {
      case FieldKind::Text:
      case FieldKind::Choice:
        text = v.get<std::string>();
        break;
      case FieldKind::Bool:
        text = v.get<bool>() ? "1" : "0";
        break;
      case FieldKind::Int:
        text = v.dump();
        break;
      case FieldKind::Number:
        text = number_text(v.get<double>());
        break;
      case FieldKind::BoolMatrix:  // rows of 0/1 separated by '.'
        for (const auto& row : v) {
          if (!text.empty()) text += '.';
          for (const auto& cell : row) text += cell.get<bool>() ? '1' : '0';
        }
        break;
      case FieldKind::FloatMatrix:  // rows separated by ';', values by ','
        for (size_t r = 0; r < v.size(); ++r) {
          if (r) text += ';';
          for (size_t j = 0; j < v[r].size(); ++j)
            text += (j ? "," : "") + (v[r][j].is_string() ? std::string("-inf") : number_text(v[r][j].get<float>()));
        }
        break;
    }
    q += (q.empty() ? "" : "&") + std::string(f.name) + "=" + percent_encode(text);
  }
  return q;
}

QueryApplied apply_query(const Config& base, std::string_view query, const std::vector<std::string>& other_keys) {
  QueryApplied out{base, {}, {}};
  if (!query.empty() && (query[0] == '#' || query[0] == '?')) query.remove_prefix(1);
  if (query.empty()) return out;
  if (query.size() > kMaxQuery) {
    out.notes.push_back("the link's settings are " + std::to_string(query.size()) + " bytes long, more than the " +
                        std::to_string(kMaxQuery / 1024) + " KiB accepted: all were ignored");
    return out;
  }
  std::vector<std::pair<std::string, json>> values;
  for (auto part : split(query, '&')) {
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    const auto key = percent_decode(part.substr(0, eq));
    if (!key || eq == std::string_view::npos) {
      out.notes.push_back("'" + shown(part) + "' ignored: expected name=value");
      continue;
    }
    const auto value = percent_decode(part.substr(eq + 1));
    if (!value) {
      out.notes.push_back(shown(*key) + " ignored: its value has a malformed %-escape");
      continue;
    }
    if (std::find(other_keys.begin(), other_keys.end(), *key) != other_keys.end()) {
      out.other.emplace_back(*key, *value);
      continue;
    }
    const Field* field = find_field(*key);
    if (!field) {
      out.notes.push_back("unknown setting '" + shown(*key) + "' ignored");
      continue;
    }
    std::string why;
    auto j = to_json(*field, *value, why);
    if (!j) {
      out.notes.push_back(*key + "=" + shown(*value) + " ignored: " + why);
      continue;
    }
    const auto dup = std::find_if(values.begin(), values.end(), [&](const auto& kv) { return kv.first == *key; });
    if (dup != values.end()) {
      out.notes.push_back(*key + " appears twice: the last one is used");
      values.erase(dup);
    }
    values.emplace_back(*key, std::move(*j));
  }
  // All together first, so settings valid only in combination (d_model=96&n_heads=3) still load;
  // otherwise one by one, keeping each that leaves the config valid.
  json all = json::object();
  for (const auto& [k, v] : values) all[k] = v;
  if (auto up = apply_config_json(base, all.dump(-1, ' ', false, json::error_handler_t::replace)); up.ok()) {
    out.config = up.config;
    return out;
  }
  for (const auto& [k, v] : values) {
    const auto up = apply_config_json(out.config, json{{k, v}}.dump(-1, ' ', false, json::error_handler_t::replace));
    if (up.ok()) out.config = up.config;
    else out.notes.push_back(k + " ignored: " + up.errors[0]);
  }
  return out;
}

}  // namespace ap
