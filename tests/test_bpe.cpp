// GPT-2's tokenizer (core/text/bpe.h): the ids of the npm package
// gpt-3-encoder on 10,000+ strings (tests/reference/gpt2_tokenizer.mjs, run by
// CTest as a fixture), the same vocabulary through tokenizer.json, GPT-2's
// pattern worked out by hand, the merge order on small vocabularies, invalid
// UTF-8, the display form, and a catalogue of bad files.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "base/rng.h"
#include "text/bpe.h"
#include "text/unicode_classes.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kReferenceDir = AP_GPT2_TOKENIZER_DIR;

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// GPT-2's byte alphabet, written out again from OpenAI's bytes_to_unicode so
// that the small vocabularies below do not depend on the code under test:
// printing bytes stand for themselves, the other 68 for U+0100 onwards.
std::string alphabet_form(std::string_view bytes) {
  std::string out;
  for (unsigned char b : bytes) {
    char32_t cp = b;
    if (!((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE)) {
      cp = 256;
      for (int o = 0; o < b; ++o)
        if (!((o >= 0x21 && o <= 0x7E) || (o >= 0xA1 && o <= 0xAC) || o >= 0xAE)) ++cp;
    }
    if (cp < 0x80) {
      out += char(cp);
    } else {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    }
  }
  return out;
}

struct Files {
  std::string vocab, merges;
};

// vocab.json with the 256 byte tokens (id = byte) and then each merge's
// result, and merges.txt; merges are given as raw bytes.
Files small_files(const std::vector<std::pair<std::string, std::string>>& merges) {
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[alphabet_form(std::string(1, char(b)))] = b;
  std::string text = "#version: 0.2\n";
  for (const auto& [a, b] : merges) {
    const std::string made = alphabet_form(a + b);
    if (!vocab.contains(made)) vocab[made] = vocab.size();
    text += alphabet_form(a) + " " + alphabet_form(b) + "\n";
  }
  return {vocab.dump(), text};
}

ap::Gpt2Tokenizer load(const Files& f) {
  auto r = ap::Gpt2Tokenizer::from_vocab_merges(f.vocab, f.merges);
  if (auto* e = std::get_if<std::string>(&r)) FAIL(*e);
  return std::get<ap::Gpt2Tokenizer>(std::move(r));
}

std::string load_error(const Files& f) {
  auto r = ap::Gpt2Tokenizer::from_vocab_merges(f.vocab, f.merges);
  return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : "(loaded)";
}

std::string json_error(const std::string& text) {
  auto r = ap::Gpt2Tokenizer::from_tokenizer_json(text);
  return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : "(loaded)";
}

// Tokens as the display form shows them, for messages.
std::string shown(const ap::Gpt2Tokenizer& t, const std::vector<int32_t>& ids) {
  std::string s = "[";
  for (int32_t id : ids) s += (s.size() > 1 ? " " : "") + t.token_display(id) + "(" + std::to_string(id) + ")";
  return s + "]";
}

std::vector<std::string> pieces(std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view p : ap::gpt2_pretokenize(text)) out.emplace_back(p);
  return out;
}

// The reference run's files and cases, read once. Missing files fail the test
// that asks (the fixture gpt2_reference makes them): they are never skipped.
struct Reference {
  std::string vocab, merges;
  json cases;
  std::optional<ap::Gpt2Tokenizer> tokenizer;
};

const Reference& reference() {
  static Reference ref;
  if (ref.tokenizer) return ref;
  for (const char* name : {"cases.json", "vocab.json", "merges.txt"})
    REQUIRE_MESSAGE(fs::exists(kReferenceDir / name),
                    (kReferenceDir / name).string()
                        << " is missing: CTest's fixture gpt2_reference makes it (ctest -R core_tests), or run node "
                           "tests/reference/gpt2_tokenizer.mjs "
                        << kReferenceDir.string());
  ref.vocab = slurp(kReferenceDir / "vocab.json");
  ref.merges = slurp(kReferenceDir / "merges.txt");
  ref.cases = json::parse(slurp(kReferenceDir / "cases.json"), nullptr, /*allow_exceptions=*/false);
  REQUIRE_MESSAGE(ref.cases.is_object(), "cases.json is not the reference script's output");
  ref.tokenizer = load({ref.vocab, ref.merges});
  return ref;
}

