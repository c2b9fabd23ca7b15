// How close one array is to another, element by element, the way
// numpy.allclose decides (|actual − expected| ≤ atol + rtol·|expected|), with
// where the largest errors and the first mismatch are: `attn check` and the
// page's homework check (homework.h) both report this.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ap {

struct Tolerance {
  double atol = 1e-6, rtol = 1e-5;
};

struct Comparison {
  int64_t size = 0;
  int64_t mismatches = 0;
  int64_t first_mismatch = -1;  // flat index in C order, -1 when every element matches
  double max_abs = 0, max_rel = 0;
  int64_t max_abs_at = 0, max_rel_at = 0;  // flat indices
  bool match() const { return mismatches == 0; }
};

// Precondition: equal sizes. NaN matches only NaN and an infinity only the
// same infinity; neither counts in the largest errors.
Comparison compare_values(const std::vector<double>& expected, const std::vector<double>& actual, Tolerance tol);

// A flat C-order index as NumPy prints it for this shape: "(0, 2, 5)", "(3,)".
std::string index_text(const std::vector<int64_t>& shape, int64_t flat);

}  // namespace ap
