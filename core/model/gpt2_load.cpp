// GPT-2's weights from model.safetensors as its bytes arrive: see gpt2.h
// (Gpt2Loader). The header is checked against config.json as soon as it is
// whole; then each tensor the model uses is converted when its last byte
// arrives, straight from the caller's chunk when the chunk holds it whole,
// else from a copy of that tensor's bytes alone.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <sstream>

#include "base/format.h"
#include "io/safetensors.h"
#include "kernels/gemm.h"
#include "model/gpt2.h"

namespace ap {
namespace {

// [SECTION] one tensor's conversion
// `bytes` holds the tensor's bytes alone and `e` its entry with offsets
// counted from their start, so the same code reads a chunk or a staged copy.

// Rows [r0, r0 + rows) of a 2-D tensor of `cols` columns, columns [c0, c0 + width), into out[rows x width].
std::string read_block(std::string_view bytes, const SafetensorsEntry& e, int64_t cols, int64_t r0, int rows,
                       int64_t c0, int width, float* out) {
  for (int r = 0; r < rows; ++r)
    if (std::string err = read_safetensor(bytes, e, (r0 + r) * cols + c0, width, out + size_t(r) * width); !err.empty())
      return err;
  return "";
}

std::string read_vector(std::string_view bytes, const SafetensorsEntry& e, RowVec& out) {
  out.resize(e.size());
  return read_safetensor(bytes, e, 0, e.size(), out.data());
}

// Columns [c0, c0 + d_out) of a Conv1D weight [d_in x cols] (which is Wᵀ) as
// a Linear's W [d_out x d_in], or its strips, which are Wᵀ's rows cut 16
// columns wide (gemm.h), so packing reads the tensor in order. Kept out of
// line: inlined into its job's closure, GCC 12 compiles the transposition
// below 1.6 times slower (gpt2's load took 0.34 s instead of 0.21 s).
[[gnu::noinline]] std::string conv1d_weight(std::string_view bytes, const SafetensorsEntry& w, int64_t c0, int d_out,
                                            Gpt2Linear& out) {
  const int d_in = int(w.shape[0]);
  const int64_t cols = w.shape[1];
  out.d_in = d_in;
  out.d_out = d_out;
  std::vector<float> buf(size_t(kStripCols) * size_t(std::max(d_out, d_in)));
  if (simd_kernels()) {
    const int strips = (d_out + kStripCols - 1) / kStripCols;
    out.strips.assign(size_t(strips) * d_in * kStripCols, 0.0f);
    for (int k = 0; k < d_in; ++k) {
      if (std::string e = read_block(bytes, w, cols, k, 1, c0, d_out, buf.data()); !e.empty()) return e;
      for (int p = 0; p < strips; ++p) {
        const int width = std::min(kStripCols, d_out - p * kStripCols);
        std::memcpy(out.strips.data() + (size_t(p) * d_in + k) * kStripCols, buf.data() + size_t(p) * kStripCols,
                    size_t(width) * sizeof(float));
      }
    }
    return "";
  }
  // Sixteen rows of Wᵀ at a time, written as sixteen-float runs of W's rows.
  out.weight.resize(d_out, d_in);
  for (int k0 = 0; k0 < d_in; k0 += kStripCols) {
    const int rows = std::min(kStripCols, d_in - k0);
    if (std::string e = read_block(bytes, w, cols, k0, rows, c0, d_out, buf.data()); !e.empty()) return e;
    for (int j = 0; j < d_out; ++j)
      for (int r = 0; r < rows; ++r) out.weight(j, k0 + r) = buf[size_t(r) * d_out + j];
  }
  return "";
}

// Elements [c0, c0 + d_out) of a Conv1D bias as the Linear's bias.
std::string conv1d_bias(std::string_view bytes, const SafetensorsEntry& b, int64_t c0, int d_out, Gpt2Linear& out) {
  out.bias.resize(d_out);
  return read_safetensor(bytes, b, c0, d_out, out.bias.data());
}

// A weight stored as nn.Linear's [d_out x d_in] (the embedding, for the
// unembedding), without a bias.
std::string linear_from_rows(std::string_view bytes, const SafetensorsEntry& w, Gpt2Linear& out) {
  const int d_out = int(w.shape[0]), d_in = int(w.shape[1]);
  out.d_in = d_in;
  out.d_out = d_out;
  if (!simd_kernels()) {
    out.weight.resize(d_out, d_in);
    return read_safetensor(bytes, w, 0, w.size(), out.weight.data());
  }
  const int strips = (d_out + kStripCols - 1) / kStripCols;
  out.strips.assign(size_t(strips) * d_in * kStripCols, 0.0f);
  std::vector<float> buf(size_t(kStripCols) * d_in);
  for (int p = 0; p < strips; ++p) {
    const int rows = std::min(kStripCols, d_out - p * kStripCols);
    if (std::string e = read_block(bytes, w, d_in, int64_t(p) * kStripCols, rows, 0, d_in, buf.data()); !e.empty())
      return e;
    float* strip = out.strips.data() + size_t(p) * d_in * kStripCols;
    for (int k = 0; k < d_in; ++k)
      for (int c = 0; c < rows; ++c) strip[size_t(k) * kStripCols + c] = buf[size_t(c) * d_in + k];
  }
  return "";
}

// Whether a [d_out x d_in] tensor holds, as float32, the bits of an already
// converted Linear's W. Every dtype's conversion to float32 is one to one, so
// for two tensors of one dtype this is their bytes being equal.
bool same_values(std::string_view bytes, const SafetensorsEntry& e, const Gpt2Linear& have) {
  const int rows = int(e.shape[0]), cols = int(e.shape[1]);
  std::vector<float> row(static_cast<size_t>(cols));
  for (int r = 0; r < rows; ++r) {
    if (!read_safetensor(bytes, e, int64_t(r) * cols, cols, row.data()).empty()) return false;
    for (int c = 0; c < cols; ++c) {
      const float w = have.at(r, c);
      if (std::memcmp(&w, &row[size_t(c)], sizeof w) != 0) return false;
    }
  }
  return true;
}

// [SECTION] the plan: what each tensor of the header becomes

// A tensor the model uses: its entry (absolute offsets) and its conversion.
struct Job {
  SafetensorsEntry entry;
  std::function<std::string(std::string_view bytes, const SafetensorsEntry& e)> convert;
};

// Every tensor of the file by its name without the "transformer." prefix.
struct Tensors {
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

// "h.12.ln_1.weight" -> 12; -1 for a name outside the blocks.
int layer_of(const std::string& name) {
  if (name.rfind("h.", 0) != 0) return -1;
  size_t i = 2;
  int64_t layer = 0;
  while (i < name.size() && i < 12 && name[i] >= '0' && name[i] <= '9') layer = layer * 10 + (name[i++] - '0');
  return i > 2 && i < name.size() && name[i] == '.' ? int(std::min<int64_t>(layer, 1 << 30)) : -1;
}

const char* const kTiedDiffer =
    "lm_head.weight differs from wte.weight, but config.json ties them (tie_word_embeddings is true): set it to false "
    "to use lm_head.weight";

// Checks the header against m.config, sizes m.blocks, notes the tensors
// skipped, and lists the conversions in the order of the data. The checks run
// in a fixed order of names (the embeddings, ln_f, each block, the head), so
// a file with several faults is refused for the same one however it is laid
// out.
std::string plan(const SafetensorsIndex& index, Gpt2Model& m, std::vector<Job>& jobs) {
  const Gpt2Config& c = m.config;
  Tensors t;
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
      jobs.push_back({*e, [&out](std::string_view b, const SafetensorsEntry& x) { return read_vector(b, x, out); }});
  };
  const auto norm = [&](const std::string& name, Gpt2LayerNorm& out) {
    vec(name + ".weight", d, out.gain);
    vec(name + ".bias", d, out.bias);
  };