// The same vocabulary and merges as a Hugging Face tokenizer.json, merges
// spelt "a b" or ["a", "b"].
std::string tokenizer_json(const Reference& ref, bool pairs) {
  json merges = json::array();
  std::istringstream lines(ref.merges);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.starts_with("#version")) continue;
    const size_t space = line.find(' ');
    if (pairs) merges.push_back(json::array({line.substr(0, space), line.substr(space + 1)}));
    else merges.push_back(line);
  }
  json j = {{"version", "1.0"},
            {"normalizer", nullptr},
            {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}}},
            {"model", {{"type", "BPE"}, {"vocab", json::parse(ref.vocab)}, {"merges", merges}}}};
  return j.dump();
}

}  // namespace

// [SECTION] against the reference implementation

TEST_CASE("GPT-2 tokenizer: the ids of gpt-3-encoder on 10,000+ strings") {
  const Reference& ref = reference();
  const ap::Gpt2Tokenizer& tok = *ref.tokenizer;
  CHECK(tok.vocab_size() == 50257);
  const std::string name = ref.cases.value("reference", "");
  CHECK(name.starts_with("gpt-3-encoder "));
  const json& cases = ref.cases["cases"];
  REQUIRE(cases.is_array());
  CHECK(cases.size() >= 10000);
  // JavaScript's \s has U+FEFF and lacks U+0085, unlike the White_Space of the
  // original tokenizers and ours: strings with them are left out of the cases
  // (the pieces test below checks them by hand).
  const auto& left_out = ref.cases["excluded_code_points"];
  CHECK(std::find(left_out.begin(), left_out.end(), 0x85) != left_out.end());
  CHECK(std::find(left_out.begin(), left_out.end(), 0xFEFF) != left_out.end());
  // More would mean Node's Unicode has moved far from the table's, and too much goes untested.
  CHECK(left_out.size() <= 16);

  size_t wrong = 0, with_excluded = 0, roundtrip = 0;
  for (const json& c : cases) {
    const std::string& text = c["text"].get_ref<const std::string&>();
    const auto want = c["ids"].get<std::vector<int32_t>>();
    if (text.find("\u0085") != std::string::npos || text.find("\uFEFF") != std::string::npos) ++with_excluded;
    const std::vector<int32_t> got = tok.encode(text);
    if (tok.decode(got) != text) ++roundtrip;
    if (got != want && ++wrong <= 8)
      FAIL_CHECK(c["kind"].get<std::string>() << " " << json(text).dump() << "\n  ours:          " << shown(tok, got)
                                              << "\n  gpt-3-encoder: " << shown(tok, want));
  }
  CHECK(wrong == 0);
  CHECK(with_excluded == 0);
  CHECK(roundtrip == 0);
  MESSAGE(cases.size() << " strings compared with " << name << " (Node's Unicode "
                       << ref.cases.value("node_unicode", "?") << ")");
}

TEST_CASE("GPT-2 tokenizer: the Unicode class table agrees with JavaScript's on every code point") {
  const Reference& ref = reference();
  CHECK(std::string(ap::unicode_classes_version()) == "15.0.0");
  const json& breaks = ref.cases["js_class_breaks"];
  REQUIRE(breaks.is_array());
  REQUIRE(!breaks.empty());
  size_t compared = 0, wrong = 0;
  for (size_t b = 0; b < breaks.size(); ++b) {
    const char32_t first = breaks[b][0].get<uint32_t>();
    const char32_t end = b + 1 < breaks.size() ? breaks[b + 1][0].get<uint32_t>() : char32_t(0x110000);
    const int js = breaks[b][1].get<int>();
    if (js < 0) continue;  // unassigned in 15.0, or one of the excluded code points
    for (char32_t cp = first; cp < end; ++cp, ++compared)
      if (int(ap::char_class(cp)) != js && ++wrong <= 8) FAIL_CHECK("U+" << std::hex << uint32_t(cp));
  }
  CHECK(wrong == 0);
  CHECK(compared > 250000);  // assigned code points of Unicode 15.0 but surrogates: 288,000 or so
}

