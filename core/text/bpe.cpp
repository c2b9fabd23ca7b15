// GPT-2's byte-level BPE: see bpe.h. The pre-tokenizer is written by hand:
// its pattern needs Unicode classes (\p{L}, \p{N}) and a lookahead, which
// std::regex does not have, and a full regex engine would be a dependency for
// one fixed pattern.
#include "text/bpe.h"

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "text/unicode_classes.h"
#include "text/utf8.h"

namespace ap {

using nlohmann::json;

namespace {

// [SECTION] GPT-2's byte alphabet
// The files write each byte as a printable character: bytes that print
// (!..~, ¡..¬, ®..ÿ) as themselves, the other 68 as U+0100 onwards, in
// byte order (a space is "Ġ", U+0120; a newline "Ċ", U+010A).

struct Alphabet {
  char32_t of_byte[256];
  int16_t byte_of[256 + 68];  // -1: no byte
};

constexpr Alphabet make_alphabet() {
  Alphabet a{};
  for (int16_t& b : a.byte_of) b = -1;
  char32_t next = 256;
  for (int b = 0; b < 256; ++b) {
    const bool prints = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    a.of_byte[b] = prints ? char32_t(b) : next++;
    a.byte_of[a.of_byte[b]] = int16_t(b);
  }
  return a;
}

constexpr Alphabet kAlphabet = make_alphabet();

// A byte that is not part of a valid character counts as "other", as U+FFFD would.
CharClass class_at(std::string_view s, size_t i, size_t& len) {
  const Utf8Char c = utf8_at(s, i);
  len = c.len;
  return c.valid ? char_class(c.cp) : CharClass::Other;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

constexpr char kHex[] = "0123456789ABCDEF";

std::string hex_byte(unsigned char b) { return {'0', 'x', kHex[b >> 4], kHex[b & 15]}; }

void append_hex_byte(std::string& out, unsigned char b) { out += "<" + hex_byte(b) + ">"; }

// [SECTION] pre-tokenization
// GPT-2's pattern, alternatives tried in order at each position:
//   's|'t|'re|'ve|'m|'ll|'d | ?\p{L}+ | ?\p{N}+ | ?[^\s\p{L}\p{N}]+ | \s+(?!\S) | \s+
// The optional space is U+0020 only; the contractions are lowercase ASCII.

// The end of the piece that starts at i (i < s.size()).
size_t piece_end(std::string_view s, size_t i) {
  const size_t n = s.size();
  if (s[i] == '\'') {
    if (i + 1 < n && (s[i + 1] == 's' || s[i + 1] == 't' || s[i + 1] == 'm' || s[i + 1] == 'd')) return i + 2;
    if (i + 2 < n) {
      const std::string_view two = s.substr(i + 1, 2);
      if (two == "re" || two == "ve" || two == "ll") return i + 3;
    }
  }
  // A run of letters, of numbers, or of others, with one space before it.
  const size_t start = i + (s[i] == ' ' ? 1 : 0);
  if (start < n) {
    size_t len = 0;
    const CharClass run = class_at(s, start, len);
    if (run != CharClass::Space) {
      size_t k = start + len;
      while (k < n && class_at(s, k, len) == run) k += len;
      return k;
    }
  }
  // White space (s[i] is white space here). \s+(?!\S) takes the longest run
  // not followed by a non-space: the whole run at the end of the text, else
  // the run without its last character, which then leads the next piece
  // (" word" keeps its space). A single white space character before a
  // non-space falls to \s+.
  size_t k = i, last = i, len = 0;
  while (k < n && class_at(s, k, len) == CharClass::Space) {
    last = k;
    k += len;
  }
  if (k == n) return n;
  return last > i ? last : k;
}

// [SECTION] reading the files

// A token as the files write it, quoted for a message (at most 40 characters).
std::string token_text(std::string_view file_form) {
  std::string out = "'";
  size_t chars = 0;
  for (size_t i = 0; i < file_form.size(); ++chars) {
    const Utf8Char c = utf8_at(file_form, i);
    if (chars == 40) {
      out += "…";
      break;
    }
    if (!c.valid || c.cp < 0x20 || c.cp == 0x7F) out += '?';
    else out.append(file_form.substr(i, c.len));
    i += c.len;
  }
  return out + "'";
}

std::string code_point_name(char32_t cp) {  // "U+20AC", "U+1F600"
  std::string hex;
  for (int shift = 20; shift >= 0; shift -= 4)
    if ((cp >> shift) != 0 || shift < 16) hex += kHex[(cp >> shift) & 15];
  return "U+" + hex;
}

// The raw bytes of a token written in the byte alphabet; on failure, why.
std::string to_bytes(std::string_view file_form, std::string& bytes) {
  bytes.clear();
  for (size_t i = 0; i < file_form.size();) {
    const Utf8Char c = utf8_at(file_form, i);
    if (!c.valid) return "is not valid UTF-8";
    if (c.cp >= std::size(kAlphabet.byte_of) || kAlphabet.byte_of[c.cp] < 0)
      return "has the character " + code_point_name(c.cp) + ", which is not in GPT-2's byte alphabet";
    bytes += char(kAlphabet.byte_of[c.cp]);
    i += c.len;
  }
  return "";
}

const char* type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_float:
      return "a fractional number";
    default:
      return "a number";
  }
}

// Only asked for the position after a failed parse (the DOM parser does not tell it).
class ErrorPosition : public json::json_sax_t {
 public:
  size_t position = 0;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(size_t at, const std::string&, const nlohmann::detail::exception&) override {
    position = at;
    return false;
  }
};

// Stops keeping values past kMaxJsonValues (the parse goes on, discarding),
// so that a file of millions of tiny values cannot take the memory.
std::string parse_json(std::string_view text, const char* name, json& out) {
  if (text.size() > kMaxTokenizerFileBytes)
    return std::string(name) + " is larger than " + std::to_string(kMaxTokenizerFileBytes >> 20) + " MiB";
  size_t values = 0;
  const json::parser_callback_t count = [&](int, json::parse_event_t event, json&) {
    if (event == json::parse_event_t::value || event == json::parse_event_t::object_end ||
        event == json::parse_event_t::array_end)
      ++values;
    return values <= kMaxJsonValues;
  };
  out = json::parse(text.begin(), text.end(), count, /*allow_exceptions=*/false);
  if (out.is_discarded() && values <= kMaxJsonValues) {
    if (text.empty()) return std::string(name) + " is empty";
    ErrorPosition sax;  // its position counts bytes from 1, and is past the end if the text stops early
    json::sax_parse(text.begin(), text.end(), &sax);
    return std::string(name) + " is not valid JSON (" +
           (sax.position > text.size() ? std::string("it ends too early")
                                       : "the error is at byte " + std::to_string(sax.position)) +
           ")";
  }
  if (values > kMaxJsonValues)
    return std::string(name) + " has more than " + std::to_string(kMaxJsonValues) + " JSON values";
  return "";
}

// name: for messages ("vocab.json", "tokenizer.json's model.vocab").
std::string read_vocab(const json& v, const char* name, std::vector<std::pair<std::string, int64_t>>& out) {
  if (!v.is_object()) return std::string(name) + " must be a JSON object of token: id, not " + type_name(v);
  if (v.size() > kMaxVocabTokens)
    return std::string(name) + " has more than " + std::to_string(kMaxVocabTokens) + " tokens";
  out.reserve(v.size());
  for (const auto& [token, id] : v.items()) {
    if (!id.is_number_integer())
      return std::string(name) + " maps " + token_text(token) + " to " + type_name(id) + ", not an integer id";
    if (id.is_number_unsigned() && id.get<uint64_t>() > uint64_t(INT64_MAX))
      return std::string(name) + " maps " + token_text(token) + " to " + id.dump() + ", past any id";
    out.emplace_back(token, id.get<int64_t>());
  }
  return "";
}

}  // namespace

