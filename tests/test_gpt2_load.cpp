// GPT-2's loader fed model.safetensors in chunks (Gpt2Loader), on the tiny
// models the gpt2_reference fixture writes (see tests/test_gpt2.cpp): any
// chunking gives the model of one feed, bit for bit; a tensor is staged only
// while it spans chunks; tensors laid out in any order with bytes between
// them load alike; a wrong header fails as soon as it is read, with the
// message load_gpt2 gives; a truncated stream says how many bytes arrived.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <variant>

#include "base/rng.h"
#include "gpt2_fixture.h"
#include "io/safetensors.h"
#include "model/gpt2.h"

namespace {

// A fixture file's bytes (tests/gpt2_fixture.h).
std::string fixture(const std::string& path) { return gpt2_fixture::read(path); }

// The bytes of `file` fed `chunk` at a time (0: random sizes from 1 to 5000).
std::variant<ap::Gpt2Model, std::string> streamed(const std::string& config, const std::string& file, size_t chunk,
                                                  uint64_t file_size, size_t* peak_staged = nullptr) {
  ap::Gpt2Loader loader(config, file_size);
  ap::Rng rng(file.size());
  for (size_t at = 0; at < file.size();) {
    const size_t n = std::min(file.size() - at, chunk ? chunk : size_t(1 + rng.next() % 5000));
    if (std::string e = loader.feed(file.data() + at, n); !e.empty()) {
      auto after = loader.finish();  // refused from then on, for the same reason
      CHECK((std::holds_alternative<std::string>(after) && std::get<std::string>(after) == e));
      return e;
    }
    at += n;
  }
  if (peak_staged) *peak_staged = loader.peak_staged_bytes();
  return loader.finish();
}

bool same_bits(const float* a, const float* b, size_t n) { return n == 0 || std::memcmp(a, b, n * sizeof(float)) == 0; }

template <class M>
bool same_matrix(const M& a, const M& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() && same_bits(a.data(), b.data(), size_t(a.size()));
}

bool same_linear(const ap::Gpt2Linear& a, const ap::Gpt2Linear& b) {
  return a.d_in == b.d_in && a.d_out == b.d_out && same_matrix(a.weight, b.weight) && same_matrix(a.bias, b.bias) &&
         a.strips.size() == b.strips.size() && same_bits(a.strips.data(), b.strips.data(), a.strips.size());
}

bool same_norm(const ap::Gpt2LayerNorm& a, const ap::Gpt2LayerNorm& b) {
  return same_matrix(a.gain, b.gain) && same_matrix(a.bias, b.bias);
}

// Every weight of two models, bit for bit (packed strips in a SIMD build, W
// elsewhere), and their notes: "" if equal, else the first that differs.
std::string difference(const ap::Gpt2Model& a, const ap::Gpt2Model& b) {
  if (a.config.n_layer != b.config.n_layer || a.config.n_embd != b.config.n_embd ||
      a.config.vocab_size != b.config.vocab_size || a.blocks.size() != b.blocks.size())
    return "config";
  if (!same_linear(a.wte, b.wte)) return "wte";
  if (!same_linear(a.lm_head, b.lm_head)) return "lm_head";
  if (!same_matrix(a.wpe, b.wpe)) return "wpe";
  if (!same_norm(a.ln_f, b.ln_f)) return "ln_f";
  for (size_t l = 0; l < a.blocks.size(); ++l) {
    const ap::Gpt2Block &x = a.blocks[l], &y = b.blocks[l];
    const std::string h = "block " + std::to_string(l) + " ";
    if (!same_norm(x.ln_1, y.ln_1) || !same_norm(x.ln_2, y.ln_2)) return h + "layer norms";
    if (!same_linear(x.q, y.q) || !same_linear(x.k, y.k) || !same_linear(x.v, y.v)) return h + "q, k, v";
    if (!same_linear(x.o, y.o)) return h + "o";
    if (!same_linear(x.fc, y.fc) || !same_linear(x.proj, y.proj)) return h + "MLP";
  }
  if (a.notes != b.notes) return "notes";
  if (a.wte.weight.size() + a.wte.strips.size() == 0) return "nothing loaded";  // an empty model is not a match
  return "";
}

ap::Gpt2Model model_of(std::variant<ap::Gpt2Model, std::string> r) {
  if (auto* e = std::get_if<std::string>(&r)) FAIL(*e);
  return std::move(std::get<ap::Gpt2Model>(r));
}

std::string error_of(const std::variant<ap::Gpt2Model, std::string>& r) {
  REQUIRE(std::holds_alternative<std::string>(r));
  return std::get<std::string>(r);
}

// A file from tensors laid out in the order given, `gap` bytes of padding
// before each and after the last (the header keeps their names sorted, as
// any JSON object may list them).
struct Tensor {
  std::string name, dtype;
  std::vector<int64_t> shape;
  std::string bytes;
};
std::string laid_out(const std::vector<Tensor>& tensors, size_t gap) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const Tensor& t : tensors) {
    data.append(gap, '\xAB');
    header[t.name] = {
        {"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {data.size(), data.size() + t.bytes.size()}}};
    data += t.bytes;
  }
  data.append(gap, '\xCD');
  const std::string text = header.dump();
  std::string out;
  for (int i = 0; i < 8; ++i) out += char((uint64_t(text.size()) >> (8 * i)) & 0xFF);
  return out + text + data;
}

std::vector<Tensor> tensors_of(const std::string& file) {
  const auto index = std::get<ap::SafetensorsIndex>(ap::parse_safetensors(file));
  std::vector<Tensor> out;
  for (const auto& e : index.tensors) out.push_back({e.name, e.dtype, e.shape, file.substr(e.begin, e.end - e.begin)});
  return out;
}

}  // namespace

