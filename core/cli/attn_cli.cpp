// The `attn` command line, parsed with CLI11: see attn_cli.h and the README.
#include "cli/attn_cli.h"

#include <CLI/CLI.hpp>
#include <Eigen/Core>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <map>
#include <optional>
#include <sstream>

#include "analysis/compare.h"
#include "io/npy.h"
#include "kernels/parallel.h"
#include "model/gpt2.h"
#include "model/gpt2_forward.h"
#include "onnx/sdpa.h"
#include "text/bpe.h"

namespace ap {
namespace {

struct Failure {
  std::string message;
};

Array load(const std::string& path) {
  auto r = read_npy(path);
  if (auto* e = std::get_if<std::string>(&r)) throw Failure{*e};
  return std::get<Array>(std::move(r));
}

std::optional<Array> load_optional(const std::string& path) {
  if (path.empty()) return std::nullopt;
  return load(path);
}

void save(const std::string& path, const Array& a, std::ostream& out) {
  if (path.empty()) return;
  if (std::string e = write_npy(path, a); !e.empty()) throw Failure{e};
  out << "wrote " << path << " " << a.shape_text() << " " << dtype_name(a.dtype) << "\n";
}

FullyMasked policy(const std::string& s) {
  return s == "nan" ? FullyMasked::NaN : s == "uniform" ? FullyMasked::Uniform : FullyMasked::Zero;
}

// [SECTION] attn sdpa

struct SdpaArgs {
  std::string q, k, v, mask, past_key, past_value, nonpad, out, weights_out, qk_out, present_key_out, present_value_out;
  std::string fully_masked = "zero";
  SdpaOptions o;
};

int run_sdpa(const SdpaArgs& a, std::ostream& out) {
  const Array q = load(a.q), k = load(a.k), v = load(a.v);
  const auto mask = load_optional(a.mask), pk = load_optional(a.past_key), pv = load_optional(a.past_value),
             nonpad = load_optional(a.nonpad);
  if (!a.present_key_out.empty() && !pk) throw Failure{"--present-key-out needs --past-key and --past-value"};
  SdpaOptions o = a.o;
  o.fully_masked = policy(a.fully_masked);
  if (a.qk_out.empty()) o.qk_mode = -1;
  SdpaInputs in{
      &q, &k, &v, mask ? &*mask : nullptr, pk ? &*pk : nullptr, pv ? &*pv : nullptr, nonpad ? &*nonpad : nullptr};
  auto r = sdpa(in, o);
  if (auto* e = std::get_if<std::string>(&r)) throw Failure{*e};
  const SdpaOutputs& y = std::get<SdpaOutputs>(r);
  save(a.out, y.y, out);
  save(a.weights_out, y.weights, out);
  save(a.qk_out, y.qk, out);
  if (pk) {
    save(a.present_key_out, y.present_key, out);
    save(a.present_value_out, y.present_value, out);
  }
  return 0;
}

// [SECTION] attn mha: y = attention(x·W_qᵀ + b_q, x_kv·W_kᵀ + b_k, x_kv·W_vᵀ + b_v)·W_oᵀ + b_o

struct MhaArgs {
  std::string x, x_kv, wq, wk, wv, wo, bq, bk, bv, bo, mask, out, weights_out;
  std::string fully_masked = "zero";
  int heads = 0, kv_heads = 0;
  double scale = 0, softcap = 0;
  bool causal = false;
};

using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

MatD as_matrix(const Array& a, const std::string& name) {
  if (a.shape.size() != 2)
    throw Failure{name + " must be 2D (d_out, d_in) as nn.Linear stores it; got " + a.shape_text()};
  return Eigen::Map<const MatD>(a.values.data(), a.shape[0], a.shape[1]);
}

// x: (B, S, d_in) rows; w: (d_out, d_in); b: (d_out,) or none -> (B, S, d_out)
Array linear(const Array& x, const Array& w, const std::optional<Array>& b, const std::string& wname,
             const std::string& xname) {
  const MatD W = as_matrix(w, wname);
  const int64_t d_in = x.shape.back();
  if (W.cols() != d_in)
    throw Failure{wname + " is " + w.shape_text() + " but " + xname + " has " + std::to_string(d_in) +
                  " features: nn.Linear computes x·Wᵀ, so W must be (d_out, " + std::to_string(d_in) + ")"};
  if (b && (b->shape.size() != 1 || b->shape[0] != W.rows()))
    throw Failure{"the bias of " + wname + " must be (" + std::to_string(W.rows()) + ",); got " + b->shape_text()};
  const int64_t rows = x.size() / d_in;
  const MatD X = Eigen::Map<const MatD>(x.values.data(), rows, d_in);
  MatD Y = X * W.transpose();
  if (b) Y.rowwise() += Eigen::Map<const Eigen::RowVectorXd>(b->values.data(), W.rows());
  Array y{DType::F32, x.shape, std::vector<double>(Y.data(), Y.data() + Y.size())};
  y.shape.back() = W.rows();
  return y;
}

int run_mha(const MhaArgs& a, std::ostream& out) {
  Array x = load(a.x);
  const bool unbatched = x.shape.size() == 2;
  if (unbatched) x.shape.insert(x.shape.begin(), 1);
  if (x.shape.size() != 3) throw Failure{"--x must be (S, d_model) or (B, S, d_model); got " + x.shape_text()};
  Array x_kv = a.x_kv.empty() ? x : load(a.x_kv);
  if (x_kv.shape.size() == 2) x_kv.shape.insert(x_kv.shape.begin(), 1);
  if (x_kv.shape.size() != 3 || x_kv.shape[0] != x.shape[0])
    throw Failure{"--x-kv must have the batch of --x: (S_kv, d) or (B, S_kv, d); got " + x_kv.shape_text()};
  const Array q = linear(x, load(a.wq), load_optional(a.bq), "--wq", "--x");
  const Array k = linear(x_kv, load(a.wk), load_optional(a.bk), "--wk", a.x_kv.empty() ? "--x" : "--x-kv");
  const Array v = linear(x_kv, load(a.wv), load_optional(a.bv), "--wv", a.x_kv.empty() ? "--x" : "--x-kv");
  const auto mask = load_optional(a.mask);
  SdpaOptions o;
  o.q_heads = a.heads;
  o.kv_heads = a.kv_heads ? a.kv_heads : a.heads;
  o.scale = a.scale;
  o.softcap = a.softcap;
  o.causal = a.causal;
  o.fully_masked = policy(a.fully_masked);
  auto r = sdpa(SdpaInputs{&q, &k, &v, mask ? &*mask : nullptr}, o);
  if (auto* e = std::get_if<std::string>(&r)) throw Failure{*e};
  const SdpaOutputs& s = std::get<SdpaOutputs>(r);
  Array y = linear(s.y, load(a.wo), load_optional(a.bo), "--wo", "the concatenated heads");
  if (unbatched) y.shape.erase(y.shape.begin());
  save(a.out, y, out);
  save(a.weights_out, s.weights, out);
  return 0;
}

// [SECTION] attn check

struct CheckArgs {
  std::string expected, actual;
  double atol = 1e-6, rtol = 1e-5;
};

int run_check(const CheckArgs& a, std::ostream& out) {
  const Array e = load(a.expected), g = load(a.actual);
  if (e.shape != g.shape) {
    out << "MISMATCH: shapes differ: expected " << e.shape_text() << ", actual " << g.shape_text() << "\n";
    return 1;
  }
  const Comparison c = compare_values(e.values, g.values, {a.atol, a.rtol});
  out << std::setprecision(3);
  out << "shape " << e.shape_text() << ", " << e.size() << " elements (" << dtype_name(e.dtype) << " vs "
      << dtype_name(g.dtype) << ")\n";
  // Values are doubles whatever the files' dtypes (float16/32 and integers
  // convert exactly), so float64 expected against float32 actual is fair.
  if (e.dtype != g.dtype) out << "the dtypes differ: both compared as float64\n";
  out << "max abs error " << c.max_abs << " at " << index_text(e.shape, c.max_abs_at) << "\n";
  out << "max rel error " << c.max_rel << " at " << index_text(e.shape, c.max_rel_at) << "\n";
  if (c.match()) {
    out << "MATCH: every element within atol " << a.atol << " + rtol " << a.rtol << " * |expected|\n";
    return 0;
  }
  const size_t at = size_t(c.first_mismatch);
  out << std::setprecision(9) << "MISMATCH: " << c.mismatches << " of " << e.size() << " elements differ; first at "
      << index_text(e.shape, c.first_mismatch) << ": expected " << e.values[at] << ", actual " << g.values[at] << "\n";
  return 1;
}

// [SECTION] attn model

struct ModelArgs {
  std::string dir, text, tokens_out, logits_out, attn_out, ablate;
  int top = 5;
};

// A file of a model folder, at most `limit` bytes: what the loaders parse.
std::string read_folder_file(const std::string& dir, const char* name, size_t limit) {
  const std::string path = dir + "/" + name;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw Failure{path + ": cannot be read"};
  const std::streamoff size = in.tellg();
  if (size < 0 || size_t(size) > limit)
    throw Failure{path + ": larger than the " + std::to_string(limit >> 20) + " MiB a tokenizer file may be"};
  std::string bytes(size_t(size), '\0');
  in.seekg(0);
  in.read(bytes.data(), size);
  if (!in) throw Failure{path + ": cannot be read"};
  return bytes;
}

bool exists(const std::string& path) { return std::ifstream(path).good(); }

// GPT-2's tokenizer from a Hugging Face folder: vocab.json and merges.txt, else tokenizer.json.
Gpt2Tokenizer load_tokenizer(const std::string& dir) {
  auto t = exists(dir + "/vocab.json") && exists(dir + "/merges.txt")
               ? Gpt2Tokenizer::from_vocab_merges(read_folder_file(dir, "vocab.json", kMaxTokenizerFileBytes),
                                                  read_folder_file(dir, "merges.txt", kMaxTokenizerFileBytes))
           : exists(dir + "/tokenizer.json")
               ? Gpt2Tokenizer::from_tokenizer_json(read_folder_file(dir, "tokenizer.json", kMaxTokenizerFileBytes))
               : std::variant<Gpt2Tokenizer, std::string>(
                     dir + " has no tokenizer: it needs vocab.json and merges.txt, or tokenizer.json");
  if (auto* e = std::get_if<std::string>(&t)) throw Failure{*e};
  return std::get<Gpt2Tokenizer>(std::move(t));
}

// "0.3,5.1": heads 3 of layer 0 and 1 of layer 5 zeroed.
void parse_ablations(const std::string& spec, const Gpt2Config& c, Gpt2Edits& e) {
  std::stringstream ss(spec);
  for (std::string item; std::getline(ss, item, ',');) {
    int layer = -1, head = -1;
    char dot = 0, extra = 0;
    if (std::sscanf(item.c_str(), "%d%c%d%c", &layer, &dot, &head, &extra) != 3 || dot != '.')
      throw Failure{"--ablate takes LAYER.HEAD pairs separated by commas, like 0.3,5.1; \"" + item + "\" is not one"};
    if (layer < 0 || layer >= c.n_layer || head < 0 || head >= c.n_head)
      throw Failure{"--ablate " + item + ": the model has layers 0-" + std::to_string(c.n_layer - 1) + " and heads 0-" +
                    std::to_string(c.n_head - 1)};
    e.ablated[size_t(layer)][size_t(head)] = 1;
  }
}

int run_model(const ModelArgs& a, std::ostream& out) {
  auto loaded = load_gpt2_folder(a.dir);
  if (auto* e = std::get_if<std::string>(&loaded)) throw Failure{*e};
  const Gpt2Model& m = std::get<Gpt2Model>(loaded);
  const Gpt2Config& c = m.config;
  const Gpt2Tokenizer tok = load_tokenizer(a.dir);
  if (tok.vocab_size() > c.vocab_size)
    throw Failure{"the tokenizer has " + std::to_string(tok.vocab_size()) + " tokens but config.json's vocab_size is " +
                  std::to_string(c.vocab_size)};
  const std::vector<int32_t> ids32 = tok.encode(a.text);
  const std::vector<int> ids(ids32.begin(), ids32.end());
  if (std::string e = check_gpt2_tokens(c, ids); !e.empty()) throw Failure{e};
  Gpt2Edits edits = gpt2_default_edits(c);
  if (!a.ablate.empty()) parse_ablations(a.ablate, c, edits);
  Gpt2State state;
  Gpt2Options options;
  options.keep_weights_bytes = 0;  // the attention export recomputes each layer's weights from its residual
  if (std::string e = gpt2_forward(m, ids, edits, state, options); !e.empty()) throw Failure{e};
  const int n = int(ids.size());
  out << "GPT-2: " << c.n_layer << " layers, " << c.n_head << " heads, d_model " << c.n_embd << ", vocab "
      << c.vocab_size << ", n_positions " << c.n_positions << " (" << gpt2_parameters(c) << " parameters)\n";
  for (const auto& note : m.notes) out << "note: " << note << "\n";
  out << n << " tokens:";
  for (int id : ids) out << " " << tok.token_display(id) << "(" << id << ")";
  out << "\n";
  auto last = gpt2_logits(m, state, {n - 1});
  if (auto* e = std::get_if<std::string>(&last)) throw Failure{*e};
  const Mat& row = std::get<Mat>(last);
  out << "next token after the text:\n";
  for (const TokenScore& s : top_tokens(row.data(), int(row.cols()), a.top))
    out << "  " << std::fixed << std::setprecision(4) << s.probability << "  " << tok.token_display(s.token) << " ("
        << s.token << ")\n";
  out.unsetf(std::ios::fixed);
  if (!a.tokens_out.empty()) {
    Array t{DType::I64, {n}, std::vector<double>(ids.begin(), ids.end())};
    save(a.tokens_out, t, out);
  }
  if (!a.logits_out.empty()) {
    std::vector<int> all(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) all[size_t(i)] = i;
    auto logits = gpt2_logits(m, state, all);
    if (auto* e = std::get_if<std::string>(&logits)) throw Failure{*e};
    const Mat& l = std::get<Mat>(logits);
    Array arr{DType::F32, {n, int64_t(l.cols())}, {}};
    arr.values.assign(l.data(), l.data() + l.size());
    save(a.logits_out, arr, out);
  }
  if (!a.attn_out.empty()) {
    Array arr{DType::F32, {c.n_layer, c.n_head, n, n}, {}};
    if (arr.size() > kMaxNpyElements)
      throw Failure{"--attn-out would hold " + std::to_string(arr.size()) + " weights, more than a .npy here may (" +
                    std::to_string(kMaxNpyElements) + "): use fewer tokens"};
    arr.values.reserve(size_t(arr.size()));
    for (int l = 0; l < c.n_layer; ++l)
      for (const Mat& w : gpt2_attention(m, state, l))
        arr.values.insert(arr.values.end(), w.data(), w.data() + w.size());
    save(a.attn_out, arr, out);
  }
  return 0;
}

}  // namespace

int attn_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "attn: attention on .npy files (ONNX Attention semantics), a checker for your own results, and GPT-2 on a text"};
  app.require_subcommand(1);
  app.fallthrough();  // --threads may come after the command too
  int threads = 0;
  app.add_option("--threads", threads, "threads to compute with (default: the machine's cores, at most 8)")
      ->check(CLI::Range(1, 16));
  const std::map<std::string, std::string> policies = {{"zero", "zero"}, {"nan", "nan"}, {"uniform", "uniform"}};

  SdpaArgs s;
  auto* sdpa_cmd = app.add_subcommand("sdpa", "scaled dot-product attention of Q, K, V (4D (B,H,S,D) or 3D (B,S,H·D))");
  sdpa_cmd->add_option("--q", s.q, "queries .npy")->required();
  sdpa_cmd->add_option("--k", s.k, "keys .npy")->required();
  sdpa_cmd->add_option("--v", s.v, "values .npy")->required();
  sdpa_cmd->add_option("--mask", s.mask, "bool or integer (nonzero = may attend) or additive float mask .npy");
  sdpa_cmd->add_option("--past-key", s.past_key, "cached keys (B, Hkv, P, D) .npy");
  sdpa_cmd->add_option("--past-value", s.past_value, "cached values (B, Hkv, P, Dv) .npy");
  sdpa_cmd->add_option("--nonpad", s.nonpad, "int64 (B,) valid key counts .npy");
  sdpa_cmd->add_flag("--causal", s.o.causal, "causal mask (ONNX alignment)");
  sdpa_cmd->add_option("--scale", s.o.scale, "multiplies Q·Kᵀ (default 1/√D)");
  sdpa_cmd->add_option("--softcap", s.o.softcap, "softcap c: s -> c·tanh(s/c) before the mask");
  sdpa_cmd->add_option("--q-heads", s.o.q_heads, "query heads (3D inputs)");
  sdpa_cmd->add_option("--kv-heads", s.o.kv_heads, "key/value heads (3D inputs)");
  sdpa_cmd
      ->add_option("--fully-masked", s.fully_masked, "fully masked rows: zero (ONNX), nan (PyTorch), uniform (-1e9)")
      ->transform(CLI::IsMember(policies));
  sdpa_cmd->add_option("--out", s.out, "output Y .npy")->required();
  sdpa_cmd->add_option("--weights-out", s.weights_out, "softmax weights (B, Hq, Sq, T) .npy");
  sdpa_cmd->add_option("--qk-out", s.qk_out, "ONNX qk_matmul_output .npy (see --qk-mode)");
  sdpa_cmd->add_option("--qk-mode", s.o.qk_mode, "0 scaled, 1 softcapped, 2 with the mask bias, 3 softmax")
      ->check(CLI::Range(0, 3));
  sdpa_cmd->add_option("--present-key-out", s.present_key_out, "concat(past_key, K) .npy");
  sdpa_cmd->add_option("--present-value-out", s.present_value_out, "concat(past_value, V) .npy");
  s.o.qk_mode = 0;

  MhaArgs m;
  auto* mha_cmd =
      app.add_subcommand("mha", "a whole multi-head attention layer; weights as nn.Linear stores them: y = x·Wᵀ + b");
  mha_cmd->add_option("--x", m.x, "input (S, d_model) or (B, S, d_model) .npy")->required();
  mha_cmd->add_option("--x-kv", m.x_kv, "keys/values input for cross-attention .npy (default: --x)");
  for (auto [flag, dst, what] : {std::tuple{"--wq", &m.wq, "W_q (H·D, d_model)"},
                                 {"--wk", &m.wk, "W_k (Hkv·D, d_model)"},
                                 {"--wv", &m.wv, "W_v (Hkv·Dv, d_model)"},
                                 {"--wo", &m.wo, "W_o (d_out, H·Dv)"}})
    mha_cmd->add_option(flag, *dst, what)->required();
  for (auto [flag, dst] : {std::pair{"--bq", &m.bq}, {"--bk", &m.bk}, {"--bv", &m.bv}, {"--bo", &m.bo}})
    mha_cmd->add_option(flag, *dst, "bias .npy (optional)");
  mha_cmd->add_option("--heads", m.heads, "query heads")->required()->check(CLI::PositiveNumber);
  mha_cmd->add_option("--kv-heads", m.kv_heads, "key/value heads (GQA; default --heads)");
  mha_cmd->add_flag("--causal", m.causal, "causal mask");
  mha_cmd->add_option("--mask", m.mask, "bool or integer (nonzero = may attend) or additive float mask .npy");
  mha_cmd->add_option("--scale", m.scale, "multiplies Q·Kᵀ (default 1/√d_head)");
  mha_cmd->add_option("--softcap", m.softcap, "softcap");
  mha_cmd->add_option("--fully-masked", m.fully_masked, "zero, nan or uniform")->transform(CLI::IsMember(policies));
  mha_cmd->add_option("--out", m.out, "output .npy")->required();
  mha_cmd->add_option("--weights-out", m.weights_out, "attention weights (B, H, S_q, S_kv) .npy");

  const CLI::Validator non_negative(
      [](std::string& text) {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        return end != text.c_str() && *end == '\0' && v >= 0 ? std::string() : "must be a number >= 0, not " + text;
      },
      ">= 0");
  CheckArgs c;
  auto* check_cmd = app.add_subcommand("check", "compare two .npy files like numpy.allclose (NaN matches NaN)");
  check_cmd->add_option("--expected", c.expected, "reference .npy")->required();
  check_cmd->add_option("--actual", c.actual, ".npy to check")->required();
  check_cmd->add_option("--atol", c.atol, "absolute tolerance (default 1e-6)")->check(non_negative);
  check_cmd->add_option("--rtol", c.rtol, "relative tolerance (default 1e-5)")->check(non_negative);

  ModelArgs md;
  auto* model_cmd = app.add_subcommand(
      "model", "run a Hugging Face GPT-2 folder (config.json, model.safetensors, vocab.json + merges.txt) on a text");
  model_cmd->add_option("--model", md.dir, "the model's folder")->required();
  model_cmd->add_option("--text", md.text, "the text to tokenize and run")->required();
  model_cmd->add_option("--tokens-out", md.tokens_out, "token ids, int64 (n,) .npy");
  model_cmd->add_option("--logits-out", md.logits_out, "logits, float32 (n, vocab) .npy");
  model_cmd->add_option("--attn-out", md.attn_out,
                        "every layer's attention weights, float32 (n_layer, n_head, n, n) .npy");
  model_cmd->add_option("--ablate", md.ablate, "heads whose output is zeroed, LAYER.HEAD,... (e.g. 0.3,5.1)");
  model_cmd->add_option("--top", md.top, "how many next tokens to print (default 5)")->check(CLI::Range(1, 100));

  if (!args.empty() && args[0][0] != '-' && args[0] != "sdpa" && args[0] != "mha" && args[0] != "check" &&
      args[0] != "model") {
    err << "attn: unknown command \"" << args[0] << "\": use sdpa, mha, check or model (see attn --help)\n";
    return 2;
  }
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last-first
    app.parse(reversed);
    if (threads > 0) set_threads(threads);  // the results are the same bits on any count (kernels/parallel.h)
    if (*sdpa_cmd) return run_sdpa(s, out);
    if (*mha_cmd) return run_mha(m, out);
    if (*model_cmd) return run_model(md, out);
    return run_check(c, out);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    err << "attn: " << e.what() << " (see attn --help)\n";
    return 2;
  } catch (const Failure& f) {
    err << "attn: " << f.message << "\n";
    return 2;
  } catch (const std::bad_alloc&) {
    err << "attn: out of memory\n";
    return 2;
  }
}

}  // namespace ap