TEST_CASE("GPT-2 tokenizer: tokenizer.json with \"a b\" or [a, b] merges gives the same tokenizer") {
  const Reference& ref = reference();
  const ap::Gpt2Tokenizer& tok = *ref.tokenizer;
  for (bool pairs : {false, true}) {
    CAPTURE(pairs);
    auto r = ap::Gpt2Tokenizer::from_tokenizer_json(tokenizer_json(ref, pairs));
    if (auto* e = std::get_if<std::string>(&r)) FAIL(*e);
    const ap::Gpt2Tokenizer& other = std::get<ap::Gpt2Tokenizer>(r);
    REQUIRE(other.vocab_size() == tok.vocab_size());
    size_t differ = 0;
    for (int32_t id = 0; id < tok.vocab_size(); ++id) differ += other.token_bytes(id) != tok.token_bytes(id);
    CHECK(differ == 0);
    for (const json& c : ref.cases["cases"]) {
      const auto want = c["ids"].get<std::vector<int32_t>>();
      if (other.encode(c["text"].get<std::string>()) != want) ++differ;
    }
    CHECK(differ == 0);
  }
}

TEST_CASE("GPT-2 tokenizer: what the UI shows, special tokens, ids outside the vocabulary") {
  const ap::Gpt2Tokenizer& tok = *reference().tokenizer;
  const auto the = tok.id_of(" the");
  REQUIRE(the);
  CHECK(*the == 262);  // GPT-2's " the" (OpenAI's encoder.json)
  CHECK(tok.token_bytes(*the) == " the");
  CHECK(tok.token_display(*the) == "\u2423the");
  CHECK(tok.id_of("<|endoftext|>") == 50256);
  CHECK(tok.token_display(50256) == "<|endoftext|>");
  // As in OpenAI's encoder, the special token's text is not the special token.
  CHECK(tok.encode("<|endoftext|>") != std::vector<int32_t>{50256});
  CHECK(tok.encode("") == std::vector<int32_t>{});
  CHECK(tok.token_bytes(-1).empty());
  CHECK(tok.token_bytes(50257).empty());
  const std::vector<int32_t> bad{*the, 50257, -3};
  CHECK(tok.decode(bad) == " the\uFFFD\uFFFD");
  // "日" is three bytes; GPT-2 has a token for its first two (æĹ) and one for the last.
  const std::vector<int32_t> sun = tok.encode("日");
  REQUIRE(sun.size() == 2);
  CHECK(tok.token_display(sun[0]) == "<0xE6><0x97>");
  CHECK(tok.token_display(sun[1]) == "<0xA5>");
  CHECK(tok.decode(sun) == "日");
}

// [SECTION] the pattern, by hand

