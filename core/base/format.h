// printf-style formatting into a std::string, for the validation messages
// (config.cpp, train/settings.cpp): one sentence each, well under 320 bytes.
#pragma once
#include <cstdio>
#include <string>

namespace ap {

template <typename... Args>
std::string format(const char* fmt, Args... args) {
  char buf[320];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

}  // namespace ap
