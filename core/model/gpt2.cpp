// GPT-2's config.json and weights: see gpt2.h.
#include "model/gpt2.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/format.h"
#include "config/config.h"
#include "io/safetensors.h"
#include "kernels/gemm.h"

namespace ap {
namespace {

using nlohmann::json;

// [SECTION] config.json

// An integer field in [lo, hi]; `present` says whether it was there.
std::string int_field(const json& j, const char* key, int lo, int hi, int& out, bool& present) {
  const auto it = j.find(key);
  present = it != j.end() && !it->is_null();
  if (!present) return "";
  // nlohmann keeps integers as signed or unsigned 64-bit (is_number_integer is true for both); lo >= 0.
  if (!it->is_number_integer())
    return format("config.json: %s must be an integer, not %s", key, it->dump().substr(0, 40).c_str());
  const bool in_range = it->is_number_unsigned()
                            ? it->get<uint64_t>() >= uint64_t(lo) && it->get<uint64_t>() <= uint64_t(hi)
                            : it->get<int64_t>() >= lo && it->get<int64_t>() <= hi;
  if (!in_range) return format("config.json: %s must be between %d and %d (got %s)", key, lo, hi, it->dump().c_str());
  out = int(it->get<int64_t>());
  return "";
}

std::string bool_field(const json& j, const char* key, bool& out) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  if (!it->is_boolean())
    return format("config.json: %s must be true or false, not %s", key, it->dump().substr(0, 40).c_str());
  out = it->get<bool>();
  return "";
}

// The limits of config.json's sizes: those of the attention layer that shows
// a chosen layer (config.h), and bounds that keep every size product in range.
constexpr int kMaxLayers = 256, kMaxPositions = 1 << 16, kMaxVocab = 1 << 20, kMaxInner = 1 << 16;

// [SECTION] the weights

// Every tensor of the file by its name without the "transformer." prefix.
struct Tensors {
  std::string_view bytes;
  std::map<std::string, const SafetensorsEntry*> by_name;
  std::map<std::string, bool> used;

