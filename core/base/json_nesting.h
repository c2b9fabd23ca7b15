// How deep a JSON text nests, scanned before it is parsed, so that a hostile
// file (a safetensors header, a lesson) is refused before the parser builds
// it: the deepest nesting of [ and { outside strings, counted up to `stop`.
#pragma once
#include <algorithm>
#include <string_view>

namespace ap {

inline int json_nesting(std::string_view s, int stop = 64) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > stop) return deepest;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace ap
