// The character classes of GPT-2's pre-tokenizer pattern: letters (\p{L}),
// numbers (\p{N}), white space (\s) and everything else. The table is made at
// build time by scripts/unicode_classes.py from Debian's Unicode 15.0 data, so
// no range is typed by hand. White space is the Unicode White_Space property,
// as in the regex engines of OpenAI's encoder (Python's regex), Hugging Face
// tokenizers (Oniguruma) and tiktoken (Rust): it has U+0085 and not U+FEFF,
// where JavaScript's \s is the other way round.
#pragma once
#include <cstdint>

namespace ap {

enum class CharClass : uint8_t { Other = 0, Letter = 1, Number = 2, Space = 3 };

// Unassigned code points, surrogates and values past U+10FFFF are Other.
CharClass char_class(char32_t cp);

// The Unicode version of the table ("15.0.0").
const char* unicode_classes_version();

}  // namespace ap