  // The tensor `name` of exactly `shape`, or an error naming it, the shape
  // found and the one `why` (the config's sizes) asks for.
  const SafetensorsEntry* get(const std::string& name, const std::vector<int64_t>& shape, const std::string& why,
                              std::string& error) {
    const auto it = by_name.find(name);
    if (it == by_name.end()) {
      error = "model.safetensors has no tensor " + name + " (with or without the transformer. prefix)";
      return nullptr;
    }
    used[name] = true;
    const SafetensorsEntry& e = *it->second;
    if (e.shape != shape) {
      SafetensorsEntry want;
      want.shape = shape;
      error = name + " has shape " + e.shape_text() + "; config.json (" + why + ") needs " + want.shape_text();
      return nullptr;
    }
    if (!e.readable()) {
      error = name + " has dtype " + e.dtype + "; weights must be F32, F16 or BF16";
      return nullptr;
    }
    return &e;
  }
};

// Reads rows [r0, r0 + rows) of a 2-D tensor of `cols` columns, columns [c0, c0 + width), into out[rows x width].
std::string read_block(const Tensors& t, const SafetensorsEntry& e, int64_t cols, int64_t r0, int rows, int64_t c0,
                       int width, float* out) {
  for (int r = 0; r < rows; ++r)
    if (std::string err = read_safetensor(t.bytes, e, (r0 + r) * cols + c0, width, out + size_t(r) * width);
        !err.empty())
      return err;
  return "";
}

std::string read_vector(const Tensors& t, const SafetensorsEntry& e, RowVec& out) {
  out.resize(e.size());
  return read_safetensor(t.bytes, e, 0, e.size(), out.data());
}

// Columns [c0, c0 + d_out) of a Conv1D weight [d_in x cols] (which is Wᵀ) as
// a Linear: W [d_out x d_in], or its strips, which are Wᵀ's rows cut 16
// columns wide (gemm.h), so packing reads the file in order.
std::string linear_from_conv1d(const Tensors& t, const SafetensorsEntry& w, const SafetensorsEntry& b, int64_t c0,
                               int d_out, Gpt2Linear& out) {
  const int d_in = int(w.shape[0]);
  const int64_t cols = w.shape[1];
  out.d_in = d_in;
  out.d_out = d_out;
  std::vector<float> buf(size_t(kStripCols) * size_t(std::max(d_out, d_in)));
  if (simd_kernels()) {
    const int strips = (d_out + kStripCols - 1) / kStripCols;
    out.strips.assign(size_t(strips) * d_in * kStripCols, 0.0f);
    for (int k = 0; k < d_in; ++k) {
      if (std::string e = read_block(t, w, cols, k, 1, c0, d_out, buf.data()); !e.empty()) return e;
      for (int p = 0; p < strips; ++p) {
        const int width = std::min(kStripCols, d_out - p * kStripCols);
        std::memcpy(out.strips.data() + (size_t(p) * d_in + k) * kStripCols, buf.data() + size_t(p) * kStripCols,
                    size_t(width) * sizeof(float));
      }
    }
  } else {
    // Sixteen rows of Wᵀ at a time, written as sixteen-float runs of W's rows.
    out.weight.resize(d_out, d_in);
    for (int k0 = 0; k0 < d_in; k0 += kStripCols) {
      const int rows = std::min(kStripCols, d_in - k0);
      if (std::string e = read_block(t, w, cols, k0, rows, c0, d_out, buf.data()); !e.empty()) return e;
      for (int j = 0; j < d_out; ++j)
        for (int r = 0; r < rows; ++r) out.weight(j, k0 + r) = buf[size_t(r) * d_out + j];
    }
  }
  out.bias.resize(d_out);
  return read_safetensor(t.bytes, b, c0, d_out, out.bias.data());
}

// A weight stored as nn.Linear's [d_out x d_in] (the embedding, for the
// unembedding), without a bias.
std::string linear_from_rows(const Tensors& t, const SafetensorsEntry& w, Gpt2Linear& out) {
  const int d_out = int(w.shape[0]), d_in = int(w.shape[1]);
  out.d_in = d_in;
  out.d_out = d_out;
  if (!simd_kernels()) {
    out.weight.resize(d_out, d_in);
    return read_safetensor(t.bytes, w, 0, w.size(), out.weight.data());
  }
  const int strips = (d_out + kStripCols - 1) / kStripCols;
  out.strips.assign(size_t(strips) * d_in * kStripCols, 0.0f);
  std::vector<float> buf(size_t(kStripCols) * d_in);
  for (int p = 0; p < strips; ++p) {
    const int rows = std::min(kStripCols, d_out - p * kStripCols);
    if (std::string e = read_block(t, w, d_in, int64_t(p) * kStripCols, rows, 0, d_in, buf.data()); !e.empty())
      return e;
    float* strip = out.strips.data() + size_t(p) * d_in * kStripCols;
    for (int k = 0; k < d_in; ++k)
      for (int c = 0; c < rows; ++c) strip[size_t(k) * kStripCols + c] = buf[size_t(c) * d_in + k];
  }
  return "";
}

// Whether two tensors of the same shape hold the same float32 values.
bool same_values(const Tensors& t, const SafetensorsEntry& a, const SafetensorsEntry& b) {
  if (a.dtype == b.dtype)
    return a.end - a.begin == b.end - b.begin &&
           std::memcmp(t.bytes.data() + a.begin, t.bytes.data() + b.begin, a.end - a.begin) == 0;
  constexpr int64_t kChunk = 4096;
  std::vector<float> x(kChunk), y(kChunk);
  for (int64_t at = 0; at < a.size(); at += kChunk) {
    const int64_t n = std::min(kChunk, a.size() - at);
    if (!read_safetensor(t.bytes, a, at, n, x.data()).empty() || !read_safetensor(t.bytes, b, at, n, y.data()).empty())
      return false;
    if (std::memcmp(x.data(), y.data(), size_t(n) * sizeof(float)) != 0) return false;
  }
  return true;
}

// "h.12.ln_1.weight" -> 12; -1 for a name outside the blocks.
int layer_of(const std::string& name) {
  if (name.rfind("h.", 0) != 0) return -1;
  size_t i = 2;
  int64_t layer = 0;
  while (i < name.size() && i < 12 && name[i] >= '0' && name[i] <= '9') layer = layer * 10 + (name[i++] - '0');
  return i > 2 && i < name.size() && name[i] == '.' ? int(std::min<int64_t>(layer, 1 << 30)) : -1;
}

std::string read_text_file(const std::filesystem::path& p, bool& ok) {
  std::ifstream f(p, std::ios::binary);
  ok = bool(f);
  std::ostringstream s;
  if (ok) s << f.rdbuf();
  return s.str();
}

}  // namespace

