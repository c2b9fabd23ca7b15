// Config validation and its JSON form: every error is a sentence a learner can act on.
#include <doctest/doctest.h>

#include "config.h"
#include "config_json.h"

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
  for (int i = 0; i < 600; ++i) c.text += "w ";
  CHECK(ap::validate(c)[0] == "text has 600 tokens; the limit is 512");
  c = {};
  c.text.clear();
  for (int i = 0; i < 500; ++i) c.text += "w ";
  c.d_model = 2048;
  c.n_heads = 64;
  REQUIRE(ap::validate(c).size() == 1);
  CHECK(ap::validate(c)[0].find("MiB for the trace; the limit is 256 MiB") != std::string::npos);
}

TEST_CASE("JSON: round trip and partial updates") {
  ap::Config c;
  c.text = "héllo 世界 👋";
  c.causal = true;
  c.seed = 4000000000u;
  const auto up = ap::apply_config_json(ap::Config{}, ap::config_to_json(c));
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
      {R"({"heads": 4})", "unknown config field \"heads\" (known: text, d_model, n_heads, causal, seed, pad_to, bias, positional)"},
      {R"({"d_model": 1e300})", "d_model must be a whole number, not 1e+300"},
  };
  for (const auto& k : cases) {
    CAPTURE(k.json);
    const auto up = ap::apply_config_json(base, k.json);
    REQUIRE(up.errors.size() == 1);
    CHECK(up.errors[0] == k.error);
  }
  // Two problems, two messages; a valid field beside an invalid one is not applied either.
  const auto two = ap::apply_config_json(base, R"({"causal": "yes", "pad_to": 9999, "seed": 7})");
  CHECK(two.errors.size() == 2);
}