// [SECTION] the vocabulary and merges, as read from a file

struct Gpt2Tokenizer::Parsed {
  std::vector<std::pair<std::string, int64_t>> vocab;
  const char* merges_name;  // "merges.txt" (numbered by line) or "tokenizer.json's model.merges" (by index)
  bool merges_by_line;
  std::vector<std::pair<std::string, std::string>> merges;
  std::vector<size_t> merge_lines;  // with merges_by_line: each merge's line, from 1

  std::string where(size_t m) const {
    return merges_by_line ? std::string(merges_name) + " line " + std::to_string(merge_lines[m])
                          : std::string(merges_name) + "[" + std::to_string(m) + "]";
  }
};

// [SECTION] building and checking

std::variant<Gpt2Tokenizer, std::string> Gpt2Tokenizer::build(const Parsed& p) {
  Gpt2Tokenizer t;
  const size_t n = p.vocab.size();
  t.bytes_.resize(n);
  std::vector<const std::string*> names(n, nullptr);  // the file form of each id, for messages
  std::string bytes;
  for (const auto& [name, id] : p.vocab) {
    if (name.empty()) return std::string("the vocabulary has an empty token (id ") + std::to_string(id) + ")";
    if (std::string e = to_bytes(name, bytes); !e.empty())
      return "the vocabulary's token " + token_text(name) + " " + e;
    if (bytes.size() > kMaxTokenBytes)
      return "the vocabulary's token " + token_text(name) + " is longer than " + std::to_string(kMaxTokenBytes) +
             " bytes";
    if (id < 0 || id >= int64_t(n))
      return "the vocabulary's token " + token_text(name) + " has id " + std::to_string(id) + ", but the " +
             std::to_string(n) + " tokens must have the ids 0 to " + std::to_string(int64_t(n) - 1) + ", one each";
    if (names[size_t(id)])
      return "the vocabulary gives id " + std::to_string(id) + " to both " + token_text(*names[size_t(id)]) + " and " +
             token_text(name);
    names[size_t(id)] = &name;
    t.bytes_[size_t(id)] = bytes;
  }
  t.ids_.reserve(n);
  for (size_t id = 0; id < n; ++id) t.ids_.emplace(t.bytes_[id], int32_t(id));
  for (int b = 0; b < 256; ++b) {
    const auto it = t.ids_.find(std::string(1, char(b)));
    if (it == t.ids_.end()) {
      std::string written;
      append_utf8(written, kAlphabet.of_byte[b]);
      return "the vocabulary has no token for the byte " + hex_byte(static_cast<unsigned char>(b)) + " (written " +
             token_text(written) + "): byte-level BPE needs all 256, so that any text can be encoded";
    }
    t.byte_ids_[size_t(b)] = it->second;
  }

  if (p.merges.size() > kMaxVocabTokens)
    return std::string(p.merges_name) + " has more than " + std::to_string(kMaxVocabTokens) + " merges";
  t.merges_.reserve(p.merges.size());
  std::string left, right;
  for (size_t m = 0; m < p.merges.size(); ++m) {
    const auto& [a, b] = p.merges[m];
    int32_t ids[2];
    for (int side = 0; side < 2; ++side) {
      const std::string& name = side ? b : a;
      std::string& part = side ? right : left;
      if (std::string e = to_bytes(name, part); !e.empty())
        return p.where(m) + ": the token " + token_text(name) + " " + e;
      const auto it = t.ids_.find(part);
      if (it == t.ids_.end()) return p.where(m) + " names " + token_text(name) + ", which is not in the vocabulary";
      ids[side] = it->second;
    }
    const auto made = t.ids_.find(left + right);
    if (made == t.ids_.end()) return p.where(m) + " makes " + token_text(a + b) + ", which is not in the vocabulary";
    const uint64_t key = uint64_t(uint32_t(ids[0])) << 32 | uint32_t(ids[1]);
    const auto [at, added] = t.merges_.emplace(key, Merge{int32_t(m), made->second});
    if (!added)
      return p.where(m) + " repeats the merge " + token_text(a + " " + b) + " of " + p.where(size_t(at->second.rank));
  }
  return t;
}

