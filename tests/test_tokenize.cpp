// Tokenizer: words and punctuation, and UTF-8 characters are never cut.
#include <doctest/doctest.h>

#include "base/rng.h"
#include "text/tokenize.h"

using Tokens = std::vector<std::string>;

TEST_CASE("words and punctuation") {
  CHECK(ap::tokenize("The cat sat.") == Tokens{"The", "cat", "sat", "."});
  CHECK(ap::tokenize("  don't\tstop,now!! ") == Tokens{"don", "'", "t", "stop", ",", "now", "!", "!"});
  CHECK(ap::tokenize("GPT-2 has 768 dims") == Tokens{"GPT", "-", "2", "has", "768", "dims"});
  CHECK(ap::tokenize("").empty());
  CHECK(ap::tokenize(" \n\t ").empty());
}

TEST_CASE("accents, CJK and emoji stay whole") {
  CHECK(ap::tokenize("Héllo, wörld — ça va?") == Tokens{"Héllo", ",", "wörld", "—", "ça", "va", "?"});
  CHECK(ap::tokenize("e\xCC\x81t\xC3\xA9") == Tokens{"e\xCC\x81t\xC3\xA9"});  // combining acute stays
  CHECK(ap::tokenize("Привет мир") == Tokens{"Привет", "мир"});
  CHECK(ap::tokenize("日本語です。") == Tokens{"日", "本", "語", "で", "す", "。"});
  CHECK(ap::tokenize("I ❤️ 👩‍💻!") == Tokens{"I", "❤️", "👩‍💻", "!"});
  CHECK(ap::tokenize("👍🏽👍") == Tokens{"👍🏽", "👍"});
  CHECK(ap::tokenize("🇫🇷🇯🇵") == Tokens{"🇫🇷", "🇯🇵"});
  CHECK(ap::tokenize("مرحبا بالعالم") == Tokens{"مرحبا", "بالعالم"});
}

TEST_CASE("invalid UTF-8 never crashes and is located") {
  CHECK(ap::find_invalid_utf8("fine é 日 👍") == std::nullopt);
  CHECK(ap::find_invalid_utf8("ab\xC3") == 2u);         // truncated
  CHECK(ap::find_invalid_utf8("\xC0\xAF") == 0u);       // overlong '/'
  CHECK(ap::find_invalid_utf8("x\xED\xA0\x80") == 1u);  // UTF-16 surrogate
  CHECK(ap::tokenize("a\xFF"
                     "b") == Tokens{"a", "\xFF", "b"});
}

TEST_CASE("property: on random UTF-8 text, tokens are whole characters and lose no visible text") {
  const char* palette[] = {"a",
                           "Z",
                           "7",
                           " ",
                           "\t",
                           ".",
                           ",",
                           "é",
                           "e\xCC\x81",
                           "ß",
                           "日",
                           "ア",
                           "한",
                           "—",
                           "👍",
                           "🏽",
                           "\xE2\x80\x8D",
                           "❤",
                           "\xEF\xB8\x8F",
                           "🇫",
                           "🇷",
                           "\xC2\xA0",
                           "'"};
  ap::Rng rng(7);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string text, visible;
    const int len = int(rng.next() % 20);
    for (int i = 0; i < len; ++i) {
      const std::string piece = palette[rng.next() % (sizeof palette / sizeof *palette)];
      text += piece;
      if (piece != " " && piece != "\t" && piece != "\xC2\xA0") visible += piece;
    }
    CAPTURE(text);
    std::string joined;
    for (const auto& tok : ap::tokenize(text)) {
      CHECK(!tok.empty());
      CHECK(ap::find_invalid_utf8(tok) == std::nullopt);
      joined += tok;
    }
    // Only separators and a joiner with nothing to join may be dropped.
    std::string visible_no_zwj = visible, joined_no_zwj = joined;
    for (auto* s : {&visible_no_zwj, &joined_no_zwj})
      for (size_t p; (p = s->find("\xE2\x80\x8D")) != std::string::npos;) s->erase(p, 3);
    CHECK(joined_no_zwj == visible_no_zwj);
  }
}
