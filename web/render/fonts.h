// Which font draws a code point: the embedded UI font (DejaVu Sans), or a
// larger one from Debian's font packages that the page fetches only when a
// text first needs it (platform/input.js's sibling, the page's fonts/ folder).
// No ImGui here: tested natively.
#pragma once
#include <cstdint>
#include <set>
#include <string_view>

namespace web::fonts {

// The embedded font's ranges, in ImGui's form (pairs, 0-terminated).
extern const uint32_t kBaseRanges[];

enum class Face : uint8_t { Base, Cjk, Hangul, Symbols, None };
inline constexpr int kExtraFaces = 3;  // Cjk, Hangul, Symbols: the fetched ones
// The file in the static folder's fonts/ for a fetched face.
const char* file_of(Face f);
// The face that draws `cp`: Base if the embedded font has it, None if no font here does.
Face face_for(uint32_t cp);
// Scripts ImGui 1.86 draws letter by letter, left to right and unjoined: right-to-left scripts
// (Hebrew, Arabic), and those whose letters join or combine (Indic, Thai, ...).
bool unshaped(uint32_t cp);

// Adds to `out` the code points of `utf8` that the embedded font does not draw.
void add_extra_codepoints(std::string_view utf8, std::set<uint32_t>& out);
// What a text holds that the page must say it cannot draw right.
struct TextNeeds {
  bool unshaped = false;  // a script drawn letter by letter (see unshaped)
  bool undrawn = false;   // a character no font here has
};
TextNeeds text_needs(std::string_view utf8);

}  // namespace web::fonts