TEST_CASE("GPT-2 tokenizer: pre-tokenization worked out by hand") {
  struct Case {
    const char* text;
    std::vector<std::string> pieces;
  };
  const Case cases[] = {
      {"", {}},
      {"Hello world", {"Hello", " world"}},
      {"it's", {"it", "'s"}},
      {"we'll've", {"we", "'ll", "'ve"}},
      {"IT'S", {"IT", "'", "S"}},  // contractions are lowercase only
      {"'sup", {"'s", "up"}},
      {"''s", {"''", "s"}},  // the run of others takes both apostrophes
      {" 's", {" '", "s"}},
      {"a   b", {"a", "  ", " b"}},  // the run leaves its last space to the word
      {"a  ", {"a", "  "}},          // at the end the whole run
      {"a \tb", {"a", " ", "\t", "b"}},
      {"a\t b", {"a", "\t", " b"}},
      {"a\n\nb", {"a", "\n", "\n", "b"}},
      {"x\r\n\r\ny", {"x", "\r\n\r", "\n", "y"}},
      {"  \u00A0x", {"  ", "\u00A0", "x"}},  // only U+0020 joins the word after it
      {"1234567 89", {"1234567", " 89"}},
      {" 123abc", {" 123", "abc"}},
      {"x!!! y", {"x", "!!!", " y"}},
      {"e\u0301t\u00E9", {"e", "\u0301", "t\u00E9"}},  // a combining mark is not a letter
      {"日本語です。", {"日本語です", "。"}},
      {"\U0001F44D\U0001F3FC ok", {"\U0001F44D\U0001F3FC", " ok"}},
      {"\u00B2\u2160x", {"\u00B2\u2160", "x"}},  // No and Nl are numbers
      // White space is White_Space: U+0085 is, U+FEFF is not (JavaScript's \s says the opposite).
      {"a\u0085\u0085b", {"a", "\u0085", "\u0085", "b"}},
      {"x \u0085y", {"x", " ", "\u0085", "y"}},
      {"a!\uFEFF?", {"a", "!\uFEFF?"}},
      {"1\uFEFF\uFEFF2", {"1", "\uFEFF\uFEFF", "2"}},
      {"a\x1C\x1C b", {"a", "\x1C\x1C", " b"}},  // not White_Space (Python's re would say space)
      // Invalid UTF-8: each stray byte is an "other".
      {"a\xFF"
       "b",
       {"a", "\xFF", "b"}},
      {" \xFF\xFE!", {" \xFF\xFE!"}},
      {"x\xC3", {"x", "\xC3"}},
      {"ab\xED\xA0\x80"
       "cd",
       {"ab", "\xED\xA0\x80", "cd"}},  // an encoded surrogate
      {"\xC0\xAF", {"\xC0\xAF"}},      // an overlong '/'
  };
  for (const Case& c : cases) {
    CAPTURE(json(std::string(c.text)).dump(-1, ' ', false, json::error_handler_t::replace));
    CHECK(pieces(c.text) == c.pieces);
  }
}

TEST_CASE("GPT-2 tokenizer: the ids of a piece are its own BPE, whatever the pre-tokenizer cut") {
  // Where the pieces above differ from JavaScript's, the ids are those of the pieces one by one.
  const ap::Gpt2Tokenizer& tok = *reference().tokenizer;
  for (const char* text : {"a\u0085\u0085b", "x \u0085y", "a!\uFEFF?", "1\uFEFF\uFEFF2", "Hello\u0085 world"}) {
    CAPTURE(text);
    std::vector<int32_t> joined;
    for (std::string_view p : ap::gpt2_pretokenize(text)) {
      const auto ids = tok.encode(p);
      joined.insert(joined.end(), ids.begin(), ids.end());
    }
    CHECK(tok.encode(text) == joined);
    CHECK(tok.decode(joined) == text);
  }
}

// [SECTION] merges and bytes on small vocabularies

TEST_CASE("GPT-2 tokenizer: merges in OpenAI's order, on small vocabularies") {
  const auto tokens = [](const ap::Gpt2Tokenizer& t, std::string_view text) {
    std::vector<std::string> out;
    for (int32_t id : t.encode(text)) out.push_back(t.token_bytes(id));
    return out;
  };
  using V = std::vector<std::string>;
  const ap::Gpt2Tokenizer aa = load(small_files({{"a", "a"}}));
  CHECK(tokens(aa, "aaa") == V{"aa", "a"});  // left to right, no overlap
  CHECK(tokens(aa, "aaaa") == V{"aa", "aa"});
  CHECK(tokens(load(small_files({{"b", "c"}, {"a", "b"}})), "abc") == V{"a", "bc"});  // lower rank first
  CHECK(tokens(load(small_files({{"a", "b"}, {"b", "c"}})), "abc") == V{"ab", "c"});
  // Every occurrence of the best pair merges before any pair those merges made,
  // even one of lower rank (here xy+x is rank 0, made only by rank 1's merge):
  // OpenAI's encoder gives [xy, xy], a simple priority queue would give [xyx, y].
  CHECK(tokens(load(small_files({{"xy", "x"}, {"x", "y"}})), "xyxy") == V{"xy", "xy"});
  // A piece of 200,000 letters: merges double the tokens up to 16 letters; no quadratic time.
  const ap::Gpt2Tokenizer doubling =
      load(small_files({{"a", "a"}, {"aa", "aa"}, {"aaaa", "aaaa"}, {"aaaaaaaa", "aaaaaaaa"}}));
  const std::vector<int32_t> ids = doubling.encode(std::string(200000, 'a'));
  CHECK(ids.size() == 12500);
  CHECK(doubling.token_bytes(ids.front()) == std::string(16, 'a'));
  CHECK(doubling.encode(std::string(200001, 'a')).size() == 12501);
}