TEST_CASE("GPT-2 loader: any chunking gives the model of one feed, bit for bit, staging one tensor at most") {
  for (const std::string name : {"tiny_f32", "tiny_f16", "tiny_bf16", "tiny_prefixed", "tiny_inverse_layer", "wide"}) {
    CAPTURE(name);
    const std::string config = fixture(name + "/config.json"), file = fixture(name + "/model.safetensors");
    // The reference: the file in one feed, each tensor converted from it in place.
    const ap::Gpt2Model whole = model_of(ap::load_gpt2(config, file));
    CHECK(difference(model_of(ap::load_gpt2_folder(gpt2_fixture::kDir + "/" + name)), whole) ==
          "");  // in 16 MiB chunks
    // What a tensor spanning chunks stages: the largest the model uses (not the
    // mask buffers attn.bias, which are skipped), or the header while it arrives.
    const auto index = std::get<ap::SafetensorsIndex>(ap::parse_safetensors(file));
    uint64_t largest = 0;
    for (const auto& e : index.tensors)
      if (e.name.find("attn.bias") == std::string::npos && e.name.find("attn.masked_bias") == std::string::npos)
        largest = std::max(largest, e.end - e.begin);
    for (size_t chunk : {size_t(1), size_t(7), size_t(4096), size_t(0), file.size()}) {
      for (uint64_t size : {uint64_t(file.size()), uint64_t(0)}) {
        CAPTURE(chunk);
        CAPTURE(size);
        size_t peak = 0;
        CHECK(difference(model_of(streamed(config, file, chunk, size, &peak)), whole) == "");
        // Each of these chunkings cuts the largest tensor, which is then staged whole;
        // one chunk of the whole file stages nothing but the header.
        CHECK(peak == (chunk == file.size() ? index.data_begin : std::max(index.data_begin, largest)));
      }
    }
  }
}

