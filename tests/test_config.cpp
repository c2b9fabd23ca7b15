// Config validation and its JSON form: every error is a sentence a learner can act on.
#include <doctest/doctest.h>

#include <limits>

#include "config/config.h"
#include "config/json.h"

TEST_CASE("the default config is valid") { CHECK(ap::validate(ap::Config{}).empty()); }

TEST_CASE("validation messages") {
  ap::Config c;
  c.d_model = 100;
  c.n_heads = 3;
  REQUIRE(ap::validate(c).size() == 1);
  CHECK(ap::validate(c)[0] == "d_model 100 is not divisible by 3 heads: d_head would be 33.3");

  c = {};
  c.n_heads = 0;
  CHECK(ap::validate(c)[0] == "n_heads must be between 1 and 64 (got 0)");
  c = {};
  c.text = "  \t ";
  CHECK(ap::validate(c)[0] == "text has no tokens: type at least one word");
  c.text = "ok \xff";
  CHECK(ap::validate(c)[0] == "text is not valid UTF-8 (first bad byte at offset 3)");
  c.text = std::string(20000, 'a');
  CHECK(ap::validate(c)[0] == "text is 20000 bytes long; the limit is 16384 bytes");
  c.text.clear();
  for (int i = 0; i < 1100; ++i) c.text += "w ";
  CHECK(ap::validate(c)[0] == "text has 1100 tokens; the limit is 1024");
  c = {};
  c.text.clear();
  for (int i = 0; i < 1000; ++i) c.text += "w ";
  c.d_model = 2048;
  c.n_heads = 64;
  REQUIRE(ap::validate(c).size() == 1);
  CHECK(ap::validate(c)[0].find("MiB for the trace; the limit is 768 MiB") != std::string::npos);
}

TEST_CASE("JSON: round trip and partial updates") {
  ap::Config c;
  c.text = "héllo 世界 👋 !";
  c.causal = true;
  c.seed = 4000000000u;
  c.cross_text = "bonjour monde";
  c.n_kv_heads = 2;
  c.fully_masked = ap::FullyMasked::Uniform;
  c.causal_align = ap::CausalAlign::BottomRight;
  c.float_mask = {{-std::numeric_limits<float>::infinity(), 0.5f}, {1, 2}, {3, 4}, {5, 6}, {7, 8}};
  c.custom_mask = {{1, 0}, {0, 1}, {1, 1}, {1, 1}, {0, 0}};
  c.softcap = 2.5;
  const auto up = ap::apply_config_json(ap::Config{}, ap::config_to_json(c));
  CAPTURE(up.errors.empty() ? std::string() : up.errors[0]);
  REQUIRE(up.ok());
  CHECK(up.config == c);

  const auto partial = ap::apply_config_json(c, R"({"n_heads": 8, "d_model": 128.0})");
  REQUIRE(partial.ok());
  CHECK(partial.config.n_heads == 8);
  CHECK(partial.config.d_model == 128);
  CHECK(partial.config.text == c.text);
}

