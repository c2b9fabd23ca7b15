// Fonts by code point: see fonts.h.
#include "render/fonts.h"

#include <algorithm>
#include <array>
#include <iterator>

namespace web::fonts {
namespace {

struct Range {
  uint32_t lo, hi;
  Face face;
};
// Written once: what the embedded font covers (CMakeLists.txt reads the Base rows: one per line), and
// which fetched font is for what (first match wins). The fetched ones: fonts-dejavu-core (the rest of
// DejaVu Sans), fonts-droid-fallback (CJK), fonts-nanum (Hangul: Droid has no syllables),
// fonts-symbola (emoji in one colour: stb_truetype draws no colour glyphs), fonts-freefont-ttf (FreeSans,
// FreeSerif: Indic, Thai, Ethiopic, ...), fonts-lohit-telu, fonts-lohit-knda, fonts-khmeros, fonts-sil-padauk
// (Myanmar), fonts-tibetan-machine.
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
    {0x2713, 0x2713, Face::Base},       // ✓, a lesson's step done
    {0xFFFD, 0xFFFD, Face::Base},       // the replacement character: a token's incomplete UTF-8
    {0x0250, 0x036F, Face::Extended},   // IPA, spacing modifiers, combining diacritics
    {0x0500, 0x058F, Face::Extended},   // Cyrillic supplement, Armenian
    {0x07C0, 0x07FF, Face::Extended},   // N'Ko
    {0x0E80, 0x0EFF, Face::Extended},   // Lao
    {0x10A0, 0x10FF, Face::Extended},   // Georgian
    {0x1E00, 0x1FFF, Face::Extended},   // Latin extended additional (Vietnamese), Greek extended
    {0xFB00, 0xFDFF, Face::Extended},   // Latin, Hebrew and Arabic presentation forms
    {0xFE70, 0xFEFF, Face::Extended},   // Arabic presentation forms B
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
    {0x0700, 0x074F, Face::Sans},       // Syriac (unshaped)
    {0x0900, 0x0A7F, Face::Sans},       // Devanagari, Bengali, Gurmukhi
    {0x0D00, 0x0D7F, Face::Sans},       // Malayalam
    {0x0780, 0x07BF, Face::Serif},      // Thaana (unshaped)
    {0x0A80, 0x0BFF, Face::Serif},      // Gujarati, Oriya, Tamil
    {0x0D80, 0x0DFF, Face::Serif},      // Sinhala
    {0x0E00, 0x0E7F, Face::Serif},      // Thai
    {0x1200, 0x137F, Face::Serif},      // Ethiopic
    {0x13A0, 0x13FF, Face::Serif},      // Cherokee
    {0x0C00, 0x0C7F, Face::Telugu},     // Telugu
    {0x0C80, 0x0CFF, Face::Kannada},    // Kannada
    {0x1780, 0x17FF, Face::Khmer},      // Khmer
    {0x19E0, 0x19FF, Face::Khmer},      // Khmer symbols
    {0x1000, 0x109F, Face::Myanmar},    // Myanmar
    {0xA9E0, 0xA9FF, Face::Myanmar},    // Myanmar extended-B
    {0xAA60, 0xAA7F, Face::Myanmar},    // Myanmar extended-A
    {0x0F00, 0x0FFF, Face::Tibetan},    // Tibetan
};

// The Base rows of the table, as ImGui wants them.
constexpr size_t kBaseRows =
    std::count_if(std::begin(kRanges), std::end(kRanges), [](const Range& r) { return r.face == Face::Base; });
constexpr std::array<uint32_t, 2 * kBaseRows + 1> base_ranges() {
  std::array<uint32_t, 2 * kBaseRows + 1> out{};
  size_t i = 0;
  for (const Range& r : kRanges)
    if (r.face == Face::Base) {
      out[i++] = r.lo;
      out[i++] = r.hi;
    }
  return out;  // 0-terminated by the value-initialised last element
}
constexpr auto kBaseArray = base_ranges();

}  // namespace

const uint32_t* const kBaseRanges = kBaseArray.data();

const char* file_of(Face f) {
  switch (f) {
    case Face::Extended:
      return "DejaVuSans.ttf";
    case Face::Cjk:
      return "DroidSansFallbackFull.ttf";
    case Face::Hangul:
      return "NanumSquareR.ttf";
    case Face::Symbols:
      return "Symbola_hint.ttf";
    case Face::Sans:
      return "FreeSans.ttf";
    case Face::Serif:
      return "FreeSerif.ttf";
    case Face::Telugu:
      return "Lohit-Telugu.ttf";
    case Face::Kannada:
      return "Lohit-Kannada.ttf";
    case Face::Khmer:
      return "KhmerOS.ttf";
    case Face::Myanmar:
      return "Padauk-Regular.ttf";
    case Face::Tibetan:
      return "TibetanMachineUni.ttf";
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

float height_per_em(std::string_view ttf) {
  const auto u16 = [&](size_t at) { return uint32_t(uint8_t(ttf[at])) << 8 | uint8_t(ttf[at + 1]); };
  const auto u32 = [&](size_t at) { return u16(at) << 16 | u16(at + 2); };
  if (ttf.size() < 12) return 0;
  size_t head = 0, hhea = 0;
  const size_t tables = u16(4);
  for (size_t i = 0; i < tables && 12 + 16 * (i + 1) <= ttf.size(); ++i) {
    const size_t rec = 12 + 16 * i;
    const std::string_view tag = ttf.substr(rec, 4);
    const size_t offset = u32(rec + 8);
    if (tag == "head") head = offset;
    if (tag == "hhea") hhea = offset;
  }
  if (!head || !hhea || head + 20 > ttf.size() || hhea + 8 > ttf.size()) return 0;
  const int units = int(u16(head + 18));
  const int ascender = int16_t(u16(hhea + 4)), descender = int16_t(u16(hhea + 6));
  if (units <= 0 || ascender - descender <= 0) return 0;
  return float(ascender - descender) / float(units);
}

void add_extra_codepoints(std::string_view s, std::set<uint32_t>& out) {
  each_codepoint(s, [&](uint32_t cp) {
    if (face_for(cp) != Face::Base) out.insert(cp);
  });
}

bool has_unshaped(std::string_view s) {
  bool any = false;
  each_codepoint(s, [&](uint32_t cp) { any |= unshaped(cp); });
  return any;
}

}  // namespace web::fonts
