// Which font draws a code point: the embedded UI font (DejaVu Sans cut down
// at build time to the Base rows below), or one from Debian's font packages
// that the page fetches only when a text first needs it (the static folder's
// fonts/, the whole of DejaVu Sans among them). No ImGui here: tested natively.
#pragma once
#include <cstdint>
#include <set>
#include <string_view>

#include "text/utf8.h"

namespace web::fonts {

// The embedded font's ranges, in ImGui's form (pairs, 0-terminated); CMakeLists.txt cuts the font to the
// table's Base rows.
extern const uint32_t* const kBaseRanges;

// Base: embedded, in the atlas from the start. Extended: the rest of DejaVu Sans (Vietnamese, Armenian,
// Georgian, Lao, combining marks, ...). Every face but Base is fetched when a text needs it.
enum class Face : uint8_t {
  Base,
  Extended,
  Cjk,
  Hangul,
  Symbols,
  Sans,
  Serif,
  Telugu,
  Kannada,
  Khmer,
  Myanmar,
  Tibetan,
  None
};
inline constexpr int kExtraFaces = int(Face::None) - 1;  // Extended .. Tibetan, merged when needed
// The file in the static folder's fonts/ for a fetched face; "" for Base (embedded) and None.
const char* file_of(Face f);
// The face that draws `cp`: None if no font here does.
Face face_for(uint32_t cp);
// Scripts ImGui 1.86 draws letter by letter, left to right and unjoined: right-to-left scripts
// (Hebrew, Arabic), and those whose letters join or combine (Indic, Thai, ...).
bool unshaped(uint32_t cp);

// Calls f(code point) for each character of UTF-8 text, decoded as the tokenizers do (invalid bytes: U+FFFD).
template <class F>
void each_codepoint(std::string_view s, F f) {
  for (size_t i = 0; i < s.size();) {
    const ap::Utf8Char c = ap::utf8_at(s, i);
    i += c.len;
    if (c.cp >= 0x20) f(uint32_t(c.cp));
  }
}

// A TrueType font's line height per em, (ascender - descender) / unitsPerEm from its hhea and head tables,
// as stb_truetype sizes a font; 0 when the data is no such font. Fonts differ (Lohit's tall lines make its
// letters small at one pixel height), so a merged face is given the pixel height at which its em matches
// the UI font's.
float height_per_em(std::string_view ttf);

// Adds to `out` the code points of `utf8` that are not in the atlas from the start.
void add_extra_codepoints(std::string_view utf8, std::set<uint32_t>& out);
// Whether a text holds a script drawn letter by letter (see unshaped).
bool has_unshaped(std::string_view utf8);

}  // namespace web::fonts
