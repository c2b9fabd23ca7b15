// Derived numbers for the panels: see analysis.h.
#include "analysis/analysis.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "base/rng.h"
#include "kernels/gemm.h"

namespace ap {

float max_finite(const float* v, size_t n) {
  float m = 0;
  for (size_t i = 0; i < n; ++i)
    if (std::isfinite(v[i])) m = std::max(m, v[i]);
  return m;
}

namespace {
// Block sides that bring n cells down to at most `most`.
int pool_factor(Eigen::Index n, int most) { return int((n + most - 1) / std::max(1, most)); }
}  // namespace

// Both pools walk the source once, row by row, over contiguous runs of fc
// cells (no division per cell): at 1024 x 1024 they are a frame's small change.
Mat pool_max(const Mat& m, int max_rows, int max_cols, bool by_magnitude) {
  if (m.rows() <= max_rows && m.cols() <= max_cols) return m;
  const int fr = std::max(1, pool_factor(m.rows(), max_rows)), fc = std::max(1, pool_factor(m.cols(), max_cols));
  const Eigen::Index rows = (m.rows() + fr - 1) / fr, cols = (m.cols() + fc - 1) / fc, n = m.cols();
  constexpr float kNone = -std::numeric_limits<float>::infinity();  // no finite value seen yet
  Mat out = Mat::Constant(rows, cols, kNone);
  for (Eigen::Index r = 0; r < m.rows(); ++r) {
    const float* src = m.data() + r * n;
    float* dst = out.data() + (r / fr) * cols;
    for (Eigen::Index oc = 0, c0 = 0; oc < cols; ++oc, c0 += fc) {
      float best = dst[oc];
      for (Eigen::Index c = c0; c < std::min(n, c0 + fc); ++c)
        if (std::isfinite(src[c]))
          best = !by_magnitude                                        ? std::max(best, src[c])
                 : best == kNone || std::abs(src[c]) > std::abs(best) ? src[c]
                                                                      : best;
      dst[oc] = best;
    }
  }
  // A block with no finite value (every cell −inf or NaN) has nothing to show.
  for (Eigen::Index i = 0; i < out.size(); ++i)
    if (out.data()[i] == kNone) out.data()[i] = std::numeric_limits<float>::quiet_NaN();
  return out;
}

MaskMat pool_any(const MaskMat& m, int max_rows, int max_cols) {
  if (m.rows() <= max_rows && m.cols() <= max_cols) return m;
  const int fr = std::max(1, pool_factor(m.rows(), max_rows)), fc = std::max(1, pool_factor(m.cols(), max_cols));
  const Eigen::Index rows = (m.rows() + fr - 1) / fr, cols = (m.cols() + fc - 1) / fc, n = m.cols();
  MaskMat out = MaskMat::Zero(rows, cols);
  for (Eigen::Index r = 0; r < m.rows(); ++r) {
    const uint8_t* src = m.data() + r * n;
    uint8_t* dst = out.data() + (r / fr) * cols;
    for (Eigen::Index oc = 0, c0 = 0; oc < cols; ++oc, c0 += fc) {
      uint8_t any = dst[oc];
      for (Eigen::Index c = c0; c < std::min(n, c0 + fc); ++c) any |= src[c];
      dst[oc] = any;
    }
  }
  return out;
}

float max_weight(const HeadTrace& h) {
  float m = 0;
  for (Eigen::Index r = 0; r < h.row_sum.size(); ++r) {
    const float w = std::isnan(h.row_sum(r)) ? h.weights(r, 0) : 1.0f / h.row_sum(r);
    if (std::isfinite(w)) m = std::max(m, w);
  }
  return m;
}

bool has_nan_weight(const HeadTrace& h) {
  for (Eigen::Index r = 0; r < h.row_sum.size(); ++r)
    if (std::isnan(h.row_sum(r)) && std::isnan(h.weights(r, 0))) return true;
  return false;
}

MaskMat weight_cells_shown(const Trace& t) {
  MaskMat show = t.allowed;
  for (int q : t.fully_masked_rows) show.row(q).setOnes();
  return show;
}

float max_abs_finite(const float* v, size_t n) {
  float m = 0;
  for (size_t i = 0; i < n; ++i)
    if (std::isfinite(v[i])) m = std::max(m, std::abs(v[i]));
  return m;
}

double row_entropy(const float* p, int n) {
  double h = 0;
  for (int j = 0; j < n; ++j)
    if (p[j] > 0) h -= double(p[j]) * std::log(double(p[j]));
  return h;
}

double uniform_entropy(const Trace& t) {
  double sum = 0;
  int rows = 0;
  for (Eigen::Index i = 0; i < t.allowed.rows(); ++i) {
    const int keys = int(t.allowed.row(i).cast<int>().sum());
    if (keys == 0) continue;
    sum += std::log(double(keys));
    ++rows;
  }
  return rows ? sum / rows : 0.0;
}

void plan_head_analysis(const Trace& t, HeadAnalysis& out, Plan& plan) {
  const int n_heads = t.n_heads, n_kv = t.n_kv;
  out = {};
  plan.add(double(t.n_q) * n_kv, [&t, &out] { out.uniform_entropy = uniform_entropy(t); });
  out.stats.assign(size_t(n_heads), {});
  // Σ over cells of w_a·w_b for every pair of heads (NaN as 0), in double
  // across slices: the similarity's numerator and, on the diagonal, the norms².
  auto gram = std::make_shared<Eigen::MatrixXd>(Eigen::MatrixXd::Zero(n_heads, n_heads));
  auto skip = std::make_shared<std::vector<uint8_t>>(size_t(t.n_q), 0);  // fully masked rows: left out of the means
  for (int r : t.fully_masked_rows) (*skip)[size_t(r)] = 1;
  // Per query row: a log per weight, and a multiply-add per weight and pair of heads.
  const double per_row = double(n_heads) * n_kv * (10.0 + n_heads);
  for_ranges(t.n_q, per_row, [&](int r0, int r1) {
    plan.add((r1 - r0) * per_row, [&t, &out, gram, skip, r0, r1, n_heads, n_kv] {
      for (int h = 0; h < n_heads; ++h) {
        const Mat& w = t.heads[size_t(h)].weights;
        HeadStats& s = out.stats[size_t(h)];
        for (int i = r0; i < r1; ++i) {
          if ((*skip)[size_t(i)]) continue;
          s.entropy += row_entropy(w.row(i).data(), n_kv);
          s.max_weight += w.row(i).maxCoeff();
          const int pos_q = (t.cross ? 0 : t.q_position0) + i;
          for (int j = 0; j < n_kv; ++j) s.distance += double(w(i, j)) * std::abs(pos_q - j);
        }
      }
      // The rows' weights of every head side by side, [n_heads x rows·n_kv]: Y·Yᵀ is
      // their Gram matrix, a product the projection kernel does (gemm.h).
      Mat y(n_heads, Eigen::Index(r1 - r0) * n_kv);
      for (int h = 0; h < n_heads; ++h) {
        const float* src = t.heads[size_t(h)].weights.data() + size_t(r0) * size_t(n_kv);
        for (Eigen::Index c = 0; c < y.cols(); ++c) y(h, c) = std::isnan(src[c]) ? 0.0f : src[c];
      }
      *gram += linear_forward(y, y, pack_strips(y), RowVec()).cast<double>();
    });
  });
  const int rows = t.n_q - int(t.fully_masked_rows.size());
  plan.add(double(n_heads) * n_heads, [&out, gram, rows, n_heads] {
    for (HeadStats& s : out.stats)
      if (rows > 0) s.entropy /= rows, s.max_weight /= rows, s.distance /= rows;
    const Eigen::MatrixXd& g = *gram;
    out.similarity.resize(n_heads, n_heads);
    for (int a = 0; a < n_heads; ++a)
      for (int b = 0; b < n_heads; ++b)
        out.similarity(a, b) = g(a, a) > 0 && g(b, b) > 0 ? float(g(a, b) / std::sqrt(g(a, a) * g(b, b))) : 0.0f;
    out.done = true;
  });
}

HeadAnalysis analyse_heads(const Trace& t) {
  HeadAnalysis out;
  Plan plan;
  plan_head_analysis(t, out, plan);
  plan.finish();
  return out;
}

LayerCosts layer_costs(int64_t n_q, int64_t n_kv, int64_t d, int64_t h, int64_t h_kv, bool bias) {
  LayerCosts c;
  const int64_t dh = d / h, d_kv = h_kv * dh;
  c.params = d * d + 2 * d_kv * d + d * d + (bias ? d + 2 * d_kv + d : 0);
  c.flops_projections = 2 * n_q * d * d + 2 * 2 * n_kv * d * d_kv + 2 * n_q * d * d;
  c.flops_attention = 2 * h * n_q * n_kv * dh * 2 + 5 * h * n_q * n_kv;  // QKᵀ, weights·V, softmax
  c.flops = c.flops_projections + c.flops_attention;
  c.bytes_weights = 4 * c.params;
  c.bytes_scores = 4 * h * n_q * n_kv;
  c.bytes_activations = 4 * (n_q * d + 2 * n_kv * d_kv + n_q * d + n_q * d);
  return c;
}

const std::vector<SizePreset>& size_presets() {
  static const std::vector<SizePreset> p = {
      {"toy", 64, 4, 2, 64, 0, Stack::Encoder, "small enough to read every number"},
      {"Transformer base", 512, 8, 6, 512, 65e6, Stack::EncoderDecoder,
       "Vaswani et al. 2017: 6 encoder layers (self-attention) and 6 decoder layers (causal self-attention and "
       "cross-attention), so 18 attention blocks"},
      {"BERT base", 768, 12, 12, 512, 110e6, Stack::Encoder, "bidirectional encoder: no causal mask"},
      {"GPT-2 small", 768, 12, 12, 1024, 124e6, Stack::Decoder, "decoder only, causal: 768 = 12 heads x 64"},
      {"GPT-2 medium", 1024, 16, 24, 1024, 355e6, Stack::Decoder, "decoder only, causal"},
      {"GPT-2 large", 1280, 20, 36, 1024, 774e6, Stack::Decoder, "decoder only, causal"},
      {"GPT-2 XL", 1600, 25, 48, 1024, 1558e6, Stack::Decoder, "decoder only, causal"},
      {"GPT-3 175B", 12288, 96, 96, 2048, 175e9, Stack::Decoder, "too wide to compute here: costs only"},
  };
  return p;
}

double softmax_jacobian_norm(const float* p, int n) {
  // ‖diag(p) − p pᵀ‖_F² = Σ p_i² − 2 Σ p_i³ + (Σ p_i²)²
  double s2 = 0, s3 = 0;
  for (int i = 0; i < n; ++i) {
    s2 += double(p[i]) * p[i];
    s3 += double(p[i]) * p[i] * p[i];
  }
  return std::sqrt(std::max(0.0, s2 - 2 * s3 + s2 * s2));
}

ScalingSamples scaling_samples(uint32_t seed, int n_keys, int trials) {
  ScalingSamples out;
  out.n_keys = n_keys;
  out.trials = trials;
  Rng rng = stream(seed, "scaling lab");
  std::vector<double> q;
  for (int dh = 1; dh <= 1024; dh *= 2) {
    out.d_head.push_back(dh);
    std::vector<float>& s = out.scores.emplace_back(size_t(trials) * size_t(n_keys));
    q.resize(size_t(dh));
    for (int t = 0; t < trials; ++t) {
      // For a given q, q·k with k ~ N(0, I) is exactly N(0, ‖q‖²): a draw of
      // one normal per key instead of d_head (3 million normals took 0.1 s in wasm).
      double norm2 = 0;
      for (auto& x : q) x = rng.normal(), norm2 += x * x;
      const double norm = std::sqrt(norm2);
      for (int j = 0; j < n_keys; ++j) s[size_t(t) * size_t(n_keys) + size_t(j)] = float(norm * rng.normal());
    }
  }
  return out;
}

std::vector<ScalingPoint> scaling_curves(const ScalingSamples& samples, double temperature) {
  std::vector<ScalingPoint> out;
  const int n = samples.n_keys, trials = samples.trials;
  std::vector<float> p(static_cast<size_t>(n), 0.0f);
  for (size_t d = 0; d < samples.d_head.size(); ++d) {
    ScalingPoint pt;
    pt.d_head = samples.d_head[d];
    for (int t = 0; t < trials; ++t) {
      const float* s = samples.scores[d].data() + size_t(t) * size_t(n);
      for (int scaled = 0; scaled < 2; ++scaled) {
        const double f = (scaled ? 1.0 / std::sqrt(double(pt.d_head)) : 1.0) / temperature;
        double m = -INFINITY, sum = 0;
        for (int j = 0; j < n; ++j) m = std::max(m, s[j] * f);
        for (int j = 0; j < n; ++j) sum += (p[size_t(j)] = float(std::exp(s[j] * f - m)));
        for (auto& x : p) x = float(x / sum);
        const double e = row_entropy(p.data(), n), mx = *std::max_element(p.begin(), p.end()),
                     jn = softmax_jacobian_norm(p.data(), n);
        (scaled ? pt.entropy_scaled : pt.entropy_unscaled) += e / trials;
        (scaled ? pt.max_weight_scaled : pt.max_weight_unscaled) += mx / trials;
        (scaled ? pt.jacobian_scaled : pt.jacobian_unscaled) += jn / trials;
      }
    }
    out.push_back(pt);
  }
  return out;
}

std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) s[i - 1] = s[i] * shape[i];
  return s;
}