TEST_CASE("GPT-2 tokenizer: any bytes encode, and decode back to the same bytes") {
  const ap::Gpt2Tokenizer& tok = *reference().tokenizer;
  CHECK(tok.encode("\xFF") == std::vector<int32_t>{*tok.id_of("\xFF")});
  CHECK(tok.encode("\xE6\x97") == std::vector<int32_t>{*tok.id_of("\xE6\x97")});  // half of 日, one piece
  ap::Rng rng(5);
  size_t wrong = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    std::string bytes(rng.next() % 40, '\0');
    for (char& c : bytes) c = char(rng.next() % 4 == 0 ? rng.next() % 128 : rng.next());
    const std::vector<int32_t> ids = tok.encode(bytes);
    for (int32_t id : ids) wrong += id < 0 || id >= tok.vocab_size();
    wrong += tok.decode(ids) != bytes;
  }
  CHECK(wrong == 0);
}

TEST_CASE("GPT-2 tokenizer: the display form") {
  CHECK(ap::gpt2_token_display(" the") == "\u2423the");
  CHECK(ap::gpt2_token_display("   ") == "\u2423\u2423\u2423");
  CHECK(ap::gpt2_token_display("\n\n") == "\u21B5\u21B5");
  CHECK(ap::gpt2_token_display("\t") == "\u21E5");
  CHECK(ap::gpt2_token_display("\r") == "<0x0D>");
  CHECK(ap::gpt2_token_display(std::string("a\0", 2)) == "a<0x00>");
  CHECK(ap::gpt2_token_display("\x7F") == "<0x7F>");
  CHECK(ap::gpt2_token_display("\u0085") == "<0xC2><0x85>");  // a C1 control character
  CHECK(ap::gpt2_token_display("caf\xC3\xA9") == "caf\u00E9");
  CHECK(ap::gpt2_token_display(" \xF0\x9F") == "\u2423<0xF0><0x9F>");  // the start of an emoji
  CHECK(ap::gpt2_token_display("\x98\x80") == "<0x98><0x80>");         // and its end
  CHECK(ap::gpt2_token_display("\xED\xA0\x80") == "<0xED><0xA0><0x80>");
}

TEST_CASE("GPT-2 tokenizer: the Unicode classes, spot checks") {
  using C = ap::CharClass;
  const std::pair<char32_t, C> facts[] = {
      {'A', C::Letter},     {'z', C::Letter},     {'0', C::Number},    {' ', C::Space},     {'\t', C::Space},
      {'_', C::Other},      {0x00AA, C::Letter},  {0x00B5, C::Letter}, {0x00B2, C::Number}, {0x00BD, C::Number},
      {0x0085, C::Space},   {0x00A0, C::Space},   {0xFEFF, C::Other},  {0x180E, C::Other},  {0x200B, C::Other},
      {0x2028, C::Space},   {0x3000, C::Space},   {0x1C, C::Other},    {0x0301, C::Other},  {0x0661, C::Number},
      {0x2160, C::Number},  {0x4E00, C::Letter},  {0x9FFF, C::Letter}, {0xAC00, C::Letter}, {0x1F600, C::Other},
      {0x1F3FB, C::Other},  {0x0378, C::Other},   {0xD800, C::Other},  {0xE000, C::Other},  {0x10FFFF, C::Other},
      {0x110000, C::Other}, {0x31350, C::Letter}, {0x2EBF0, C::Other},  // CJK Ext H is 15.0; Ext I came in 15.1
  };
  for (const auto& fact : facts) {  // not a structured binding: CAPTURE takes it in a lambda
    CAPTURE(uint32_t(fact.first));
    CHECK(ap::char_class(fact.first) == fact.second);
  }
}