  const SafetensorsEntry* wte = t.get("wte.weight", {vocab, d}, vocab_dims, err);
  if (!wte) return err;
  const SafetensorsEntry* wpe =
      t.get("wpe.weight", {c.n_positions, d}, format("n_positions %d, n_embd %d", c.n_positions, c.n_embd), err);
  if (!wpe) return err;
  jobs.push_back({*wpe, [&m](std::string_view b, const SafetensorsEntry& x) {
                    m.wpe.resize(m.config.n_positions, m.config.n_embd);
                    return read_safetensor(b, x, 0, x.size(), m.wpe.data());
                  }});
  norm("ln_f", m.ln_f);

  m.blocks.resize(size_t(c.n_layer));
  for (int l = 0; l < c.n_layer && err.empty(); ++l) {
    Gpt2Block& b = m.blocks[size_t(l)];
    const std::string h = "h." + std::to_string(l) + ".";
    norm(h + "ln_1", b.ln_1);
    norm(h + "ln_2", b.ln_2);
    // A Conv1D weight and its bias, each cut into the Linears `parts` (column c0 of each, d_out wide).
    using Parts = std::vector<std::pair<int64_t, Gpt2Linear*>>;
    const auto conv = [&](const std::string& name, int64_t d_in, int64_t cols, const std::string& why, Parts parts,
                          int64_t d_out) {
      if (!err.empty()) return;
      const SafetensorsEntry* w = t.get(name + ".weight", {d_in, cols}, why, err);
      const SafetensorsEntry* bias = w ? t.get(name + ".bias", {cols}, why, err) : nullptr;
      if (!bias) return;
      jobs.push_back({*w, [parts, d_out](std::string_view bytes, const SafetensorsEntry& x) {
                        for (auto [c0, out] : parts)
                          if (std::string e = conv1d_weight(bytes, x, c0, int(d_out), *out); !e.empty()) return e;
                        return std::string();
                      }});
      jobs.push_back({*bias, [parts, d_out](std::string_view bytes, const SafetensorsEntry& x) {
                        for (auto [c0, out] : parts)
                          if (std::string e = conv1d_bias(bytes, x, c0, int(d_out), *out); !e.empty()) return e;
                        return std::string();
                      }});
    };
    conv(h + "attn.c_attn", d, 3 * d, dims, {{0, &b.q}, {d, &b.k}, {2 * d, &b.v}}, d);
    conv(h + "attn.c_proj", d, d, dims, {{0, &b.o}}, d);
    conv(h + "mlp.c_fc", d, mlp, mlp_dims, {{0, &b.fc}}, mlp);
    conv(h + "mlp.c_proj", mlp, d, mlp_dims, {{0, &b.proj}}, d);
    for (const char* buffer : {"attn.bias", "attn.masked_bias"}) t.used[h + buffer] = true;
  }
  if (!err.empty()) return err;

