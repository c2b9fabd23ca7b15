// A slow, obviously correct multi-head attention in float64 and plain loops,
// written straight from the formulas and the Config's documented rules, for
// the core to be compared against. It shares nothing with core/attention.cpp
// or core/attend.cpp but the Inputs it is given and the dropout coin flips
// (ap::dropout_keeps: a random source, not maths).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

#include "base/rng.h"
#include "config/config.h"
#include "kernels/head.h"
#include "layer/inputs.h"

namespace ref {

using Matrix = std::vector<std::vector<double>>;  // [rows][cols]
constexpr double kInf = std::numeric_limits<double>::infinity();

struct Result {
  std::vector<Matrix> logits;   // [n_heads][n_q][n_kv] after scale, softcap and bias
  std::vector<Matrix> weights;  // [n_heads][n_q][n_kv]
  Matrix output;                // [n_q][d_model]
  double max_abs_logit = 0;     // over allowed cells, before and after softcap: for error bounds
};

inline Matrix to_matrix(const ap::Mat& m) {
  Matrix out(size_t(m.rows()), std::vector<double>(size_t(m.cols())));
  for (size_t i = 0; i < out.size(); ++i)
    for (size_t c = 0; c < out[i].size(); ++c) out[i][c] = m(Eigen::Index(i), Eigen::Index(c));
  return out;
}

inline Matrix linear(const Matrix& x, const ap::Linear& l) {
  const size_t n = x.size(), d_out = size_t(l.weight.rows()), d_in = size_t(l.weight.cols());
  Matrix y(n, std::vector<double>(d_out));
  for (size_t i = 0; i < n; ++i)
    for (size_t o = 0; o < d_out; ++o) {
      double s = l.bias(Eigen::Index(o));
      for (size_t k = 0; k < d_in; ++k) s += x[i][k] * double(l.weight(Eigen::Index(o), Eigen::Index(k)));
      y[i][o] = s;
    }
  return y;
}

// The documented mask rules, one by one. Returns the additive bias for (i, j).
inline double bias(const ap::Config& c, const ap::Inputs& in, int i, int j) {
  const int n_q = int(in.q_tokens.size()), n_kv = int(in.kv_tokens.size());
  int offset = 0;
  if (c.kv_cache > 0 && c.cross_text.empty()) offset = c.kv_cache;
  else if (c.causal_align == ap::CausalAlign::BottomRight) offset = n_kv - n_q;
  const int diag = i + offset;
  if (c.causal && j > diag) return -kInf;
  if (c.window > 0) {
    const int distance = c.causal ? diag - j : std::abs(diag - j);
    if (distance >= c.window) return -kInf;
  }
  if (c.mask_pad_keys && in.kv_pad[size_t(j)]) return -kInf;
  if (c.mask_pad_queries && in.q_pad[size_t(i)]) return -kInf;
  if (!c.custom_mask.empty() && !c.custom_mask[size_t(i)][size_t(j)]) return -kInf;
  if (!c.float_mask.empty()) return double(c.float_mask[size_t(i)][size_t(j)]);
  return 0;
}

inline Result attention(const ap::Config& c, const ap::Inputs& in) {
  const int n_q = int(in.q_tokens.size()), n_kv = int(in.kv_tokens.size());
  const int heads = c.n_heads, kv_heads = c.n_kv_heads ? c.n_kv_heads : c.n_heads;
  const int dh = c.d_model / heads;
  const double scale = (c.scale > 0 ? c.scale : 1.0 / std::sqrt(double(dh))) / c.temperature;
  const Matrix q = linear(to_matrix(in.x_q), in.w_q), k = linear(to_matrix(in.x_kv), in.w_k),
               v = linear(to_matrix(in.x_kv), in.w_v);
  Result r;
  Matrix concat(size_t(n_q), std::vector<double>(size_t(c.d_model), 0.0));
  for (int h = 0; h < heads; ++h) {
    const int g = h / (heads / kv_heads);  // contiguous groups: heads 0..group-1 share kv head 0
    const uint64_t stream = ap::stream(c.seed, "dropout").next() + uint64_t(h) * 0x9E3779B97F4A7C15ull;
    Matrix logit(size_t(n_q), std::vector<double>(size_t(n_kv), 0.0));
    Matrix w(size_t(n_q), std::vector<double>(size_t(n_kv), 0.0));
    for (int i = 0; i < n_q; ++i) {
      bool any = false;
      for (int j = 0; j < n_kv; ++j) {
        double dot = 0;
        for (int e = 0; e < dh; ++e) dot += q[size_t(i)][size_t(h * dh + e)] * k[size_t(j)][size_t(g * dh + e)];
        double s = dot * scale;
        const double before_cap = s;
        if (c.softcap > 0) s = c.softcap * std::tanh(s / c.softcap);
        const double b = bias(c, in, i, j);
        logit[size_t(i)][size_t(j)] = s + b;
        if (b > -kInf) {
          any = true;
          r.max_abs_logit = std::max({r.max_abs_logit, std::abs(s + b), std::abs(before_cap)});
        }
      }
      if (!any) {
        const double fill = c.fully_masked == ap::FullyMasked::Zero  ? 0.0
                            : c.fully_masked == ap::FullyMasked::NaN ? std::nan("")
                                                                     : 1.0 / n_kv;
        for (int j = 0; j < n_kv; ++j) w[size_t(i)][size_t(j)] = fill;
      } else {
        double mx = -kInf, sum = 0;
        for (int j = 0; j < n_kv; ++j) mx = std::max(mx, logit[size_t(i)][size_t(j)]);
        for (int j = 0; j < n_kv; ++j) sum += std::exp(logit[size_t(i)][size_t(j)] - mx);
        for (int j = 0; j < n_kv; ++j) w[size_t(i)][size_t(j)] = std::exp(logit[size_t(i)][size_t(j)] - mx) / sum;
      }
      for (int e = 0; e < dh; ++e) {
        double acc = 0;
        for (int j = 0; j < n_kv; ++j) {
          const bool keep = ap::dropout_keeps(stream, int64_t(i) * n_kv + j, float(c.dropout));
          const double wd = keep ? w[size_t(i)][size_t(j)] / (1.0 - double(float(c.dropout))) : 0.0;
          acc += wd * v[size_t(j)][size_t(g * dh + e)];
        }
        concat[size_t(i)][size_t(h * dh + e)] = acc;
      }
    }
    r.logits.push_back(logit);
    r.weights.push_back(w);
  }
  r.output = linear(concat, in.w_o);
  return r;
}

}  // namespace ref