std::optional<std::vector<int64_t>> view_strides(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides,
                                                 const std::vector<int64_t>& new_shape) {
  // Walk the old axes from the last, grouping runs whose strides chain (each
  // axis steps exactly over the ones after it): a run is one even stretch of
  // memory, and the new axes must tile each run exactly.
  std::vector<int64_t> out(new_shape.size());
  int64_t run_numel = 1, view_numel = 1, base = strides.empty() ? 1 : strides.back();
  int view_axis = int(new_shape.size()) - 1;
  for (int a = int(shape.size()) - 1; a >= 0; --a) {
    run_numel *= shape[size_t(a)];
    const bool run_ends = a == 0 || (shape[size_t(a) - 1] != 1 && strides[size_t(a) - 1] != run_numel * base);
    if (!run_ends) continue;
    while (view_axis >= 0 && (view_numel < run_numel || new_shape[size_t(view_axis)] == 1)) {
      out[size_t(view_axis)] = view_numel * base;
      view_numel *= new_shape[size_t(view_axis)];
      --view_axis;
    }
    if (view_numel != run_numel) return std::nullopt;
    if (a > 0) base = strides[size_t(a) - 1], run_numel = 1, view_numel = 1;
  }
  if (view_axis != -1) return std::nullopt;
  return out;
}

