// libFuzzer target: GPT-2's tokenizer. The first byte chooses what the rest is:
//   0: vocab.json, a NUL, merges.txt     1: tokenizer.json     else: text to encode
// A file that loads gives a tokenizer whose ids of any text are in range and
// decode back to that text; a file refused is refused with a sentence. Text
// is encoded with a small vocabulary of the 256 bytes and a few merges: its
// pieces cover it exactly, and its ids decode back to it.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

#include "text/bpe.h"

namespace {

// GPT-2's byte alphabet (printing bytes as themselves, the rest from U+0100 on).
std::string alphabet_form(std::string_view bytes) {
  std::string out;
  for (unsigned char b : bytes) {
    const auto prints = [](int c) { return (c >= 0x21 && c <= 0x7E) || (c >= 0xA1 && c <= 0xAC) || c >= 0xAE; };
    char32_t cp = b;
    if (!prints(b)) {
      cp = 256;
      for (int o = 0; o < b; ++o) cp += !prints(o);
    }
    if (cp < 0x80) {
      out += char(cp);
    } else {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    }
  }
  return out;
}

const ap::Gpt2Tokenizer& small_tokenizer() {
  static const ap::Gpt2Tokenizer t = [] {
    const char* const merges[][2] = {{" ", "t"}, {"h", "e"},   {" t", "he"}, {"i", "n"}, {"in", "g"},      {"\n", "\n"},
                                     {" ", " "}, {"  ", "  "}, {"'", "s"},   {"1", "2"}, {"\xE6", "\x97"}, {"e", "r"}};
    nlohmann::json vocab = nlohmann::json::object();
    std::string text;
    for (int b = 0; b < 256; ++b) vocab[alphabet_form(std::string(1, char(b)))] = b;
    for (const auto& m : merges) {
      vocab[alphabet_form(std::string(m[0]) + m[1])] = vocab.size();
      text += alphabet_form(m[0]) + " " + alphabet_form(m[1]) + "\n";
    }
    auto r = ap::Gpt2Tokenizer::from_vocab_merges(vocab.dump(), text);
    if (!std::holds_alternative<ap::Gpt2Tokenizer>(r)) __builtin_trap();
    return std::get<ap::Gpt2Tokenizer>(std::move(r));
  }();
  return t;
}

void check_encodes(const ap::Gpt2Tokenizer& t, std::string_view text) {
  const auto ids = t.encode(text);
  for (int32_t id : ids)
    if (id < 0 || id >= t.vocab_size() || t.token_bytes(id).empty()) __builtin_trap();
  if (t.decode(ids) != text) __builtin_trap();
}

void check_loaded(const std::variant<ap::Gpt2Tokenizer, std::string>& r, std::string_view sample) {
  if (const auto* e = std::get_if<std::string>(&r)) {
    if (e->empty()) __builtin_trap();
    return;
  }
  const auto& t = std::get<ap::Gpt2Tokenizer>(r);
  check_encodes(t, "Hello world, it's 2024!\n\tcaf\xC3\xA9 \xE6\x97\xA5 \xFF");
  check_encodes(t, sample);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string_view sample = rest.substr(0, 64);
  switch (data[0]) {
    case 0: {
      const size_t nul = rest.find('\0');
      const std::string_view vocab = rest.substr(0, nul);
      const std::string_view merges = nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);
      check_loaded(ap::Gpt2Tokenizer::from_vocab_merges(vocab, merges), sample);
      break;
    }
    case 1:
      check_loaded(ap::Gpt2Tokenizer::from_tokenizer_json(rest), sample);
      break;
    default: {
      size_t covered = 0;
      for (std::string_view piece : ap::gpt2_pretokenize(rest)) {
        if (piece.empty() || piece.data() != rest.data() + covered) __builtin_trap();
        covered += piece.size();
      }
      if (covered != rest.size()) __builtin_trap();
      check_encodes(small_tokenizer(), rest);
      for (int32_t id = 0; id < 256 + 12; ++id)
        if (ap::gpt2_token_display(small_tokenizer().token_bytes(id)).empty()) __builtin_trap();
      break;
    }
  }
  return 0;
}
