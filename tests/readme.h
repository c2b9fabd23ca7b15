// The part of the README between two marker lines, for the tests that check
// a generated table against the table in the code.
#pragma once
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

// The text after the line `begin` (which ends with a newline) and before `end`; fails the test if either is missing.
inline std::string readme_between(const std::string& begin, const std::string& end) {
  std::ifstream in(AP_SOURCE_DIR "/README.md");
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string readme = ss.str();
  const size_t a = readme.find(begin), b = readme.find(end);
  REQUIRE(a != std::string::npos);
  REQUIRE(b != std::string::npos);
  return readme.substr(a + begin.size(), b - a - begin.size());
}
