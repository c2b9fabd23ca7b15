// Export and import of tensors: see export.h.
#include "io/export.h"

#include <cmath>
#include <cstdio>

#include "base/rng.h"
#include "kernels/head.h"

namespace ap {
namespace {

Array matrix(const Mat& m) {
  return Array{DType::F32, {m.rows(), m.cols()}, std::vector<double>(m.data(), m.data() + m.size())};
}
Array row(const RowVec& v) { return Array{DType::F32, {v.size()}, std::vector<double>(v.data(), v.data() + v.size())}; }

std::string shape_tuple(std::initializer_list<long> dims) {
  std::string s = "(";
  for (long d : dims) s += std::to_string(d) + ", ";
  s.resize(s.size() - 2);
  return s + (dims.size() == 1 ? ",)" : ")");
}

}  // namespace

std::string tensor_csv(const TensorData& t) {
  const int rows = t.shape.size() == 3 ? t.shape[1] : t.shape[0], cols = t.shape.back();
  const int blocks = t.shape.size() == 3 ? t.shape[0] : 1;
  std::string out;
  char buf[32];
  for (int b = 0; b < blocks; ++b) {
    if (b) out += '\n';
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) {
        const float v = t.data[size_t((b * rows + r) * cols + c)];
        if (std::isnan(v)) std::snprintf(buf, sizeof buf, "nan");
        else if (std::isinf(v)) std::snprintf(buf, sizeof buf, v < 0 ? "-inf" : "inf");
        else std::snprintf(buf, sizeof buf, "%.9g", v);
        out += (c ? "," : "") + std::string(buf);
      }
      out += '\n';
    }
  }
  return out;
}

Array to_array(const TensorData& t) {
  Array a{DType::F32, {}, std::vector<double>(t.data.begin(), t.data.end())};
  for (int d : t.shape) a.shape.push_back(d);
  return a;
}

std::vector<std::pair<std::string, Array>> export_arrays(const Inputs& in, const Trace& t) {
  std::vector<std::pair<std::string, Array>> a;
  const auto batched = [](Array x) {  // (n, d) -> (1, n, d): PyTorch's batch axis
    x.shape.insert(x.shape.begin(), 1);
    return x;
  };
  a.emplace_back("x", batched(matrix(t.x_q)));
  a.emplace_back("x_kv", batched(matrix(t.x_kv)));
  for (auto [name, l] : {std::pair{"q", &in.w_q}, {"k", &in.w_k}, {"v", &in.w_v}, {"o", &in.w_o}}) {
    a.emplace_back(std::string("w_") + name, matrix(l->weight));
    a.emplace_back(std::string("b_") + name, row(l->bias));
  }
  // The imported projections, if any, replace W·x: the script uses them directly.
  if (in.q_proj) a.emplace_back("q_proj", batched(matrix(*in.q_proj)));
  if (in.k_proj) a.emplace_back("k_proj", batched(matrix(*in.k_proj)));
  if (in.v_proj) a.emplace_back("v_proj", batched(matrix(*in.v_proj)));
  Array mask{DType::Bool, {t.n_q, t.n_kv}, {}}, bias{DType::F32, {t.n_q, t.n_kv}, {}};
  for (int i = 0; i < t.n_q; ++i)
    for (int j = 0; j < t.n_kv; ++j) {
      mask.values.push_back(t.allowed(i, j));
      bias.values.push_back(t.bias(i, j));
    }
  a.emplace_back("attn_mask", mask);  // True = may attend (F.scaled_dot_product_attention's convention)
  a.emplace_back("bias", bias);       // the additive form: 0, -inf, plus any float mask
  Array keep{DType::F32, {1, t.n_heads, t.n_q, t.n_kv}, {}}, weights = keep, out{DType::F32, {1, t.n_q, t.d_model}, {}};
  for (const auto& h : t.heads)
    for (Eigen::Index i = 0; i < h.weights.size(); ++i) {
      keep.values.push_back(h.kept(i));
      weights.values.push_back(h.weights.data()[i]);
    }
  out.values.assign(t.output.data(), t.output.data() + t.output.size());
  a.emplace_back("dropout_keep", keep);
  a.emplace_back("expected_weights", weights);
  a.emplace_back("expected_output", out);
  return a;
}

