// The font table (web/render/fonts.h): which face draws a character, which
// scripts are said to be unshaped, and the characters a text needs fetched.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "render/fonts.h"

using web::fonts::Face;

TEST_CASE("fonts: each script goes to the face that draws it") {
  CHECK(web::fonts::face_for(U'a') == Face::Base);
  CHECK(web::fonts::face_for(U'√') == Face::Base);
  CHECK(web::fonts::face_for(U'א') == Face::Base);  // Hebrew, in DejaVu Sans
  CHECK(web::fonts::face_for(U'你') == Face::Cjk);
  CHECK(web::fonts::face_for(U'안') == Face::Hangul);
  CHECK(web::fonts::face_for(U'カ') == Face::Cjk);
  CHECK(web::fonts::face_for(U'🙂') == Face::Symbols);
  CHECK(web::fonts::face_for(U'☀') == Face::Symbols);
  CHECK(web::fonts::face_for(U'ệ') == Face::Extended);  // Vietnamese: in DejaVu Sans, not in the embedded cut
  CHECK(web::fonts::face_for(U'ა') == Face::Extended);  // Georgian
  CHECK(web::fonts::face_for(U'क') == Face::Sans);      // Devanagari
  CHECK(web::fonts::face_for(U'த') == Face::Serif);     // Tamil
  CHECK(web::fonts::face_for(U'ส') == Face::Serif);     // Thai
  CHECK(web::fonts::face_for(U'ሰ') == Face::Serif);     // Ethiopic
  CHECK(web::fonts::face_for(U'త') == Face::Telugu);
  CHECK(web::fonts::face_for(U'ಕ') == Face::Kannada);
  CHECK(web::fonts::face_for(U'ខ') == Face::Khmer);
  CHECK(web::fonts::face_for(U'မ') == Face::Myanmar);
  CHECK(web::fonts::face_for(U'བ') == Face::Tibetan);
  CHECK(web::fonts::face_for(U'ᠮ') == Face::None);    // Mongolian (written top to bottom): no font here
  CHECK(web::fonts::face_for(0xFFFD) == Face::Base);  // what an incomplete byte token draws
  // Every face beyond the embedded one has its file, and no two share one.
  std::set<std::string> files;
  for (int f = int(Face::Extended); f < int(Face::None); ++f) {
    const std::string file = web::fonts::file_of(Face(f));
    CHECK(file.ends_with(".ttf"));
    files.insert(file);
  }
  CHECK(files.size() == size_t(int(Face::None) - int(Face::Extended)));
  CHECK(std::string(web::fonts::file_of(Face::Base)).empty());
  CHECK(web::fonts::unshaped(U'ب'));
  CHECK(web::fonts::unshaped(U'क'));
  CHECK_FALSE(web::fonts::unshaped(U'你'));
  CHECK_FALSE(web::fonts::unshaped(U'e'));
  CHECK(web::fonts::has_unshaped("שלום"));
  CHECK(web::fonts::has_unshaped("नमस्ते"));
  CHECK_FALSE(web::fonts::has_unshaped("你好 🙂 Tiếng Việt"));
}

TEST_CASE("fonts: the embedded ranges ImGui gets are the table's Base rows, 0-terminated") {
  std::vector<uint32_t> r;
  for (const uint32_t* p = web::fonts::kBaseRanges; *p; p += 2) {
    CHECK(p[0] <= p[1]);
    for (uint32_t cp : {p[0], p[1]}) CHECK(web::fonts::face_for(cp) == Face::Base);
    r.push_back(p[0]);
  }
  CHECK(r.size() >= 9);
  CHECK(r.front() == 0x20);
}

TEST_CASE("fonts: a text's characters beyond the first atlas, decoded from UTF-8") {
  std::set<uint32_t> cps;
  web::fonts::add_extra_codepoints("The cat 你好 안녕 🙂 sat, √d", cps);
  CHECK(cps == std::set<uint32_t>{U'你', U'好', U'안', U'녕', U'🙂'});
  web::fonts::add_extra_codepoints("plain ASCII adds nothing", cps);
  CHECK(cps.size() == 5);
  std::set<uint32_t> viet;
  web::fonts::add_extra_codepoints("Vi\xe1\xbb\x87t \xff", viet);  // ệ, then a byte that starts no character
  CHECK(viet == std::set<uint32_t>{0x1EC7});                       // U+FFFD for the stray byte is in the first atlas
}

TEST_CASE("fonts: a font's line height per em, read from its head and hhea tables") {
  // The UI font, as Debian ships it (fonts-dejavu-core): ascender 1901, descender -483, 2048 units per em.
  std::ifstream in("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", std::ios::binary);
  const std::string ttf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(ttf.size() > 100000);
  CHECK(web::fonts::height_per_em(ttf) == doctest::Approx((1901.0 + 483.0) / 2048.0).epsilon(1e-6));
  // Not a font, or cut short: 0, and the caller keeps the pixel height.
  CHECK(web::fonts::height_per_em("") == 0);
  CHECK(web::fonts::height_per_em("not a font at all") == 0);
  CHECK(web::fonts::height_per_em(std::string_view(ttf).substr(0, 400)) == 0);
}