std::variant<Gpt2Tokenizer, std::string> Gpt2Tokenizer::from_vocab_merges(std::string_view vocab_json,
                                                                          std::string_view merges_txt) {
  Parsed p{{}, "merges.txt", true, {}, {}};
  json vocab;
  if (std::string e = parse_json(vocab_json, "vocab.json", vocab); !e.empty()) return e;
  if (std::string e = read_vocab(vocab, "vocab.json", p.vocab); !e.empty()) return e;
  vocab = json();  // the DOM is no longer needed: free it before building

  if (merges_txt.size() > kMaxTokenizerFileBytes)
    return "merges.txt is larger than " + std::to_string(kMaxTokenizerFileBytes >> 20) + " MiB";
  size_t line_no = 0;
  for (size_t at = 0; at < merges_txt.size();) {
    size_t end = merges_txt.find('\n', at);
    if (end == std::string_view::npos) end = merges_txt.size();
    std::string_view line = merges_txt.substr(at, end - at);
    at = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // Hugging Face skips "#version" lines; "#" alone is a token, so no other line is a comment.
    if (line.empty() || line.starts_with("#version")) continue;
    const size_t space = line.find(' ');
    if (space == std::string_view::npos || space == 0 || space + 1 == line.size() ||
        line.find(' ', space + 1) != std::string_view::npos)
      return "merges.txt line " + std::to_string(line_no) +
             " is not two tokens separated by one space: " + token_text(line);
    if (p.merges.size() == kMaxVocabTokens)
      return "merges.txt has more than " + std::to_string(kMaxVocabTokens) + " merges";
    p.merges.emplace_back(line.substr(0, space), line.substr(space + 1));
    p.merge_lines.push_back(line_no);
  }
  return build(p);
}

