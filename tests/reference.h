// A slow, obviously correct multi-head attention in float64 and plain loops,
// written straight from the formulas, for the core to be compared against.
// It shares nothing with core/attention.cpp but the Inputs it is given.
#pragma once
#include <cmath>
#include <limits>
#include <vector>

#include "inputs.h"

namespace ref {

using Matrix = std::vector<std::vector<double>>;  // [rows][cols]

struct Result {
  std::vector<Matrix> weights;  // [n_heads][n_q][n_kv]
  Matrix output;                // [n_q][d_model]
};

inline Matrix linear(const Matrix& x, const ap::Linear& l) {
  const size_t n = x.size(), d_out = size_t(l.weight.rows()), d_in = size_t(l.weight.cols());
  Matrix y(n, std::vector<double>(d_out));
  for (size_t i = 0; i < n; ++i)
    for (size_t o = 0; o < d_out; ++o) {
      double s = l.bias(o);
      for (size_t k = 0; k < d_in; ++k) s += x[i][k] * double(l.weight(o, k));
      y[i][o] = s;
    }
  return y;
}

// blocked(i, j) is true when query i must not attend to key j.
template <typename Blocked>
Result attention(const ap::Inputs& in, int n_heads, Blocked blocked) {
  const size_t n = in.tokens.size(), d = size_t(in.x.cols()), dh = d / n_heads;
  Matrix x(n, std::vector<double>(d));
  for (size_t i = 0; i < n; ++i)
    for (size_t c = 0; c < d; ++c) x[i][c] = in.x(i, c);
  const Matrix q = linear(x, in.w_q), k = linear(x, in.w_k), v = linear(x, in.w_v);

  Result r;
  Matrix concat(n, std::vector<double>(d, 0.0));
  for (int h = 0; h < n_heads; ++h) {
    Matrix w(n, std::vector<double>(n, 0.0));
    for (size_t i = 0; i < n; ++i) {
      // softmax over the allowed keys of row i; no allowed key -> all zero
      std::vector<double> s(n, -std::numeric_limits<double>::infinity());
      double mx = -std::numeric_limits<double>::infinity();
      for (size_t j = 0; j < n; ++j) {
        if (blocked(i, j)) continue;
        double dot = 0;
        for (size_t c = 0; c < dh; ++c) dot += q[i][h * dh + c] * k[j][h * dh + c];
        s[j] = dot / std::sqrt(double(dh));
        mx = std::max(mx, s[j]);
      }
      if (std::isinf(mx)) continue;
      double sum = 0;
      for (size_t j = 0; j < n; ++j)
        if (!blocked(i, j)) sum += std::exp(s[j] - mx);
      for (size_t j = 0; j < n; ++j)
        if (!blocked(i, j)) w[i][j] = std::exp(s[j] - mx) / sum;
      for (size_t c = 0; c < dh; ++c) {
        double acc = 0;
        for (size_t j = 0; j < n; ++j) acc += w[i][j] * v[j][h * dh + c];
        concat[i][h * dh + c] = acc;
      }
    }
    r.weights.push_back(w);
  }
  r.output = linear(concat, in.w_o);
  return r;
}

}  // namespace ref