  const auto rows_into = [](Gpt2Linear& out) {
    return [&out](std::string_view b, const SafetensorsEntry& x) { return linear_from_rows(b, x, out); };
  };
  const SafetensorsEntry* head = nullptr;
  if (!c.tie_word_embeddings || t.by_name.count("lm_head.weight")) {
    const std::string why = c.tie_word_embeddings ? vocab_dims : vocab_dims + ", tie_word_embeddings false";
    if (!(head = t.get("lm_head.weight", {vocab, d}, why, err))) return err;
  }
  if (!c.tie_word_embeddings) {
    jobs.push_back({*wte, rows_into(m.wte)});
    jobs.push_back({*head, rows_into(m.lm_head)});
  } else if (head) {
    // Tied, with both in the file: whichever comes first in the data becomes
    // wte (they must be equal), and the second is compared with it as it
    // completes, so neither is held beside the other.
    const SafetensorsEntry* first = head->begin < wte->begin ? head : wte;
    const SafetensorsEntry* second = first == head ? wte : head;
    jobs.push_back({*first, rows_into(m.wte)});
    jobs.push_back({*second, [&m](std::string_view b, const SafetensorsEntry& x) {
                      return same_values(b, x, m.wte) ? std::string() : std::string(kTiedDiffer);
                    }});
  } else {
    jobs.push_back({*wte, rows_into(m.wte)});
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
  // The header's ranges do not overlap (parse_safetensors_header), and no
  // tensor the model uses is empty, so in this order each begins after the
  // last one ends.
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) { return a.entry.begin < b.entry.begin; });
  return "";
}

// A buffer of exactly `size` bytes filled in order: the header, or a tensor
// that arrives over several chunks.
struct Staged {
  std::unique_ptr<char[]> data;
  size_t size = 0, fill = 0;

