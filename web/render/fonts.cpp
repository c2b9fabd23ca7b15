// Fonts by code point: see fonts.h.
#include "render/fonts.h"

#include "text/utf8.h"

namespace web::fonts {
namespace {

struct Range {
  uint32_t lo, hi;
  Face face;
};
// Written once: what the embedded font covers, and what each fetched font is for.
constexpr Range kRanges[] = {
    {0x0020, 0x024F, Face::Base},       // Latin, Latin-1, Latin Extended-A/B
    {0x0370, 0x03FF, Face::Base},       // Greek
    {0x0400, 0x04FF, Face::Base},       // Cyrillic
    {0x0590, 0x05FF, Face::Base},       // Hebrew (unshaped)
    {0x0600, 0x06FF, Face::Base},       // Arabic (unshaped)
    {0x1D00, 0x1DBF, Face::Base},       // phonetic extensions (the ᵀ of Kᵀ)
    {0x2000, 0x22FF, Face::Base},       // punctuation, super/subscripts, arrows, maths (√ · − ∞)
    {0x2423, 0x2423, Face::Base},       // ␣, how GPT-2's tokens show their leading space
    {0x25A0, 0x25FF, Face::Base},       // geometric shapes
    {0x1100, 0x11FF, Face::Hangul},     // Hangul jamo
    {0x3130, 0x318F, Face::Hangul},     // Hangul compatibility jamo
    {0xAC00, 0xD7AF, Face::Hangul},     // Hangul syllables
    {0x2E80, 0x2FDF, Face::Cjk},        // CJK radicals
    {0x3000, 0x30FF, Face::Cjk},        // CJK punctuation, hiragana, katakana
    {0x3100, 0x312F, Face::Cjk},        // bopomofo
    {0x3190, 0x31FF, Face::Cjk},        // kanbun, CJK strokes, katakana extensions
    {0x3400, 0x4DBF, Face::Cjk},        // CJK extension A
    {0x4E00, 0x9FFF, Face::Cjk},        // CJK unified ideographs
    {0xF900, 0xFAFF, Face::Cjk},        // CJK compatibility ideographs
    {0xFF00, 0xFFEF, Face::Cjk},        // full-width forms
    {0x2300, 0x23FF, Face::Symbols},    // technical (⌚ ⏰)
    {0x2460, 0x24FF, Face::Symbols},    // enclosed alphanumerics
    {0x2600, 0x27BF, Face::Symbols},    // miscellaneous symbols, dingbats (☀ ✓)
    {0x2B00, 0x2BFF, Face::Symbols},    // arrows and stars (⭐)
    {0x1F000, 0x1FAFF, Face::Symbols},  // emoji, pictographs, transport, symbols
};

}  // namespace

const uint32_t kBaseRanges[] = {0x0020, 0x024F, 0x0370, 0x03FF, 0x0400, 0x04FF, 0x0590, 0x05FF, 0x0600, 0x06FF,
                                0x1D00, 0x1DBF, 0x2000, 0x22FF, 0x2423, 0x2423, 0x25A0, 0x25FF, 0};

const char* file_of(Face f) {
  switch (f) {
    case Face::Cjk:
      return "DroidSansFallbackFull.ttf";
    case Face::Hangul:
      return "NanumSquareR.ttf";
    case Face::Symbols:
      return "Symbola_hint.ttf";
    default:
      return "";
  }
}

Face face_for(uint32_t cp) {
  for (const Range& r : kRanges)
    if (cp >= r.lo && cp <= r.hi) return r.face;
  return Face::None;
}

bool unshaped(uint32_t cp) {
  return (cp >= 0x0590 && cp <= 0x08FF) ||  // Hebrew, Arabic, Syriac, Thaana, N'Ko, Samaritan
         (cp >= 0x0900 && cp <= 0x0DFF) ||  // Indic scripts
         (cp >= 0x0E00 && cp <= 0x0EFF) ||  // Thai, Lao
         (cp >= 0x0F00 && cp <= 0x109F) ||  // Tibetan, Myanmar
         (cp >= 0x1780 && cp <= 0x17FF) ||  // Khmer
         (cp >= 0xFB1D && cp <= 0xFDFF) || (cp >= 0xFE70 && cp <= 0xFEFF);  // presentation forms
}

namespace {
// Calls f(code point) for each character of UTF-8 text (ap::utf8_at, the tokenizers' own decoding).
template <class F>
void each_codepoint(std::string_view s, F f) {
  for (size_t i = 0; i < s.size();) {
    const ap::Utf8Char c = ap::utf8_at(s, i);
    i += c.len;
    if (c.cp >= 0x20) f(uint32_t(c.cp));
  }
}
}  // namespace

void add_extra_codepoints(std::string_view s, std::set<uint32_t>& out) {
  each_codepoint(s, [&](uint32_t cp) {
    if (face_for(cp) != Face::Base) out.insert(cp);
  });
}

TextNeeds text_needs(std::string_view s) {
  TextNeeds n;
  each_codepoint(s, [&](uint32_t cp) {
    n.unshaped |= unshaped(cp);
    n.undrawn |= face_for(cp) == Face::None;
  });
  return n;
}

}  // namespace web::fonts
