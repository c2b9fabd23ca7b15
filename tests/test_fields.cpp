// The field table (core/config/fields.h): it drives JSON, links, validation,
// same_projections and the README, so each of those claims is checked here.
#include <doctest/doctest.h>

#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "config/fields.h"
#include "config/json.h"
#include "layer/attention.h"
#include "readme.h"

namespace {

using nlohmann::json;

// Another valid value for every field, as JSON (a new field without one here fails the test).
const std::map<std::string, json>& other_values() {
  static const std::map<std::string, json> v = {
      {"text", "A dog ran in the park because it was happy."},
      {"cross_text", "Le chat dort."},
      {"pad_to", 14},
      {"cross_pad_to", 9},
      {"d_model", 96},
      {"n_heads", 2},
      {"n_kv_heads", 2},
      {"seed", 7},
      {"bias", false},
      {"positional", false},
      {"kv_cache", 3},
      {"weights", "constructed"},
      {"causal", true},
      {"causal_align", "bottom_right"},
      {"window", 3},
      {"mask_pad_keys", false},
      {"mask_pad_queries", true},
      {"custom_mask", json::array({json::array({true, false})})},
      {"float_mask", json::array({json::array({0.5, "-inf"})})},
      {"fully_masked", "nan"},
      {"scale", 0.5},
      {"temperature", 2.0},
      {"softcap", 3.0},
      {"dropout", 0.25},
  };
  return v;
}

bool same_bits(const ap::Mat& a, const ap::Mat& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::equal(a.data(), a.data() + a.size(), b.data(),
                    [](float x, float y) { return std::memcmp(&x, &y, sizeof x) == 0; });
}

bool heads_same(const std::vector<ap::Mat>& a, const std::vector<ap::Mat>& b) {
  if (a.size() != b.size()) return false;
  for (size_t h = 0; h < a.size(); ++h)
    if (!same_bits(a[h], b[h])) return false;
  return true;
}

// The token vectors and Q/K/V, whole and split into heads, that a config gives.
ap::Trace projections(const ap::Config& c) {
  ap::Trace t;
  ap::project(c, ap::make_inputs(c), t);
  return t;
}

}  // namespace

TEST_CASE("every field of the table reads and writes its own member") {
  const auto& others = other_values();
  for (const ap::Field& f : ap::config_fields_table()) {
    const std::string name = f.name;
    CAPTURE(name);
    REQUIRE(others.count(f.name));
    const ap::Config base;
    const json value = others.at(f.name);
    ap::Config changed = base;
    json checked;
    std::string error;
    REQUIRE(ap::read_field(f, value, checked, error));
    f.set(changed, checked);
    CHECK(!f.same(base, changed));
    CHECK(f.get(changed) == checked);
    // Every other field keeps its value.
    for (const ap::Field& g : ap::config_fields_table())
      if (&g != &f) CHECK(g.same(base, changed));
  }
}

TEST_CASE("the projections flag: every field that changes X or Q/K/V is compared, and no other") {
  for (const ap::Field& f : ap::config_fields_table()) {
    const std::string name = f.name;
    CAPTURE(name);
    ap::Config base;
    if (name == "cross_pad_to") base.cross_text = "Le chat dort.";  // pads only a second text
    const ap::Trace t0 = projections(base);
    ap::Config c = base;
    json checked;
    std::string error;
    json value = other_values().at(f.name);
    if (std::string(f.name) == "custom_mask") {  // a whole [n_q][n_kv] mask for the default text
      const int n = int(t0.q_tokens.size());
      value = json::array();
      for (int i = 0; i < n; ++i) value.push_back(json(std::vector<bool>(size_t(n), i != 2)));
    }
    if (std::string(f.name) == "float_mask") {
      const int n = int(t0.q_tokens.size());
      value = json::array();
      for (int i = 0; i < n; ++i) value.push_back(json(std::vector<double>(size_t(n), -0.5)));
    }
    REQUIRE(ap::read_field(f, value, checked, error));
    f.set(c, checked);
    REQUIRE(ap::validate(c).empty());
    const ap::Trace t = projections(c);
    const bool same = same_bits(t.x_q, t0.x_q) && same_bits(t.x_kv, t0.x_kv) && same_bits(t.q_proj, t0.q_proj) &&
                      same_bits(t.k_proj, t0.k_proj) && same_bits(t.v_proj, t0.v_proj) && heads_same(t.q, t0.q) &&
                      heads_same(t.k, t0.k) && heads_same(t.v, t0.v);
    // A field flagged as changing the projections does change them here, and
    // one that is not flagged leaves them bit for bit.
    CHECK(same == !f.projections);
    CHECK(ap::same_projections(base, c) == !f.projections);
  }
}

TEST_CASE("JSON and the field table list the same fields, in order") {
  const auto& names = ap::config_fields();
  REQUIRE(names.size() == ap::config_fields_table().size());
  const json j = json::parse(ap::config_to_json(ap::Config{}));
  size_t i = 0;
  for (const auto& [key, value] : j.items()) (void)value, ++i;
  CHECK(i == names.size());
  for (const auto& n : names) CHECK(j.contains(n));
}

TEST_CASE("the README's table of config fields is the field table's") {
  const std::string table =
      readme_between("<!-- fields: begin (generated from core/config/fields.cpp; tests/test_fields.cpp) -->\n",
                     "<!-- fields: end -->");
  // On a mismatch, the expected table is printed: paste it between the markers.
  INFO("expected:\n" << ap::fields_markdown());
  CHECK(table == ap::fields_markdown());
}