std::variant<Gpt2Config, std::string> parse_gpt2_config(std::string_view text) {
  const json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::string("config.json is not valid JSON");
  if (!j.is_object()) return std::string("config.json is not a JSON object");
  Gpt2Config c;
  if (const auto it = j.find("model_type"); it != j.end() && !(it->is_string() && it->get<std::string>() == "gpt2"))
    return "config.json describes a " + (it->is_string() ? "'" + it->get<std::string>() + "'" : it->dump()) +
           " model (model_type), not GPT-2";
  struct Size {
    const char* key;
    int lo, hi;
    int* out;
  };
  const Size sizes[] = {{"n_layer", 1, kMaxLayers, &c.n_layer},
                        {"n_head", 1, Limits::max_heads, &c.n_head},
                        {"n_embd", 1, Limits::max_d_model, &c.n_embd},
                        {"vocab_size", 1, kMaxVocab, &c.vocab_size}};
  for (const Size& s : sizes) {
    bool present = false;
    if (std::string e = int_field(j, s.key, s.lo, s.hi, *s.out, present); !e.empty()) return e;
    if (!present) return format("config.json has no %s", s.key);
  }
  bool has_positions = false, has_ctx = false, has_inner = false;
  if (std::string e = int_field(j, "n_positions", 1, kMaxPositions, c.n_positions, has_positions); !e.empty()) return e;
  if (!has_positions) {
    if (std::string e = int_field(j, "n_ctx", 1, kMaxPositions, c.n_positions, has_ctx); !e.empty()) return e;
    if (!has_ctx) return std::string("config.json has neither n_positions nor n_ctx (the most tokens)");
  }
  if (c.n_embd % c.n_head != 0)
    return format("config.json: n_embd %d is not divisible by n_head %d", c.n_embd, c.n_head);
  if (std::string e = int_field(j, "n_inner", 1, kMaxInner, c.n_inner, has_inner); !e.empty()) return e;
  if (!has_inner) c.n_inner = 4 * c.n_embd;
  if (const auto it = j.find("layer_norm_epsilon"); it != j.end()) {
    if (!it->is_number() || !(it->get<double>() > 0) || !(it->get<double>() < 1))
      return "config.json: layer_norm_epsilon must be a number between 0 and 1 (got " + it->dump().substr(0, 40) + ")";
    c.layer_norm_epsilon = it->get<double>();
  }
  if (const auto it = j.find("activation_function"); it != j.end()) {
    if (!it->is_string()) return std::string("config.json: activation_function must be a string");
    c.activation_function = it->get<std::string>();
    const std::string& a = c.activation_function;
    if (a != "gelu_new" && a != "gelu_pytorch_tanh" && a != "gelu_fast")
      return "config.json: activation_function '" + a +
             "' is not supported: this forward uses GELU's tanh approximation (gelu_new, gelu_pytorch_tanh or "
             "gelu_fast)";
  }
  for (auto [key, out] : {std::pair{"tie_word_embeddings", &c.tie_word_embeddings},
                          {"scale_attn_weights", &c.scale_attn_weights},
                          {"scale_attn_by_inverse_layer_idx", &c.scale_attn_by_inverse_layer_idx}})
    if (std::string e = bool_field(j, key, *out); !e.empty()) return e;
  return c;
}

int64_t gpt2_parameters(const Gpt2Config& c) {
  const int64_t d = c.n_embd, m = c.n_inner;
  const int64_t block = 4 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * m + m) + (m * d + d);
  return int64_t(c.vocab_size) * d * (c.tie_word_embeddings ? 1 : 2) + int64_t(c.n_positions) * d + c.n_layer * block +
         2 * d;
}

size_t gpt2_weight_bytes(const Gpt2Config& c) {
  // Only the unembedding's row count (vocab) is not a multiple of 16 in
  // GPT-2; its strips are padded to whole strips in a SIMD build.
  const int64_t pad = simd_kernels() ? (kStripCols - c.vocab_size % kStripCols) % kStripCols : 0;
  const int64_t extra = pad * c.n_embd * (c.tie_word_embeddings ? 1 : 2);
  int64_t padded_blocks = 0;  // the other products' d_out padded likewise (nothing for GPT-2's sizes)
  if (simd_kernels()) {
    const auto padded = [](int64_t d_out) { return (kStripCols - d_out % kStripCols) % kStripCols; };
    const int64_t d = c.n_embd, m = c.n_inner;
    padded_blocks = c.n_layer * (4 * padded(d) * d + padded(m) * d + padded(d) * m);
  }
  return size_t(gpt2_parameters(c) + extra + padded_blocks) * sizeof(float);
}