std::string pytorch_script(const Config& c, const Trace& t, const std::string& npz) {
  const long n = t.n_q, m = t.n_kv, d = t.d_model, h = t.n_heads, hk = t.n_kv_heads, dh = t.d_head;
  char scale[64];
  std::snprintf(scale, sizeof scale, "%.9g", double(t.scale));
  std::string s;
  s += "# Attention Playground export: rebuilds this multi-head attention layer in PyTorch\n";
  s += "# from " + npz + " and checks it against the playground's own numbers.\n";
  s += "# Config: d_model=" + std::to_string(d) + ", n_heads=" + std::to_string(h) + " (d_head=" + std::to_string(dh) +
       "), n_kv_heads=" + std::to_string(hk) + ", n_q=" + std::to_string(n) + ", n_kv=" + std::to_string(m) +
       ", causal=" + (c.causal ? "True" : "False") + ", fully masked rows -> " + to_string(c.fully_masked) + "\n";
  s += "import numpy as np\nimport torch\n\n";
  s += "data = np.load(\"" + npz + "\")\n";
  s += "t = {name: torch.from_numpy(data[name]) for name in data.files}\n\n";
  s += "x, x_kv = t[\"x\"], t[\"x_kv\"]  # (batch, seq, d_model)\n";
  s += "assert x.shape == " + shape_tuple({1, n, d}) + " and x_kv.shape == " + shape_tuple({1, m, d}) + "\n\n";
  s += "# nn.Linear's convention: y = x @ W.T + b\n";
  s += "q = t[\"q_proj\"] if \"q_proj\" in t else x @ t[\"w_q\"].T + t[\"b_q\"]\n";
  s += "k = t[\"k_proj\"] if \"k_proj\" in t else x_kv @ t[\"w_k\"].T + t[\"b_k\"]\n";
  s += "v = t[\"v_proj\"] if \"v_proj\" in t else x_kv @ t[\"w_v\"].T + t[\"b_v\"]\n\n";
  s += "# split the last axis into heads, then put heads before the sequence\n";
  s += "q = q.view(1, " + std::to_string(n) + ", " + std::to_string(h) + ", " + std::to_string(dh) +
       ").transpose(1, 2)\n";
  s += "k = k.view(1, " + std::to_string(m) + ", " + std::to_string(hk) + ", " + std::to_string(dh) +
       ").transpose(1, 2)\n";
  s += "v = v.view(1, " + std::to_string(m) + ", " + std::to_string(hk) + ", " + std::to_string(dh) +
       ").transpose(1, 2)\n";
  if (hk != h)
    s += "# grouped-query attention: query head h uses kv head h // " + std::to_string(h / hk) +
         "\n"
         "k = k.repeat_interleave(" +
         std::to_string(h / hk) + ", dim=1)\nv = v.repeat_interleave(" + std::to_string(h / hk) + ", dim=1)\n";
  s += "assert q.shape == " + shape_tuple({1, h, n, dh}) + " and k.shape == " + shape_tuple({1, h, m, dh}) + "\n\n";
  s += "scores = q @ k.transpose(-2, -1) * " + std::string(scale) + "  # the scale" +
       (c.scale > 0 ? "" : " 1/sqrt(d_head)") + "\n";
  if (c.temperature != 1) {
    char temp[32];
    std::snprintf(temp, sizeof temp, "%.9g", c.temperature);
    s += "scores = scores / " + std::string(temp) + "  # temperature\n";
  }
  if (c.softcap > 0) {
    char cap[32];
    std::snprintf(cap, sizeof cap, "%.9g", c.softcap);
    s += "scores = " + std::string(cap) + " * torch.tanh(scores / " + cap + ")  # softcap, before the mask\n";
  }
  s += "# The mask: attn_mask is True where a query may attend (F.scaled_dot_product_attention's convention;\n";
  s += "# nn.MultiheadAttention wants ~attn_mask). bias is the same as 0 / -inf, plus any float mask.\n";
  s += "attn_mask = t[\"attn_mask\"]\n";
  s += "assert attn_mask.shape == " + shape_tuple({n, m}) + "\n";
  s += "scores = scores + t[\"bias\"]\n";
  s += "weights = torch.softmax(scores, dim=-1)\n";
  s += "empty = ~attn_mask.any(dim=-1, keepdim=True)  # rows with no key: softmax gives NaN there\n";
  if (c.fully_masked == FullyMasked::Zero)
    s += "weights = torch.where(empty, torch.zeros_like(weights), weights)  # ONNX's rule\n";
  if (c.fully_masked == FullyMasked::Uniform)
    s += "weights = torch.where(empty, torch.full_like(weights, 1 / " + std::to_string(m) +
         "), weights)  # the -1e9 fill\n";
  if (c.dropout > 0) {
    char p[32];
    std::snprintf(p, sizeof p, "%.9g", double(float(c.dropout)));
    s += "dropped = weights * t[\"dropout_keep\"] / (1 - " + std::string(p) +
         ")  # the playground's seeded dropout pattern\n";
  } else {
    s += "dropped = weights\n";
  }
  s += "context = dropped @ v\n";
  s += "assert context.shape == " + shape_tuple({1, h, n, dh}) + "\n";
  s += "concat = context.transpose(1, 2).contiguous().view(1, " + std::to_string(n) + ", " + std::to_string(d) + ")\n";
  s += "output = concat @ t[\"w_o\"].T + t[\"b_o\"]\n";
  s += "assert output.shape == " + shape_tuple({1, n, d}) + "\n\n";
  s += "print(\"max |weights - playground| =\", (weights - t[\"expected_weights\"]).nan_to_num().abs().max().item())\n";
  s += "print(\"max |output - playground|  =\", (output - t[\"expected_output\"]).nan_to_num().abs().max().item())\n";
  return s;
}