namespace {
std::string call(const std::string& what, std::initializer_list<int64_t> dims) {
  std::string s = what + "(";
  for (int64_t v : dims) s.append(std::to_string(v)).append(", ");
  s.resize(s.size() - 2);
  return s.append(")");
}

LayoutStep viewed(const std::string& code, const LayoutStep& from, const std::vector<int64_t>& shape) {
  const auto strides = view_strides(from.shape, from.strides, shape);
  return {code, shape, strides.value_or(std::vector<int64_t>{}), strides && *strides == contiguous_strides(shape)};
}

LayoutStep transposed12(const std::string& code, const LayoutStep& from) {
  std::vector<int64_t> shape = from.shape, strides = from.strides;
  std::swap(shape[1], shape[2]);
  std::swap(strides[1], strides[2]);
  return {code, shape, strides, strides == contiguous_strides(shape)};
}
}  // namespace

std::vector<LayoutStep> head_split_layout(int64_t n, int64_t d, int64_t h) {
  const int64_t dh = d / h;
  std::vector<LayoutStep> steps;
  steps.push_back({"q  (batch, seq, d_model)", {1, n, d}, contiguous_strides({1, n, d}), true});
  steps.push_back(viewed(call("q.view", {1, n, h, dh}), steps.back(), {1, n, h, dh}));
  steps.push_back(transposed12("q.view(...).transpose(1, 2)", steps.back()));
  return steps;
}

