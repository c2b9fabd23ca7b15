// Lookup in the generated table (see unicode_classes.h): Latin-1 by index,
// the rest by binary search over about 1,600 break points.
#include "text/unicode_classes.h"

#include <algorithm>
#include <iterator>

namespace ap {
namespace {
#include "unicode_classes_table.inc"
}  // namespace

CharClass char_class(char32_t cp) {
  if (cp < 256) return CharClass(kLatin1Classes[cp]);
  if (cp >= 0x110000) return CharClass::Other;
  // The last break at or below cp: entries are (first << 2) | class, so (cp << 2) | 3 sorts after cp's own.
  const uint32_t key = (uint32_t(cp) << 2) | 3u;
  const uint32_t* at = std::upper_bound(std::begin(kClassBreaks), std::end(kClassBreaks), key);
  return CharClass(*(at - 1) & 3u);
}

const char* unicode_classes_version() { return kUnicodeVersion; }

}  // namespace ap