std::optional<ImportRole> import_role(const std::string& name) {
  if (name == "x") return ImportRole::X;
  if (name == "q") return ImportRole::Q;
  if (name == "k") return ImportRole::K;
  if (name == "v") return ImportRole::V;
  return std::nullopt;
}

std::optional<Mat> import_matrix(ImportRole role, const Array& a, const Config& cfg, std::string* error) {
  const auto fail = [&](const std::string& e) {
    if (error) *error = e;
    return std::nullopt;
  };
  const char* name = role == ImportRole::X ? "x" : role == ImportRole::Q ? "q" : role == ImportRole::K ? "k" : "v";
  if (!is_float(a.dtype))
    return fail(std::string(name) + ".npy holds " + dtype_name(a.dtype) + "; import float16, float32 or float64");
  for (size_t i = 0; i < a.values.size(); ++i)
    if (!std::isfinite(a.values[i]))
      return fail(std::string(name) + ".npy holds " + (std::isnan(a.values[i]) ? "NaN" : "an infinity") +
                  " at flat index " + std::to_string(i) + ": imported values must be finite");
  const Sequences s = make_sequences(cfg);
  const int hk = kv_heads(cfg), dh = d_head(cfg);
  const int64_t rows = role == ImportRole::X   ? (s.cross ? s.n_q() : int64_t(s.q_source.tokens.size()))
                       : role == ImportRole::Q ? s.n_q()
                                               : s.n_kv();
  const int64_t cols = role == ImportRole::X || role == ImportRole::Q ? cfg.d_model : int64_t(hk) * dh;
  const int64_t heads = role == ImportRole::Q ? cfg.n_heads : hk;
  Mat m(rows, cols);
  const auto& sh = a.shape;
  const std::string want = "(" + std::to_string(rows) + ", " + std::to_string(cols) + ")" +
                           (role == ImportRole::X ? ""
                                                  : " or (1, " + std::to_string(heads) + ", " + std::to_string(rows) +
                                                        ", " + std::to_string(dh) + ")");
  if ((sh.size() == 2 && sh[0] == rows && sh[1] == cols) ||
      (sh.size() == 3 && sh[0] == 1 && sh[1] == rows && sh[2] == cols)) {
    for (int64_t i = 0; i < rows * cols; ++i) m.data()[i] = float(a.values[size_t(i)]);
    return m;
  }
  if (role != ImportRole::X && sh.size() == 4 && sh[0] == 1 && sh[1] == heads && sh[2] == rows && sh[3] == dh) {
    for (int64_t h = 0; h < heads; ++h)  // (1, heads, seq, d_head) -> (seq, heads·d_head)
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t d = 0; d < dh; ++d) m(r, h * dh + d) = float(a.values[size_t((h * rows + r) * dh + d)]);
    return m;
  }
  return fail(std::string(name) + ".npy is " + a.shape_text() + " but this config needs " + want +
              ": match the text's tokens and d_model first");
}

std::vector<std::string> apply_imports(Imported& imp, const Config& cfg, Inputs& in) {
  std::vector<std::string> notes;
  const Sequences s = make_sequences(cfg);
  const int hk = kv_heads(cfg), dh = d_head(cfg);
  const auto fits = [&](std::optional<Mat>& m, Eigen::Index rows, Eigen::Index cols, const char* name) {
    if (m && (m->rows() != rows || m->cols() != cols)) {
      notes.push_back(std::string("imported ") + name + ".npy no longer fits this config and was dropped");
      m.reset();
    }
    return bool(m);
  };
  const Eigen::Index n_x = s.cross ? s.n_q() : Eigen::Index(s.q_source.tokens.size());
  if (fits(imp.x, n_x, cfg.d_model, "x")) {
    if (s.cross) {
      in.x_q = *imp.x;
    } else {
      in.x_kv = *imp.x;
      in.x_q = imp.x->bottomRows(s.n_q());
    }
  }
  if (fits(imp.q, s.n_q(), cfg.d_model, "q")) in.q_proj = *imp.q;
  if (fits(imp.k, s.n_kv(), Eigen::Index(hk) * dh, "k")) in.k_proj = *imp.k;
  if (fits(imp.v, s.n_kv(), Eigen::Index(hk) * dh, "v")) in.v_proj = *imp.v;
  return notes;
}

}  // namespace ap