std::variant<Gpt2Tokenizer, std::string> Gpt2Tokenizer::from_tokenizer_json(std::string_view text) {
  json j;
  if (std::string e = parse_json(text, "tokenizer.json", j); !e.empty()) return e;
  if (!j.is_object()) return std::string("tokenizer.json must be a JSON object, not ") + type_name(j);
  const auto model = j.find("model");
  if (model == j.end() || !model->is_object()) return std::string("tokenizer.json has no \"model\" object");
  if (const auto type = model->find("type"); type != model->end() && *type != "BPE")
    return "tokenizer.json's model is of type " +
           token_text(type->is_string() ? type->get<std::string>() : type->dump()) + ", not BPE";
  if (const auto ignore = model->find("ignore_merges"); ignore != model->end() && *ignore == true)
    return std::string("tokenizer.json's model has ignore_merges set, which GPT-2's has not: its ids would differ");
  if (const auto norm = j.find("normalizer"); norm != j.end() && !norm->is_null())
    return std::string("tokenizer.json has a normalizer, which GPT-2's has not: its ids would differ");
  // Absent or null: taken as GPT-2's. Otherwise it must be GPT-2's own.
  if (const auto pre = j.find("pre_tokenizer"); pre != j.end() && !pre->is_null()) {
    const auto field = [&](const char* key) { return pre->is_object() ? pre->value(key, json()) : json(); };
    if (field("type") != "ByteLevel" || field("add_prefix_space") == true || field("use_regex") == false)
      return std::string(
          "tokenizer.json's pre_tokenizer is not GPT-2's (ByteLevel, no prefix space, GPT-2's pattern): its ids "
          "would differ");
  }

  Parsed p{{}, "tokenizer.json's model.merges", false, {}, {}};
  const auto vocab = model->find("vocab");
  if (vocab == model->end()) return std::string("tokenizer.json has no model.vocab");
  if (std::string e = read_vocab(*vocab, "tokenizer.json's model.vocab", p.vocab); !e.empty()) return e;
  const auto merges = model->find("merges");
  if (merges == model->end() || !merges->is_array()) return std::string("tokenizer.json has no model.merges list");
  if (merges->size() > kMaxVocabTokens)
    return "tokenizer.json's model.merges has more than " + std::to_string(kMaxVocabTokens) + " merges";
  p.merges.reserve(merges->size());
  for (size_t m = 0; m < merges->size(); ++m) {
    const json& e = (*merges)[m];
    if (e.is_string()) {  // "a b": tokens in the byte alphabet hold no space
      const std::string& s = e.get_ref<const std::string&>();
      const size_t space = s.find(' ');
      if (space != std::string::npos && space > 0 && space + 1 < s.size() &&
          s.find(' ', space + 1) == std::string::npos) {
        p.merges.emplace_back(s.substr(0, space), s.substr(space + 1));
        continue;
      }
    } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
      p.merges.emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
      continue;
    }
    return p.where(m) + " is neither \"a b\" nor [\"a\", \"b\"]";
  }
  j = json();
  return build(p);
}

// [SECTION] encoding and decoding

namespace {
// Pieces up to this size are remembered (almost every word is shorter); the
// cache is emptied when full, so memory stays bounded on any text.
constexpr size_t kCachedPieceBytes = 64;
constexpr size_t kCacheEntries = 1 << 16;
}  // namespace

