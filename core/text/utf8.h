// One UTF-8 character at a time, for both tokenizers: what a byte position
// starts, and whether it is valid (complete, shortest form, not a UTF-16
// surrogate, at most U+10FFFF). Invalid bytes are never skipped silently:
// each counts as one character of one byte, U+FFFD.
#pragma once
#include <cstddef>
#include <string_view>

namespace ap {

struct Utf8Char {
  char32_t cp;  // U+FFFD when invalid
  size_t len;   // bytes it takes, at least 1
  bool valid;
};

inline Utf8Char utf8_at(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = byte(0);
  if (c < 0x80) return {c, 1, true};
  size_t len = 0;
  char32_t cp = 0, min = 0;
  if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F, min = 0x80;
  else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F, min = 0x800;
  else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07, min = 0x10000;
  else return {0xFFFD, 1, false};
  if (i + len > s.size()) return {0xFFFD, 1, false};
  for (size_t k = 1; k < len; ++k) {
    if ((byte(k) & 0xC0) != 0x80) return {0xFFFD, 1, false};
    cp = (cp << 6) | (byte(k) & 0x3F);
  }
  // Overlong forms, UTF-16 surrogates and values past U+10FFFF are invalid.
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {0xFFFD, 1, false};
  return {cp, len, true};
}

}  // namespace ap
