// Element-wise closeness: see compare.h.
#include "analysis/compare.h"

#include <algorithm>
#include <cmath>

namespace ap {

Comparison compare_values(const std::vector<double>& expected, const std::vector<double>& actual, Tolerance tol) {
  Comparison c;
  c.size = int64_t(expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const double w = expected[i], x = actual[i];
    bool ok;
    if (std::isnan(w) || std::isnan(x)) ok = std::isnan(w) && std::isnan(x);
    else if (std::isinf(w) || std::isinf(x)) ok = w == x;
    else {
      const double abs_err = std::abs(x - w), rel_err = abs_err / std::max(std::abs(w), 1e-30);
      if (abs_err > c.max_abs) c.max_abs = abs_err, c.max_abs_at = int64_t(i);
      if (w != 0 && rel_err > c.max_rel) c.max_rel = rel_err, c.max_rel_at = int64_t(i);
      ok = abs_err <= tol.atol + tol.rtol * std::abs(w);
    }
    if (!ok && c.mismatches++ == 0) c.first_mismatch = int64_t(i);
  }
  return c;
}

std::string index_text(const std::vector<int64_t>& shape, int64_t flat) {
  std::vector<int64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = shape[d] ? flat % shape[d] : 0;
    flat = shape[d] ? flat / shape[d] : 0;
  }
  std::string s = "(";
  for (size_t i = 0; i < idx.size(); ++i) s += (i ? ", " : "") + std::to_string(idx[i]);
  return s + (idx.size() == 1 ? ",)" : ")");
}

}  // namespace ap
