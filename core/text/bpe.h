// GPT-2's tokenizer: byte-level BPE. Text is cut into pieces by GPT-2's
// pattern (contractions, letter runs, number runs, other runs, white space
// runs, each letter, number or other run taking one leading space), each
// piece's UTF-8 bytes start as one token per byte, and adjacent tokens merge
// in the order of the merge list: the ids of OpenAI's encoder and of Hugging
// Face's GPT-2 tokenizer (but for special tokens, below); the tests compare
// with gpt-3-encoder, a JavaScript port of OpenAI's. Built from the texts of
// Hugging Face's files (vocab.json and merges.txt, or tokenizer.json), never
// from paths, so the page can hand it fetched bytes.
//
// Decisions where the references say nothing or disagree:
// - White space is Unicode's White_Space (see text/unicode_classes.h).
// - Invalid UTF-8 (which a Python or Rust string cannot hold) is tokenized
//   byte by byte: each byte that is not part of a valid sequence counts as an
//   "other" character (like U+FFFD, which it would decode to) and keeps its
//   own value, so decode(encode(bytes)) == bytes for any bytes.
// - Special tokens such as <|endoftext|> are not looked for in the text (as
//   in OpenAI's encoder; Hugging Face would match the added token). Its id is
//   found with id_of("<|endoftext|>").
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

namespace ap {

// Limits on files and vocabularies, far above GPT-2's (50,257 tokens of at most
// 128 bytes, 50,000 merges, a 1 MB vocab.json, a 1.4 MB tokenizer.json):
// larger inputs are refused, and no file can take more memory than these allow.
inline constexpr size_t kMaxTokenizerFileBytes = size_t{32} << 20;
inline constexpr size_t kMaxJsonValues = size_t{1} << 22;
inline constexpr size_t kMaxVocabTokens = size_t{1} << 20;
inline constexpr size_t kMaxTokenBytes = 1024;

// GPT-2's pre-tokenization: the pieces of text, in order; together they are
// exactly the text. Exposed for the tests and for showing where words split.
std::vector<std::string_view> gpt2_pretokenize(std::string_view text);

// A token's bytes made readable: the UTF-8 text with each space shown as
// "␣" (U+2423), a newline as "↵" (U+21B5), a tab as "⇥" (U+21E5), and the
// bytes of every other control character (C0, DEL, C1) and every byte that is
// not part of a complete valid UTF-8 character (a token may hold half a
// character) as <0xE6>. For reading only: different bytes may look alike
// here; ids and token_bytes are exact.
std::string gpt2_token_display(std::string_view bytes);

class Gpt2Tokenizer {
 public:
  // From the texts of vocab.json (token → id) and merges.txt (one "a b" pair a
  // line, an optional "#version" line first). On error, one sentence.
  static std::variant<Gpt2Tokenizer, std::string> from_vocab_merges(std::string_view vocab_json,
                                                                    std::string_view merges_txt);
  // From tokenizer.json: model.vocab and model.merges ("a b" strings or
  // ["a", "b"] pairs). A normalizer, or a pre-tokenizer other than GPT-2's
  // ByteLevel, would give other ids, so such files are refused.
  static std::variant<Gpt2Tokenizer, std::string> from_tokenizer_json(std::string_view tokenizer_json);

  // Any bytes (see above for invalid UTF-8). Not thread-safe: pieces seen
  // before are remembered in a cache, as the references do.
  std::vector<int32_t> encode(std::string_view text) const;
  // The tokens' bytes one after another (not always valid UTF-8: an id may
  // hold part of a character); an id outside the vocabulary gives U+FFFD.
  std::string decode(std::span<const int32_t> ids) const;

  int32_t vocab_size() const { return int32_t(bytes_.size()); }
  // The raw bytes of a token (" the", not "Ġthe"); empty for an id outside the vocabulary.
  const std::string& token_bytes(int32_t id) const;
  // gpt2_token_display of the token's bytes.
  std::string token_display(int32_t id) const { return gpt2_token_display(token_bytes(id)); }
  // The id of the token with these raw bytes.
  std::optional<int32_t> id_of(std::string_view bytes) const;

 private:
  Gpt2Tokenizer() = default;  // made only by the loaders, which check everything
  struct Parsed;              // a file's vocabulary and merges, as written in it
  struct Merge {
    int32_t rank, id;
  };
  static std::variant<Gpt2Tokenizer, std::string> build(const Parsed& parsed);
  void merge_piece(std::string_view piece, std::vector<int32_t>& out) const;

  std::vector<std::string> bytes_;                // [vocab]: each token's raw bytes
  std::unordered_map<std::string, int32_t> ids_;  // raw bytes → id
  std::array<int32_t, 256> byte_ids_{};           // the one-byte tokens
  std::unordered_map<uint64_t, Merge> merges_;    // (left id << 32 | right id) → rank and merged id
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;  // piece → ids
};

}  // namespace ap
