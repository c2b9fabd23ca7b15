// The font table (web/render/fonts.h): which face draws a character, which
// scripts are said to be unshaped, and the characters a text needs fetched.
#include <doctest/doctest.h>

#include <set>
#include <string>

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
  CHECK(web::fonts::face_for(U'क') == Face::None);  // Devanagari: no font here
  for (Face f : {Face::Cjk, Face::Hangul, Face::Symbols}) CHECK(std::string(web::fonts::file_of(f)).ends_with(".ttf"));
  CHECK(web::fonts::unshaped(U'ب'));
  CHECK(web::fonts::unshaped(U'क'));
  CHECK_FALSE(web::fonts::unshaped(U'你'));
  CHECK_FALSE(web::fonts::unshaped(U'e'));
  CHECK(web::fonts::text_needs("שלום").unshaped);
  CHECK_FALSE(web::fonts::text_needs("שלום").undrawn);
  CHECK(web::fonts::text_needs("नमस्ते").undrawn);
  CHECK_FALSE(web::fonts::text_needs("你好 🙂").unshaped);
}

TEST_CASE("fonts: a text's characters beyond the embedded font, decoded from UTF-8") {
  std::set<uint32_t> cps;
  web::fonts::add_extra_codepoints("The cat 你好 안녕 🙂 sat, √d", cps);
  CHECK(cps == std::set<uint32_t>{U'你', U'好', U'안', U'녕', U'🙂'});
  web::fonts::add_extra_codepoints("plain ASCII adds nothing", cps);
  CHECK(cps.size() == 5);
}