TEST_CASE("JSON: every bad update is refused whole, with a reason") {
  const ap::Config base;
  struct Case {
    const char* json;
    const char* error;
  } cases[] = {
      {"{", "the config is not valid JSON"},
      {"[1]", "the config must be a JSON object of fields, not an array"},
      {R"({"n_heads": 3})", "d_model 64 is not divisible by 3 heads: d_head would be 21.3"},
      {R"({"n_heads": "4"})", "n_heads must be a whole number, not a string"},
      {R"({"n_heads": 2.5})", "n_heads must be a whole number, not 2.5"},
      {R"({"d_model": 0})", "d_model must be between 1 and 2048 (got 0)"},
      {R"({"seed": -1})", "seed must be between 0 and 4294967295 (got -1)"},
      {R"({"causal": 1})", "causal must be true or false, not a number"},
      {R"({"text": null})", "text must be a string, not null"},
      {R"({"fully_masked": "NaN"})", "fully_masked must be one of \"zero\", \"nan\", \"uniform\", not \"NaN\""},
      {R"({"dropout": 1})", "dropout must be at least 0 and below 1 (got 1)"},
      {R"({"temperature": 0})", "temperature must be a positive number between 1e-6 and 1e6 (got 0)"},
      {R"({"custom_mask": [[1, 2]]})", "custom_mask entries must be true/false (or 1/0): true = may attend, not 2"},
      {R"({"float_mask": [["inf"]]})", "float_mask entries must be finite numbers or \"-inf\", not \"inf\""},
      {R"({"kv_cache": 11})",
       "kv_cache 11 must be between 0 and 10: at least one token of the text must remain as a query"},
      {R"({"kv_cache": 2, "cross_text": "hi"})",
       "kv_cache applies to self-attention; with cross_text every key is already given"},
      {R"({"cross_text": " "})", "cross_text has no tokens: type at least one word"},
      {R"({"d_model": 1e300})", "d_model must be a whole number, not 1e+300"},
  };
  for (const auto& k : cases) {
    CAPTURE(k.json);
    const auto up = ap::apply_config_json(base, k.json);
    REQUIRE(up.errors.size() == 1);
    CHECK(up.errors[0] == k.error);
  }
  // An unknown field: the message lists every known one, in the field table's
  // order (so a new field is not a second edit here; tests/test_fields.cpp
  // checks that list against the table and the JSON).
  std::string known;
  for (const auto& f : ap::config_fields()) known += (known.empty() ? "" : ", ") + f;
  CHECK(known.rfind("text, cross_text, pad_to, cross_pad_to, d_model, n_heads, n_kv_heads, seed", 0) == 0);
  const auto unknown = ap::apply_config_json(base, R"({"heads": 4})");
  REQUIRE(unknown.errors.size() == 1);
  CHECK(unknown.errors[0] == "unknown config field \"heads\" (known: " + known + ")");
  // Two problems, two messages; a valid field beside an invalid one is not applied either.
  const auto two = ap::apply_config_json(base, R"({"causal": "yes", "pad_to": 9999, "seed": 7})");
  CHECK(two.errors.size() == 2);
}

TEST_CASE("cross-attention switched on is unmasked, as in an encoder-decoder; off restores self-attention") {
  ap::Config c;
  c.causal = true;
  c.kv_cache = 3;
  ap::set_cross_attention(c, true);
  CHECK(c.cross_text == ap::kSampleCrossText);
  CHECK(!c.causal);
  CHECK(c.kv_cache == 0);
  CHECK(ap::validate(c).empty());
  c.causal = true;  // the learner turns it on again: switching on twice keeps that
  ap::set_cross_attention(c, true);
  CHECK(c.causal);
  ap::set_cross_attention(c, false);
  CHECK(c.cross_text.empty());
  CHECK(c.causal);
}

TEST_CASE("an invalid field leaves the other edits applied: salvage_edit") {
  const ap::Config applied;
  ap::Config draft = applied;
  draft.n_heads = 5;  // 64 is not divisible by 5
  draft.text = "A new sentence to tokenize";
  draft.causal = true;
  const ap::SalvagedEdit s = ap::salvage_edit(applied, draft);
  CHECK(ap::validate(s.config).empty());
  CHECK(s.config.text == draft.text);
  CHECK(s.config.causal);
  CHECK(s.config.n_heads == applied.n_heads);  // its last valid value
  REQUIRE(s.rejected.size() == 1);
  CHECK(s.rejected[0].first == "n_heads");
  CHECK(s.rejected[0].second == "d_model 64 is not divisible by 5 heads: d_head would be 12.8");
  // Edits valid only together, or in one order, still apply.
  draft = applied;
  draft.d_model = 96;
  draft.n_heads = 3;
  const ap::SalvagedEdit both = ap::salvage_edit(applied, draft);
  CHECK(both.rejected.empty());
  CHECK(both.config == draft);
  draft = applied;
  draft.n_heads = 6;  // valid only after d_model = 96 (table order puts d_model first)
  draft.d_model = 96;
  draft.text = "";  // invalid on its own
  const ap::SalvagedEdit order = ap::salvage_edit(applied, draft);
  CHECK(order.config.n_heads == 6);
  CHECK(order.config.d_model == 96);
  REQUIRE(order.rejected.size() == 1);
  CHECK(order.rejected[0] == std::pair<std::string, std::string>{"text", "text has no tokens: type at least one word"});
}
