// Tokenizer: see tokenize.h for the rules.
#include "text/tokenize.h"

#include <cstdint>

#include "text/utf8.h"

namespace ap {
namespace {

// [SECTION] Character classes

enum class Kind { Space, Word, Punct, Single, Emoji, Joiner, Modifier, Mark };

bool in(char32_t c, char32_t lo, char32_t hi) { return c >= lo && c <= hi; }

bool is_regional_indicator(char32_t c) { return in(c, 0x1F1E6, 0x1F1FF); }

Kind classify(char32_t c) {
  if (c < 0x80) {
    if (c == ' ' || (c >= 0x09 && c <= 0x0D)) return Kind::Space;
    if (c < 0x20 || c == 0x7F) return Kind::Space;  // other control characters separate too
    if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_') return Kind::Word;
    return Kind::Punct;
  }
  if (c == 0x85 || c == 0xA0 || c == 0x1680 || in(c, 0x2000, 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
      c == 0x205F || c == 0x3000)
    return Kind::Space;
  if (c == 0x200D) return Kind::Joiner;  // zero-width joiner: glues emoji sequences
  if (in(c, 0xFE00, 0xFE0F) || in(c, 0x1F3FB, 0x1F3FF) || in(c, 0xE0020, 0xE007F))
    return Kind::Modifier;  // variation selectors, skin tones, tag sequences
  if (in(c, 0x0300, 0x036F) || in(c, 0x1AB0, 0x1AFF) || in(c, 0x1DC0, 0x1DFF) || in(c, 0x20D0, 0x20FF))
    return Kind::Mark;  // combining accents stay on their letter
  if (in(c, 0x00A1, 0x00BF) || c == 0x00D7 || c == 0x00F7 || in(c, 0x2010, 0x2027) || in(c, 0x2030, 0x205E) ||
      in(c, 0x3001, 0x3003) || in(c, 0x3008, 0x3011) || in(c, 0xFF01, 0xFF0F) || in(c, 0xFF1A, 0xFF20))
    return Kind::Punct;
  if (in(c, 0x1F000, 0x1FAFF) || in(c, 0x2600, 0x27BF) || in(c, 0x2B00, 0x2BFF) || in(c, 0x2190, 0x21FF) ||
      c == 0x00A9 || c == 0x00AE || c == 0x203C || c == 0x2049)
    return Kind::Emoji;
  if (in(c, 0x3040, 0x30FF) || in(c, 0x3400, 0x4DBF) || in(c, 0x4E00, 0x9FFF) || in(c, 0xF900, 0xFAFF) ||
      in(c, 0x20000, 0x3134F))
    return Kind::Single;  // kana and CJK ideographs: one token each
  return Kind::Word;      // letters and digits of every other script
}

}  // namespace

std::optional<size_t> find_invalid_utf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const Utf8Char d = utf8_at(text, i);
    if (!d.valid) return i;
    i += d.len;
  }
  return std::nullopt;
}

std::vector<std::string> tokenize(std::string_view text) {
  std::vector<std::string> out;
  // What the token being built is, so the next character knows whether it joins.
  enum class Open { None, Word, Emoji, EmojiAfterJoiner, Flag1 } open = Open::None;
  const auto start = [&](std::string_view bytes, Open o) {
    out.emplace_back(bytes);
    open = o;
  };
  for (size_t i = 0; i < text.size();) {
    const Utf8Char d = utf8_at(text, i);
    const std::string_view bytes = text.substr(i, d.len);
    i += d.len;
    if (!d.valid) {
      start(bytes, Open::None);
      continue;
    }
    switch (classify(d.cp)) {
      case Kind::Space:
        open = Open::None;
        break;
      case Kind::Word:
        if (open == Open::Word) out.back() += bytes;
        else start(bytes, Open::Word);
        break;
      case Kind::Mark:
        if (open == Open::Word || open == Open::Emoji) out.back() += bytes;
        else start(bytes, Open::None);
        break;
      case Kind::Punct:
      case Kind::Single:
        start(bytes, Open::None);
        break;
      case Kind::Emoji:
        if (open == Open::EmojiAfterJoiner) {
          out.back() += bytes;
          open = Open::Emoji;
        } else if (is_regional_indicator(d.cp) && open == Open::Flag1) {
          out.back() += bytes;
          open = Open::None;
        } else start(bytes, is_regional_indicator(d.cp) ? Open::Flag1 : Open::Emoji);
        break;
      case Kind::Joiner:
        if (open == Open::Emoji) {
          out.back() += bytes;
          open = Open::EmojiAfterJoiner;
        } else if (!out.empty() && open != Open::None) out.back() += bytes;  // ZWJ inside a word
        break;
      case Kind::Modifier:
        if (open == Open::Emoji || open == Open::Flag1 || open == Open::Word) out.back() += bytes;
        else start(bytes, Open::None);
        break;
    }
  }
  return out;
}

}  // namespace ap
