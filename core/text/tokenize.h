// Splits text into the tokens the playground attends over: words, numbers,
// and each punctuation mark on its own. UTF-8 aware: a multi-byte character
// is never cut, accented words stay one token, every CJK ideograph or kana is
// a token of its own (those scripts use no spaces), and an emoji stays whole
// with its modifiers, ZWJ sequence or flag pair.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ap {

std::vector<std::string> tokenize(std::string_view text);

// Byte offset of the first invalid UTF-8 sequence, or nullopt if valid.
// (The tokenizer itself never fails: an invalid byte becomes its own token.)
std::optional<size_t> find_invalid_utf8(std::string_view text);

}  // namespace ap