TEST_CASE("GPT-2 loader: progress, and the header checked the moment it is whole") {
  const std::string config = fixture("tiny_f32/config.json"), file = fixture("tiny_f32/model.safetensors");
  const uint64_t data_begin = std::get<ap::SafetensorsIndex>(ap::parse_safetensors(file)).data_begin;
  for (uint64_t size : {uint64_t(file.size()), uint64_t(0)}) {
    CAPTURE(size);
    ap::Gpt2Loader loader(config, size);
    REQUIRE(loader.config() != nullptr);
    CHECK(loader.config()->n_embd == 64);
    CHECK(loader.bytes_expected() == size);  // before the header, only what the caller said
    REQUIRE(loader.feed(file.data(), size_t(data_begin - 1)).empty());
    CHECK_FALSE(loader.header_done());
    REQUIRE(loader.feed(file.data() + data_begin - 1, 1).empty());
    CHECK(loader.header_done());
    CHECK(loader.bytes_expected() == file.size());  // the tensors end where the file does
    CHECK(loader.bytes_received() == data_begin);
    REQUIRE(loader.feed(file.data() + data_begin, file.size() - data_begin).empty());
    CHECK(loader.bytes_received() == file.size());
    REQUIRE(std::holds_alternative<ap::Gpt2Model>(loader.finish()));
    CHECK(loader.config()->n_embd == 64);  // still there after the model is handed over
    // Once handed over, nothing more is taken.
    CHECK(loader.feed(file.data(), 1) == "model.safetensors: more bytes arrived after the loader finished");
    CHECK(error_of(loader.finish()) == "model.safetensors: more bytes arrived after the loader finished");
  }
  // A file whose header does not fit config.json fails on the header's last
  // byte, with load_gpt2's message, before any tensor arrives.
  std::string wide_config = config;
  wide_config.replace(wide_config.find("\"n_embd\": 64"), 12, "\"n_embd\": 68");
  const std::string mismatch =
      "wte.weight has shape (300, 64); config.json (vocab_size 300, n_embd 68) needs (300, 68)";
  CHECK(error_of(ap::load_gpt2(wide_config, file)) == mismatch);
  ap::Gpt2Loader loader(wide_config, file.size());
  CHECK(loader.feed(file.data(), size_t(data_begin - 1)).empty());
  CHECK(loader.feed(file.data() + data_begin - 1, 1) == mismatch);
  CHECK(loader.error() == mismatch);
  CHECK(loader.feed(file.data() + data_begin, 100) == mismatch);
  CHECK(error_of(loader.finish()) == mismatch);
  CHECK(loader.bytes_received() == data_begin);
  // A refused config.json: nothing is read.
  ap::Gpt2Loader no_config("{", file.size());
  CHECK(no_config.config() == nullptr);
  CHECK(no_config.feed(file.data(), 8) == "config.json is not valid JSON");
  CHECK(error_of(no_config.finish()) == "config.json is not valid JSON");
}

TEST_CASE("GPT-2 loader: truncated and overlong streams say how many bytes arrived") {
  const std::string config = fixture("tiny_f32/config.json"), file = fixture("tiny_f32/model.safetensors");
  const uint64_t data_begin = std::get<ap::SafetensorsIndex>(ap::parse_safetensors(file)).data_begin;
  const std::string n = std::to_string(file.size()), short_by_5 = std::to_string(file.size() - 5);
  const auto cut = [&](size_t keep, uint64_t size) {
    ap::Gpt2Loader loader(config, size);
    REQUIRE(loader.feed(file.data(), keep).empty());
    return error_of(loader.finish());
  };
  // In the data: the size said, or (not said) the end of the header's last tensor.
  CHECK(cut(file.size() - 5, file.size()) ==
        "model.safetensors is truncated: " + short_by_5 + " of its " + n + " bytes arrived");
  CHECK(cut(file.size() - 5, 0) == "model.safetensors is truncated: " + short_by_5 + " of its " + n + " bytes arrived");
  CHECK(cut(size_t(data_begin), 0) ==
        "model.safetensors is truncated: " + std::to_string(data_begin) + " of its " + n + " bytes arrived");
  // In the length or the header: parse_safetensors' messages for a file that ends there.
  CHECK(cut(5, 0) ==
        "model.safetensors: not a .safetensors file: it is shorter than the 8 bytes that give the header's length");
  CHECK(cut(20, 0) == "model.safetensors: the .safetensors file is truncated: its header needs " +
                          std::to_string(data_begin - 8) + " bytes, and 12 follow the length");
  CHECK(cut(0, 0) == error_of(ap::load_gpt2(config, "")));
  CHECK(cut(20, 0) == error_of(ap::load_gpt2(config, file.substr(0, 20))));
  // A header that describes more than the size said fails with the header.
  ap::Gpt2Loader small(config, file.size() - 1);
  CHECK(
      small.feed(file.data(), size_t(data_begin)).rfind("model.safetensors: tensor 'wte.weight' has data_offsets", 0) ==
      0);
  // More bytes than the size said.
  ap::Gpt2Loader over(config, file.size());
  REQUIRE(over.feed(file.data(), file.size() - 1).empty());
  CHECK(over.feed(file.data(), 2) == "model.safetensors: more than the " + n + " bytes it was said to hold arrived");
  // Bytes after the last tensor, when no size was said, are padding.
  const std::string padded = file + std::string(100, ' ');
  CHECK(std::holds_alternative<ap::Gpt2Model>(streamed(config, padded, 7, 0)));
}