// [SECTION] bad files: a catalogue, each refused with one sentence

TEST_CASE("GPT-2 tokenizer files: what cannot be read is refused with one sentence") {
  const Files good = small_files({{"a", "b"}, {" ", "ab"}});
  REQUIRE(load_error(good) == "(loaded)");
  json vocab = json::parse(good.vocab);
  const auto with_vocab = [&](const json& v) { return Files{v.dump(), good.merges}; };
  const auto edited = [&](auto edit) {
    json v = vocab;
    edit(v);
    return with_vocab(v);
  };
  const auto with_merges = [&](std::string m) { return Files{good.vocab, m}; };
  std::string many_zeros = "[";  // 5 million values in 10 MB
  for (int i = 0; i < 5 << 20; ++i) many_zeros += "0,";
  many_zeros += "0]";
  struct Bad {
    const char* what;
    Files files;
    std::string message;
  };
  const Bad catalogue[] = {
      {"empty vocab.json", {"", good.merges}, "vocab.json is empty"},
      {"not JSON", {"{\"a\": 1,", good.merges}, "vocab.json is not valid JSON (it ends too early)"},
      {"invalid UTF-8 in a key",
       {"{\"\xFF\": 0}", good.merges},
       "vocab.json is not valid JSON (the error is at byte 3)"},
      {"an array", {"[1, 2]", good.merges}, "vocab.json must be a JSON object of token: id, not an array"},
      {"a string id", edited([](json& v) { v["ab"] = "257"; }), "vocab.json maps 'ab' to a string, not an integer id"},
      {"a fractional id", edited([](json& v) { v["ab"] = 1.5; }),
       "vocab.json maps 'ab' to a fractional number, not an integer id"},
      {"an id too large", edited([](json& v) { v["ab"] = 9999; }),
       "the vocabulary's token 'ab' has id 9999, but the 258 tokens must have the ids 0 to 257, one each"},
      {"a negative id", edited([](json& v) { v["ab"] = -1; }),
       "the vocabulary's token 'ab' has id -1, but the 258 tokens must have the ids 0 to 257, one each"},
      {"a huge id", edited([](json& v) { v["ab"] = 18446744073709551615ull; }),
       "vocab.json maps 'ab' to 18446744073709551615, past any id"},
      {"an id twice", edited([](json& v) { v["ab"] = 0; }), "the vocabulary gives id 0 to both 'ab' and 'Ā'"},
      {"a character outside the alphabet", edited([](json& v) { v["\u20AC"] = 258; }),
       "the vocabulary's token '€' has the character U+20AC, which is not in GPT-2's byte alphabet"},
      {"a raw space", edited([](json& v) { v["a b"] = 258; }),
       "the vocabulary's token 'a b' has the character U+0020, which is not in GPT-2's byte alphabet"},
      {"an empty token", edited([](json& v) { v[""] = 258; }), "the vocabulary has an empty token (id 258)"},
      {"a token too long", edited([](json& v) { v[std::string(1025, 'x')] = 258; }),
       "the vocabulary's token 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' is longer than 1024 bytes"},
      {"a byte missing", edited([](json& v) {
         v.erase("\u010A");  // the newline's token, id 10: the last token takes its id
         v["\u0120ab"] = 10;
       }),
       "the vocabulary has no token for the byte 0x0A (written 'Ċ'): byte-level BPE needs all 256, so that any text "
       "can be encoded"},
      {"no tokens", with_vocab(json::object()),
       "the vocabulary has no token for the byte 0x00 (written 'Ā'): byte-level BPE needs all 256, so that any text "
       "can be encoded"},
      {"three parts", with_merges("#version: 0.2\na b c\n"),
       "merges.txt line 2 is not two tokens separated by one space: 'a b c'"},
      {"one part", with_merges("a b\nab\n"), "merges.txt line 2 is not two tokens separated by one space: 'ab'"},
      {"two spaces", with_merges("a  b\n"), "merges.txt line 1 is not two tokens separated by one space: 'a  b'"},
      {"a leading space", with_merges(" a\n"), "merges.txt line 1 is not two tokens separated by one space: ' a'"},
      {"an unknown token", with_merges("a b\nab zz\n"), "merges.txt line 2 names 'zz', which is not in the vocabulary"},
      {"an unknown result", with_merges("b a\n"), "merges.txt line 1 makes 'ba', which is not in the vocabulary"},
      {"a merge twice", with_merges("#version: 0.2\na b\n\nĠ ab\na b\n"),
       "merges.txt line 5 repeats the merge 'a b' of merges.txt line 2"},
      {"invalid UTF-8",
       with_merges("a b\n\xFF"
                   " b\n"),
       "merges.txt line 2: the token '?' is not valid UTF-8"},
      {"outside the alphabet", with_merges("a\u20AC b\n"),
       "merges.txt line 1: the token 'a€' has the character U+20AC, which is not in GPT-2's byte alphabet"},
      {"vocab.json too large",
       {std::string((size_t(32) << 20) + 1, ' '), good.merges},
       "vocab.json is larger than 32 MiB"},
      {"merges.txt too large", with_merges(std::string((size_t(32) << 20) + 1, '\n')),
       "merges.txt is larger than 32 MiB"},
      {"millions of values", {many_zeros, good.merges}, "vocab.json has more than 4194304 JSON values"},
      {"deeply nested",
       {std::string(100000, '[') + std::string(100000, ']'), good.merges},
       "vocab.json must be a JSON object of token: id, not an array"},
  };
  for (const Bad& bad : catalogue) {
    CAPTURE(bad.what);
    CHECK(load_error(bad.files) == bad.message);
  }
  // Windows line ends and a missing last newline are fine.
  CHECK(load_error(with_merges("#version: 0.2\r\na b\r\nĠ ab")) == "(loaded)");
}