std::vector<LayoutStep> head_merge_layout(int64_t n, int64_t d, int64_t h) {
  const int64_t dh = d / h;
  std::vector<LayoutStep> steps;
  steps.push_back({"context  (batch, heads, seq, head_dim)", {1, h, n, dh}, contiguous_strides({1, h, n, dh}), true});
  steps.push_back(transposed12("context.transpose(1, 2)", steps.back()));
  const LayoutStep transposed = steps.back();
  steps.push_back(viewed(call("context.transpose(1, 2).view", {1, n, d}), transposed, {1, n, d}));
  steps.push_back(
      {"context.transpose(1, 2).contiguous()", transposed.shape, contiguous_strides(transposed.shape), true});
  steps.push_back(viewed(call("context.transpose(1, 2).contiguous().view", {1, n, d}), steps.back(), {1, n, d}));
  return steps;
}

std::vector<int64_t> memory_offsets(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides) {
  int64_t total = 1;
  for (int64_t s : shape) total *= s;
  std::vector<int64_t> out;
  out.reserve(size_t(total));
  std::vector<int64_t> idx(shape.size(), 0);
  for (int64_t n = 0; n < total; ++n) {
    int64_t off = 0;
    for (size_t a = 0; a < shape.size(); ++a) off += idx[a] * strides[a];
    out.push_back(off);
    for (size_t a = shape.size(); a-- > 0;) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
  return out;
}

}  // namespace ap