  void allocate(size_t n) {
    data.reset(new char[n]);
    size = n;
    fill = 0;
  }
  void release() {
    data.reset();
    size = fill = 0;
  }
  std::string_view view() const { return {data.get(), fill}; }
};

// The file's size when the caller does not know it: every range in the
// header is then accepted, and whether the bytes arrive is known at finish().
constexpr uint64_t kUnknownSize = std::numeric_limits<uint64_t>::max();

std::string read_text_file(const std::filesystem::path& p, bool& ok) {
  std::ifstream f(p, std::ios::binary);
  ok = bool(f);
  std::ostringstream s;
  if (ok) s << f.rdbuf();
  return s.str();
}

}  // namespace

// [SECTION] Gpt2Loader

struct Gpt2Loader::State {
  enum class Phase { kLength, kHeader, kData, kDone } phase = Phase::kLength;
  uint64_t file_size = 0;  // 0: unknown
  uint64_t received = 0;   // bytes fed, which is the file offset of the next one
  uint64_t data_end = 0;   // 8 + header + the end of the last tensor's data, once the header is read
  bool config_ok = false;
  Gpt2Config config;  // kept apart from the model, which finish() hands over
  Gpt2Model model;
  std::vector<Job> jobs;  // by data offset
  size_t next = 0;        // the job whose bytes come next
  Staged header, tensor;
  size_t peak_staged = 0;
  std::string error;

  std::string fail(std::string why) {
    error = std::move(why);
    phase = Phase::kDone;
    model = Gpt2Model{};
    jobs.clear();
    header.release();
    tensor.release();
    return error;
  }
  void staged() { peak_staged = std::max(peak_staged, header.size + tensor.size); }

  // The header's length is in: the header itself is staged next.
  std::string read_length() {
    auto size = safetensors_header_size(header.view(), file_size ? file_size : kUnknownSize);
    if (auto* e = std::get_if<std::string>(&size)) return "model.safetensors: " + *e;
    Staged whole;
    whole.allocate(size_t(std::get<uint64_t>(size)));
    std::memcpy(whole.data.get(), header.data.get(), 8);
    whole.fill = 8;
    header = std::move(whole);
    staged();
    phase = Phase::kHeader;
    return "";
  }

  std::string read_header() {
    auto ir = parse_safetensors_header(header.view(), file_size ? file_size : kUnknownSize);
    header.release();
    if (auto* e = std::get_if<std::string>(&ir)) return "model.safetensors: " + *e;
    const SafetensorsIndex& index = std::get<SafetensorsIndex>(ir);
    if (std::string e = plan(index, model, jobs); !e.empty()) return e;
    for (const Job& j : jobs)  // a tensor staged whole must fit in a size_t (32 bits in wasm)
      if (j.entry.end - j.entry.begin > std::numeric_limits<size_t>::max() / 2)
        return "model.safetensors: tensor '" + j.entry.name + "' takes " + std::to_string(j.entry.end - j.entry.begin) +
               " bytes, more than this build can hold";
    data_end = index.data_begin;
    for (const SafetensorsEntry& e : index.tensors) data_end = std::max(data_end, e.end);
    phase = Phase::kData;
    return "";
  }

  // Job `next`'s bytes, whole: converted, and the next job's turn.
  std::string convert(const char* p, size_t n) {
    const Job& j = jobs[next++];
    SafetensorsEntry e = j.entry;
    e.begin = 0;
    e.end = n;
    return j.convert(std::string_view(p, n), e);
  }
};

Gpt2Loader::Gpt2Loader(std::string_view config_json, uint64_t file_size) : s_(std::make_unique<State>()) {
  s_->file_size = file_size;
  auto c = parse_gpt2_config(config_json);
  if (auto* e = std::get_if<std::string>(&c)) {
    s_->fail(*e);
    return;
  }
  s_->config_ok = true;
  s_->config = s_->model.config = std::get<Gpt2Config>(c);
  s_->header.allocate(8);
  s_->staged();
}

Gpt2Loader::~Gpt2Loader() = default;
Gpt2Loader::Gpt2Loader(Gpt2Loader&&) noexcept = default;
Gpt2Loader& Gpt2Loader::operator=(Gpt2Loader&&) noexcept = default;