std::string gpt2_weights_fit(const Gpt2Config& c, size_t limit) {
  const size_t need = gpt2_weight_bytes(c);
  if (need <= limit) return "";
  return format("this model's %lld parameters need %.0f MiB as float32; the limit is %.0f MiB",
                (long long)gpt2_parameters(c), double(need) / (1 << 20), double(limit) / (1 << 20));
}

Mat Gpt2Linear::forward(const Mat& x) const {
  static const std::vector<float> none;
  return strips.empty() ? linear_forward(x, weight, none, bias) : linear_forward_packed(x, d_out, strips, bias);
}

Mat Gpt2Linear::unpacked() const { return strips.empty() ? weight : unpack_strips(strips, d_out, d_in); }

float Gpt2Linear::at(int row, int col) const {
  if (strips.empty()) return weight(row, col);
  return strips[(size_t(row / kStripCols) * d_in + col) * kStripCols + size_t(row % kStripCols)];
}

size_t Gpt2Linear::bytes() const {
  return sizeof(float) * (size_t(weight.size()) + strips.size() + size_t(bias.size()));
}

size_t Gpt2Model::bytes() const {
  const auto ln = [](const Gpt2LayerNorm& l) { return sizeof(float) * size_t(l.gain.size() + l.bias.size()); };
  size_t b = wte.bytes() + lm_head.bytes() + sizeof(float) * size_t(wpe.size()) + ln(ln_f);
  for (const Gpt2Block& k : blocks)
    b +=
        ln(k.ln_1) + ln(k.ln_2) + k.q.bytes() + k.k.bytes() + k.v.bytes() + k.o.bytes() + k.fc.bytes() + k.proj.bytes();
  return b;
}