TEST_CASE("GPT-2 tokenizer files: tokenizer.json that is not GPT-2's is refused with one sentence") {
  const Files good = small_files({{"a", "b"}});
  const json model = {{"type", "BPE"}, {"vocab", json::parse(good.vocab)}, {"merges", json::array({"a b"})}};
  const json base = {{"model", model}};
  REQUIRE(json_error(base.dump()) == "(loaded)");
  const auto edited = [&](auto edit) {
    json j = base;
    edit(j);
    return j.dump();
  };
  struct Bad {
    const char* what;
    std::string text;
    std::string message;
  };
  const Bad catalogue[] = {
      {"not JSON", "{", "tokenizer.json is not valid JSON (it ends too early)"},
      {"a bad literal", "{\"model\": x}", "tokenizer.json is not valid JSON (the error is at byte 11)"},
      {"an array", "[]", "tokenizer.json must be a JSON object, not an array"},
      {"no model", "{}", "tokenizer.json has no \"model\" object"},
      {"WordPiece", edited([](json& j) { j["model"]["type"] = "WordPiece"; }),
       "tokenizer.json's model is of type 'WordPiece', not BPE"},
      {"ignore_merges", edited([](json& j) { j["model"]["ignore_merges"] = true; }),
       "tokenizer.json's model has ignore_merges set, which GPT-2's has not: its ids would differ"},
      {"a normalizer", edited([](json& j) {
         j["normalizer"] = {{"type", "NFC"}};
       }),
       "tokenizer.json has a normalizer, which GPT-2's has not: its ids would differ"},
      {"another pre-tokenizer", edited([](json& j) {
         j["pre_tokenizer"] = {{"type", "Whitespace"}};
       }),
       "tokenizer.json's pre_tokenizer is not GPT-2's (ByteLevel, no prefix space, GPT-2's pattern): its ids would "
       "differ"},
      {"a prefix space", edited([](json& j) {
         j["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}};
       }),
       "tokenizer.json's pre_tokenizer is not GPT-2's (ByteLevel, no prefix space, GPT-2's pattern): its ids would "
       "differ"},
      {"no vocab", edited([](json& j) { j["model"].erase("vocab"); }), "tokenizer.json has no model.vocab"},
      {"vocab as a list", edited([](json& j) { j["model"]["vocab"] = json::array(); }),
       "tokenizer.json's model.vocab must be a JSON object of token: id, not an array"},
      {"no merges", edited([](json& j) { j["model"].erase("merges"); }), "tokenizer.json has no model.merges list"},
      {"a number as a merge", edited([](json& j) {
         j["model"]["merges"] = json::array({"a b", 5});
       }),
       "tokenizer.json's model.merges[1] is neither \"a b\" nor [\"a\", \"b\"]"},
      {"a pair of three", edited([](json& j) {
         j["model"]["merges"] = json::array({json::array({"a", "b", "c"})});
       }),
       "tokenizer.json's model.merges[0] is neither \"a b\" nor [\"a\", \"b\"]"},
      {"a string of one", edited([](json& j) { j["model"]["merges"] = json::array({"ab"}); }),
       "tokenizer.json's model.merges[0] is neither \"a b\" nor [\"a\", \"b\"]"},
      {"an unknown token", edited([](json& j) {
         j["model"]["merges"] = json::array({json::array({"a", "zz"})});
       }),
       "tokenizer.json's model.merges[0] names 'zz', which is not in the vocabulary"},
  };
  for (const Bad& bad : catalogue) {
    CAPTURE(bad.what);
    CHECK(json_error(bad.text) == bad.message);
  }
  // GPT-2's own settings, and no pre_tokenizer at all, load.
  CHECK(json_error(edited([](json& j) {
          j["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}};
          j["normalizer"] = nullptr;
        })) == "(loaded)");
}

TEST_CASE("property: random corruptions of tokenizer files never crash the reader") {
  const Files good = small_files({{"a", "b"}, {" ", "ab"}, {"c", "d"}, {" ", "cd"}, {"ab", "cd"}});
  const json model = {{"type", "BPE"}, {"vocab", json::parse(good.vocab)}, {"merges", json::array({"a b", "Ġ ab"})}};
  const std::string tokenizer = json{{"model", model}}.dump();
  ap::Rng rng(17);
  const auto corrupt = [&](std::string s) {
    for (int e = 1 + int(rng.next() % 4); e > 0 && !s.empty(); --e) {
      const size_t at = rng.next() % s.size();
      switch (rng.next() % 3) {
        case 0:
          s[at] = char(rng.next());
          break;
        case 1:
          s.erase(at, 1 + rng.next() % 8);
          break;
        default:
          s.insert(at, std::string(1 + rng.next() % 3, char(rng.next())));
          break;
      }
    }
    return s;
  };
  const std::string sample = "abcd ab cd\n\xFF日";
  int errors = 0, wrong = 0;
  const auto use = [&](std::variant<ap::Gpt2Tokenizer, std::string> r) {
    if (auto* t = std::get_if<ap::Gpt2Tokenizer>(&r)) wrong += t->decode(t->encode(sample)) != sample;
    else errors += !std::get<std::string>(r).empty();
  };
  for (int trial = 0; trial < 1500; ++trial) {
    use(ap::Gpt2Tokenizer::from_vocab_merges(corrupt(good.vocab), good.merges));
    use(ap::Gpt2Tokenizer::from_vocab_merges(good.vocab, corrupt(good.merges)));
    use(ap::Gpt2Tokenizer::from_tokenizer_json(corrupt(tokenizer)));
  }
  CHECK(wrong == 0);
  CHECK(errors > 1500);
}