// BPE of one piece, with the merge semantics of OpenAI's encoder: while any
// adjacent pair is in the merge list, take the pair of lowest rank and merge
// every occurrence of it, left to right. Done with a heap of (rank, position)
// in O(n log n), so that a piece of a million letters takes no quadratic
// time: the occurrences of one rank pop left to right, and the pairs their
// merges make wait until that rank is done (merging a pair never makes the
// same pair again, so no occurrence is missed).
void Gpt2Tokenizer::merge_piece(std::string_view piece, std::vector<int32_t>& out) const {
  // Positions are int32_t: a piece past 1 GiB (one run of letters) is merged in parts.
  if (piece.size() > (size_t{1} << 30)) {
    merge_piece(piece.substr(0, size_t{1} << 30), out);
    merge_piece(piece.substr(size_t{1} << 30), out);
    return;
  }
  if (piece.size() == 1) {
    out.push_back(byte_ids_[static_cast<unsigned char>(piece[0])]);
    return;
  }
  const bool cacheable = piece.size() <= kCachedPieceBytes;
  if (cacheable) {
    if (const auto it = cache_.find(std::string(piece)); it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  // A linked list of symbols over the piece's bytes; a symbol is known by the
  // position of its first byte, which a merge keeps.
  struct Symbol {
    int32_t id, prev, next;  // id -1: merged into its left neighbour; prev/next -1: none
  };
  struct Pair {
    int32_t rank, pos, left, right, merged;
  };
  const int32_t n = int32_t(piece.size());
  std::vector<Symbol> sym(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i)
    sym[size_t(i)] = {byte_ids_[static_cast<unsigned char>(piece[size_t(i)])], i - 1, i + 1 < n ? i + 1 : -1};
  const auto later = [](const Pair& a, const Pair& b) { return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos; };
  std::vector<Pair> heap, waiting;
  const auto consider = [&](int32_t pos, std::vector<Pair>& into) {
    const int32_t next = sym[size_t(pos)].next;
    if (next < 0) return;
    const int32_t l = sym[size_t(pos)].id, r = sym[size_t(next)].id;
    const auto it = merges_.find(uint64_t(uint32_t(l)) << 32 | uint32_t(r));
    if (it != merges_.end()) into.push_back({it->second.rank, pos, l, r, it->second.id});
  };
  for (int32_t i = 0; i + 1 < n; ++i) consider(i, heap);
  std::make_heap(heap.begin(), heap.end(), later);
  while (!heap.empty()) {
    const int32_t rank = heap.front().rank;
    while (!heap.empty() && heap.front().rank == rank) {
      std::pop_heap(heap.begin(), heap.end(), later);
      const Pair p = heap.back();
      heap.pop_back();
      Symbol& a = sym[size_t(p.pos)];
      if (a.id != p.left || a.next < 0 || sym[size_t(a.next)].id != p.right) continue;  // an earlier merge took it
      const int32_t b = a.next;
      a.id = p.merged;
      a.next = sym[size_t(b)].next;
      if (a.next >= 0) sym[size_t(a.next)].prev = p.pos;
      sym[size_t(b)].id = -1;
      if (a.prev >= 0) consider(a.prev, waiting);
      consider(p.pos, waiting);
    }
    for (const Pair& w : waiting) {
      heap.push_back(w);
      std::push_heap(heap.begin(), heap.end(), later);
    }
    waiting.clear();
  }
  const size_t first = out.size();
  for (int32_t i = 0; i >= 0; i = sym[size_t(i)].next) out.push_back(sym[size_t(i)].id);
  if (cacheable) {
    if (cache_.size() >= kCacheEntries) cache_.clear();
    cache_.emplace(std::string(piece), std::vector<int32_t>(out.begin() + long(first), out.end()));
  }
}

std::vector<int32_t> Gpt2Tokenizer::encode(std::string_view text) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 1);
  for (size_t i = 0; i < text.size();) {
    const size_t end = piece_end(text, i);
    merge_piece(text.substr(i, end - i), ids);
    i = end;
  }
  return ids;
}

std::string Gpt2Tokenizer::decode(std::span<const int32_t> ids) const {
  std::string out;
  for (int32_t id : ids) {
    if (id >= 0 && id < vocab_size()) out += bytes_[size_t(id)];
    else out += "\xEF\xBF\xBD";
  }
  return out;
}

const std::string& Gpt2Tokenizer::token_bytes(int32_t id) const {
  static const std::string none;
  return id >= 0 && id < vocab_size() ? bytes_[size_t(id)] : none;
}

std::optional<int32_t> Gpt2Tokenizer::id_of(std::string_view bytes) const {
  const auto it = ids_.find(std::string(bytes));
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

// [SECTION] free functions

std::vector<std::string_view> gpt2_pretokenize(std::string_view text) {
  std::vector<std::string_view> pieces;
  for (size_t i = 0; i < text.size();) {
    const size_t end = piece_end(text, i);
    pieces.push_back(text.substr(i, end - i));
    i = end;
  }
  return pieces;
}

std::string gpt2_token_display(std::string_view bytes) {
  std::string out;
  for (size_t i = 0; i < bytes.size();) {
    const Utf8Char c = utf8_at(bytes, i);
    if (!c.valid) append_hex_byte(out, static_cast<unsigned char>(bytes[i]));
    else if (c.cp == ' ') out += "\u2423";
    else if (c.cp == '\n') out += "\u21B5";
    else if (c.cp == '\t') out += "\u21E5";
    else if (c.cp < 0x20 || (c.cp >= 0x7F && c.cp < 0xA0))
      for (size_t k = 0; k < c.len; ++k) append_hex_byte(out, static_cast<unsigned char>(bytes[i + k]));
    else out.append(bytes.substr(i, c.len));
    i += c.len;
  }
  return out;
}

}  // namespace ap