std::variant<Gpt2Model, std::string> load_gpt2(std::string_view config_json, std::string_view safetensors) {
  auto cr = parse_gpt2_config(config_json);
  if (auto* e = std::get_if<std::string>(&cr)) return *e;
  auto ir = parse_safetensors(safetensors);
  if (auto* e = std::get_if<std::string>(&ir)) return "model.safetensors: " + *e;
  const SafetensorsIndex& index = std::get<SafetensorsIndex>(ir);

  Gpt2Model m;
  m.config = std::get<Gpt2Config>(cr);
  const Gpt2Config& c = m.config;
  Tensors t;
  t.bytes = safetensors;
  for (const SafetensorsEntry& e : index.tensors) {
    const std::string name = e.name.rfind("transformer.", 0) == 0 ? e.name.substr(12) : e.name;
    if (!t.by_name.emplace(name, &e).second) return "model.safetensors holds both " + name + " and transformer." + name;
    if (const int layer = layer_of(name); layer >= c.n_layer)
      return format("model.safetensors has %s of layer %d, but config.json has n_layer %d (layers 0 to %d)",
                    e.name.c_str(), layer, c.n_layer, c.n_layer - 1);
  }

  const int64_t d = c.n_embd, mlp = c.n_inner, vocab = c.vocab_size;
  const std::string dims = format("n_embd %d", c.n_embd), mlp_dims = format("n_embd %d, d_mlp %d", c.n_embd, c.n_inner);
  const std::string vocab_dims = format("vocab_size %d, n_embd %d", c.vocab_size, c.n_embd);
  std::string err;
  const auto vec = [&](const std::string& name, int64_t size, RowVec& out) {
    if (!err.empty()) return;
    if (const SafetensorsEntry* e = t.get(name, {size}, size == d ? dims : mlp_dims, err))
      err = read_vector(t, *e, out);
  };
  const auto norm = [&](const std::string& name, Gpt2LayerNorm& out) {
    vec(name + ".weight", d, out.gain);
    vec(name + ".bias", d, out.bias);
  };

  const SafetensorsEntry* wte = t.get("wte.weight", {vocab, d}, vocab_dims, err);
  if (!wte) return err;
  if ((err = linear_from_rows(t, *wte, m.wte)).size()) return err;
  const SafetensorsEntry* wpe =
      t.get("wpe.weight", {c.n_positions, d}, format("n_positions %d, n_embd %d", c.n_positions, c.n_embd), err);
  if (!wpe) return err;
  m.wpe.resize(c.n_positions, c.n_embd);
  if ((err = read_safetensor(safetensors, *wpe, 0, wpe->size(), m.wpe.data())).size()) return err;
  norm("ln_f", m.ln_f);

  m.blocks.resize(size_t(c.n_layer));
  for (int l = 0; l < c.n_layer && err.empty(); ++l) {
    Gpt2Block& b = m.blocks[size_t(l)];
    const std::string h = "h." + std::to_string(l) + ".";
    norm(h + "ln_1", b.ln_1);
    norm(h + "ln_2", b.ln_2);
    const auto conv = [&](const std::string& name, int64_t d_in, int64_t cols, const std::string& why,
                          std::initializer_list<std::pair<int64_t, Gpt2Linear*>> parts, int64_t d_out) {
      if (!err.empty()) return;
      const SafetensorsEntry* w = t.get(name + ".weight", {d_in, cols}, why, err);
      const SafetensorsEntry* bias = w ? t.get(name + ".bias", {cols}, why, err) : nullptr;
      if (!bias) return;
      for (auto [c0, out] : parts)
        if (err.empty()) err = linear_from_conv1d(t, *w, *bias, c0, int(d_out), *out);
    };
    conv(h + "attn.c_attn", d, 3 * d, dims, {{0, &b.q}, {d, &b.k}, {2 * d, &b.v}}, d);
    conv(h + "attn.c_proj", d, d, dims, {{0, &b.o}}, d);
    conv(h + "mlp.c_fc", d, mlp, mlp_dims, {{0, &b.fc}}, mlp);
    conv(h + "mlp.c_proj", mlp, d, mlp_dims, {{0, &b.proj}}, d);
    for (const char* buffer : {"attn.bias", "attn.masked_bias"}) t.used[h + buffer] = true;
  }
  if (!err.empty()) return err;

  const auto head = t.by_name.find("lm_head.weight");
  if (!c.tie_word_embeddings) {
    const SafetensorsEntry* e = t.get("lm_head.weight", {vocab, d}, vocab_dims + ", tie_word_embeddings false", err);
    if (!e) return err;
    if ((err = linear_from_rows(t, *e, m.lm_head)).size()) return err;
  } else if (head != t.by_name.end()) {
    const SafetensorsEntry* e = t.get("lm_head.weight", {vocab, d}, vocab_dims, err);
    if (!e) return err;
    if (!same_values(t, *wte, *e))
      return "lm_head.weight differs from wte.weight, but config.json ties them (tie_word_embeddings is true): set "
             "it to false to use lm_head.weight";
  }

  std::vector<std::string> unused;
  for (const auto& [name, e] : t.by_name)
    if (!t.used.count(name)) unused.push_back(e->name);
  if (!unused.empty()) {
    std::string list;
    for (size_t i = 0; i < unused.size() && i < 4; ++i) list += (i ? ", " : "") + unused[i];
    if (unused.size() > 4) list += ", ...";
    m.notes.push_back(format("%zu tensors that a GPT-2 language model does not use were skipped: ", unused.size()) +
                      list);
  }
  return m;
}

std::variant<Gpt2Model, std::string> load_gpt2_folder(const std::string& dir) {
  namespace fs = std::filesystem;
  const fs::path folder(dir);
  bool ok = false;
  const std::string config = read_text_file(folder / "config.json", ok);
  if (!ok) return "no config.json in " + dir;
  const fs::path weights = folder / "model.safetensors";
  std::error_code ec;
  if (!fs::exists(weights, ec)) {
    if (fs::exists(folder / "model.safetensors.index.json", ec))
      return dir +
             " holds a sharded checkpoint (model.safetensors.index.json), which is not read: save it as one "
             "model.safetensors";
    return "no model.safetensors in " + dir + " (pytorch_model.bin is a Python pickle, which is not read)";
  }
  const std::string bytes = read_text_file(weights, ok);
  if (!ok) return "cannot read " + weights.string();
  return load_gpt2(config, bytes);
}

}  // namespace ap