std::string Gpt2Loader::feed(const void* data, size_t size) {
  State& s = *s_;
  if (!s.error.empty()) return s.error;
  if (s.phase == State::Phase::kDone) return s.fail("model.safetensors: more bytes arrived after the loader finished");
  if (s.file_size && size > s.file_size - s.received)
    return s.fail("model.safetensors: more than the " + std::to_string(s.file_size) +
                  " bytes it was said to hold arrived");
  const char* p = static_cast<const char*>(data);
  const auto advance = [&](size_t n) {
    p += n;
    size -= n;
    s.received += n;
  };
  while (size > 0) {
    std::string err;
    if (s.phase != State::Phase::kData) {
      Staged& h = s.header;
      const size_t take = std::min(size, h.size - h.fill);
      std::memcpy(h.data.get() + h.fill, p, take);
      h.fill += take;
      advance(take);
      if (h.fill == h.size) err = s.phase == State::Phase::kLength ? s.read_length() : s.read_header();
    } else if (s.next == s.jobs.size()) {
      advance(size);  // bytes after the last tensor the model uses: other tensors, padding
    } else if (const SafetensorsEntry& e = s.jobs[s.next].entry; s.received < e.begin) {
      advance(size_t(std::min<uint64_t>(size, e.begin - s.received)));  // padding or a tensor that is skipped
    } else if (const size_t left = size_t(e.end - s.received); !s.tensor.data && size >= left) {
      err = s.convert(p, left);  // the whole tensor is in this chunk
      advance(left);
    } else {
      Staged& t = s.tensor;
      if (!t.data) {
        t.allocate(size_t(e.end - e.begin));
        s.staged();
      }
      const size_t take = std::min(size, left);
      std::memcpy(t.data.get() + t.fill, p, take);
      t.fill += take;
      advance(take);
      if (t.fill == t.size) {
        err = s.convert(t.data.get(), t.size);
        t.release();
      }
    }
    if (!err.empty()) return s.fail(err);
  }
  return "";
}

std::variant<Gpt2Model, std::string> Gpt2Loader::finish() {
  State& s = *s_;
  if (!s.error.empty()) return s.error;
  if (s.phase == State::Phase::kDone) return s.fail("model.safetensors: the loader has already handed over its model");
  if (s.phase != State::Phase::kData) {
    // The messages parse_safetensors() gives a file that ends there (an
    // error, since fewer bytes arrived than the length or the header needs).
    auto size = safetensors_header_size(s.header.view(), s.received);
    return s.fail("model.safetensors: " + std::get<std::string>(size));
  }
  if (s.received < bytes_expected())
    return s.fail("model.safetensors is truncated: " + std::to_string(s.received) + " of its " +
                  std::to_string(bytes_expected()) + " bytes arrived");
  s.phase = State::Phase::kDone;
  return std::move(s.model);
}

const Gpt2Config* Gpt2Loader::config() const { return s_->config_ok ? &s_->config : nullptr; }
bool Gpt2Loader::header_done() const { return s_->data_end > 0; }
uint64_t Gpt2Loader::bytes_expected() const { return s_->file_size ? s_->file_size : s_->data_end; }
uint64_t Gpt2Loader::bytes_received() const { return s_->received; }
size_t Gpt2Loader::peak_staged_bytes() const { return s_->peak_staged; }
const std::string& Gpt2Loader::error() const { return s_->error; }

std::variant<Gpt2Model, std::string> load_gpt2(std::string_view config_json, std::string_view safetensors) {
  Gpt2Loader loader(config_json, safetensors.size());
  loader.feed(safetensors.data(), safetensors.size());
  return loader.finish();
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
  const uint64_t size = fs::file_size(weights, ec);
  std::ifstream f(weights, std::ios::binary);
  if (ec || !f) return "cannot read " + weights.string();
  // The chunk size of the page's download (web/platform/hub.js): the file is never held whole.
  constexpr size_t kChunk = size_t(16) << 20;
  std::vector<char> chunk(std::min<uint64_t>(kChunk, std::max<uint64_t>(size, 1)));
  Gpt2Loader loader(config, size);
  while (f) {
    f.read(chunk.data(), std::streamsize(chunk.size()));
    if (std::string e = loader.feed(chunk.data(), size_t(f.gcount())); !e.empty()) return e;
  }
  if (f.bad()) return "cannot read " + weights.string();
  return loader.finish();
}

}  // namespace ap
