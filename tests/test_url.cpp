// The URL fragment: every config round-trips, and bad parameters are ignored
// one by one with a note while the rest load.
#include <doctest/doctest.h>

#include <limits>

#include "config/url.h"

TEST_CASE("percent-encoding round trip, and malformed escapes") {
  const std::string s = "héllo wörld & = # % + 日本 👍\n";
  CHECK(ap::percent_decode(ap::percent_encode(s)) == s);
  CHECK(ap::percent_encode("a b&c") == "a%20b%26c");
  CHECK(ap::percent_decode("a+b%20c") == "a b c");
  CHECK(!ap::percent_decode("%"));
  CHECK(!ap::percent_decode("%4"));
  CHECK(!ap::percent_decode("%zz"));
}

TEST_CASE("every config round-trips through the URL") {
  ap::Config c;
  c.text = "Le chat & le chien = 2 # amis, 100% 👍";
  c.cross_text = "the cat";
  c.pad_to = 16;
  c.cross_pad_to = 16;
  c.d_model = 96;
  c.n_heads = 6;
  c.n_kv_heads = 2;
  c.seed = 4000000000u;
  c.bias = false;
  c.causal = true;
  c.causal_align = ap::CausalAlign::BottomRight;
  c.window = 3;
  c.mask_pad_queries = true;
  c.fully_masked = ap::FullyMasked::NaN;
  c.scale = 0.125;
  c.temperature = 0.7;
  c.softcap = 2.5;
  c.dropout = 0.1;
  c.custom_mask.assign(16, std::vector<uint8_t>(16, 1));
  c.custom_mask[2][3] = 0;
  c.float_mask.assign(16, std::vector<float>(16, 0.5f));
  c.float_mask[1][1] = -std::numeric_limits<float>::infinity();
  c.float_mask[4][0] = -1.0f / 3.0f;
  REQUIRE(ap::validate(c).empty());
  const auto r = ap::apply_query(ap::Config{}, "#" + ap::config_to_query(c), {});
  CHECK(r.notes.empty());
  CHECK(r.config == c);
}

TEST_CASE("settings valid only together still load") {
  const auto r = ap::apply_query(ap::Config{}, "n_heads=3&d_model=96", {});
  CHECK(r.notes.empty());
  CHECK(r.config.n_heads == 3);
  CHECK(r.config.d_model == 96);
}

TEST_CASE("bad parameters are ignored one by one, each with a note") {
  const std::string q =
      "causal=1&d_model=abc&n_heads=3&bogus=1&seed=-4&text=%zz&window=2&dropout=1.5&causal_align=sideways"
      "&custom_mask=10x&float_mask=1,nan&positional=maybe&noequals&=5&temperature=0&kv_cache=999&pad_to=99999"
      "&fully_masked=NaN&scale=inf&n_kv_heads=5&softcap=-1&panel=masks&seed=7";
  const auto r = ap::apply_query(ap::Config{}, q, {"panel"});
  CHECK(r.config.causal == true);
  CHECK(r.config.window == 2);
  CHECK(r.config.seed == 7u);  // the later seed wins
  CHECK(r.config.d_model == 64);
  CHECK(r.config.n_heads == 4);
  REQUIRE(r.other.size() == 1);
  CHECK(r.other[0].second == "masks");
  CHECK(r.notes.size() == 19);  // seed=-4 is replaced by seed=7, with its own note
  const auto has = [&](const std::string& s) {
    for (const auto& n : r.notes)
      if (n == s) return true;
    return false;
  };
  CHECK(has("d_model=abc ignored: not a number"));
  CHECK(has("n_heads ignored: d_model 64 is not divisible by 3 heads: d_head would be 21.3"));
  CHECK(has("unknown setting 'bogus' ignored"));
  CHECK(has("text ignored: its value has a malformed %-escape"));
  CHECK(has("'noequals' ignored: expected name=value"));
  CHECK(has("seed appears twice: the last one is used"));
  CHECK(has("causal_align ignored: causal_align must be one of \"top_left\", \"bottom_right\", not \"sideways\""));
}

TEST_CASE("an oversized or hostile fragment is refused whole, never crashes") {
  const std::string huge = "text=" + std::string(70000, 'a');
  const auto r = ap::apply_query(ap::Config{}, huge, {});
  REQUIRE(r.notes.size() == 1);
  CHECK(r.notes[0] == "the link's settings are 70005 bytes long, more than the 64 KiB accepted: all were ignored");
  CHECK(r.config == ap::Config{});
  // Invalid UTF-8 after decoding, control characters, script-looking text: notes or plain text, never code.
  const auto bad = ap::apply_query(ap::Config{}, "text=%FF%FE&cross_text=%3Cscript%3Ealert(1)%3C%2Fscript%3E", {});
  CHECK(bad.notes.size() == 1);
  CHECK(bad.notes[0] == "text=?? ignored: not valid UTF-8 after %-decoding");
  CHECK(bad.config.cross_text == "<script>alert(1)</script>");  // a string to tokenize, nothing more
}