TEST_CASE("GPT-2 loader: tensors in any order of the data, with bytes between them, load alike") {
  const std::string config = fixture("tiny_prefixed/config.json"), file = fixture("tiny_prefixed/model.safetensors");
  const ap::Gpt2Model sorted = model_of(ap::load_gpt2(config, file));
  std::vector<Tensor> tensors = tensors_of(file);
  // An unknown tensor of a dtype that is not read: skipped and noted, never staged.
  tensors.push_back({"transformer.extra.mask", "BOOL", {100000}, std::string(100000, '\1')});
  ap::Rng rng(5);
  for (int trial = 0; trial < 4; ++trial) {
    CAPTURE(trial);
    for (size_t i = tensors.size() - 1; i > 0; --i) std::swap(tensors[i], tensors[size_t(rng.next() % (i + 1))]);
    const std::string shuffled = laid_out(tensors, size_t(trial) * 13);
    for (size_t chunk : {size_t(7), size_t(4096), shuffled.size()}) {
      CAPTURE(chunk);
      size_t peak = 0;
      const ap::Gpt2Model m = model_of(streamed(config, shuffled, chunk, shuffled.size(), &peak));
      REQUIRE(m.notes.size() == 1);
      CHECK(m.notes[0] == "1 tensors that a GPT-2 language model does not use were skipped: transformer.extra.mask");
      ap::Gpt2Model same = sorted;
      same.notes = m.notes;
      CHECK(difference(m, same) == "");
      CHECK(peak < 100000);  // the skipped 100 KB tensor was never copied
    }
  }
  // A tied lm_head.weight that differs from wte.weight is refused whether it
  // comes before wte (it is then what wte is compared with) or after.
  const auto head_at = [&](bool first) {
    std::vector<Tensor> t = tensors_of(file);
    auto head = std::find_if(t.begin(), t.end(), [](const Tensor& x) { return x.name == "lm_head.weight"; });
    REQUIRE(head != t.end());
    head->bytes[100] ^= 1;  // one bit of one weight
    Tensor moved = *head;
    t.erase(head);
    if (first) t.insert(t.begin(), moved);
    else t.push_back(moved);
    return laid_out(t, 4);
  };
  const std::string differ =
      "lm_head.weight differs from wte.weight, but config.json ties them (tie_word_embeddings is true): set it to "
      "false to use lm_head.weight";
  for (bool first : {true, false}) {
    CAPTURE(first);
    const std::string bytes = head_at(first);
    CHECK(error_of(ap::load_gpt2(config, bytes)) == differ);
    CHECK(error_of(streamed(config, bytes, 7, 0)) == differ);
  }
}

TEST_CASE("GPT-2 loader: a bad file gets load_gpt2's message however it is chunked") {
  const std::string config = fixture("tiny_f32/config.json"), file = fixture("tiny_f32/model.safetensors");
  const auto with = [&](const std::string& from, const std::string& to) {
    std::string c = config;
    c.replace(c.find(from), from.size(), to);
    return c;
  };
  std::vector<Tensor> no_bias = tensors_of(file);
  no_bias.erase(no_bias.begin());
  const std::pair<std::string, std::string> cases[] = {
      {with("\"n_layer\": 3", "\"n_layer\": 2"), file},
      {with("\"n_layer\": 3", "\"n_layer\": 4"), file},
      {with("\"n_inner\": null", "\"n_inner\": 200"), file},
      {config, file.substr(0, file.size() - 4)},
      {config, file.substr(0, 9)},
      {config, laid_out(no_bias, 0)},
  };
  for (const auto& [cfg, bytes] : cases) {
    const std::string want = error_of(ap::load_gpt2(cfg, bytes));
    CAPTURE(want);
    for (size_t chunk : {size_t(1), size_t(7), size_t(4096)})
      CHECK(error_of(streamed(cfg, bytes, chunk, bytes.size())) == want);
  }
}
