// The GPT-2 reference fixture's files (tests/reference/gpt2_numpy.py, run by
// CTest before the suite): tiny models in Hugging Face's layout and their
// float64 NumPy forward. A missing file fails the case; it never skips.
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <variant>

#include "base/tensor.h"
#include "io/npy.h"

namespace gpt2_fixture {

inline const std::string kDir = AP_GPT2_REFERENCE_DIR;

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

inline std::string file(const std::string& path) {
  const std::string full = kDir + "/" + path;
  if (!std::filesystem::exists(full))
    FAIL(full << " is missing: run `ctest -R gpt2` (its fixture runs tests/reference/gpt2_numpy.py) or "
                 "/usr/bin/python3 tests/reference/gpt2_numpy.py "
              << kDir);
  return full;
}

inline std::string read(const std::string& path) { return slurp(file(path)); }

inline ap::Array npy(const std::string& path) {
  auto r = ap::read_npy(file(path));
  if (auto* e = std::get_if<std::string>(&r)) FAIL(*e);
  return std::get<ap::Array>(r);
}

// The largest |a − b| over a float32 matrix and a float64 array of the same size.
inline double max_error(const ap::Mat& a, const double* b) {
  double worst = 0;
  for (Eigen::Index i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(double(a.data()[i]) - b[i]));
  return worst;
}

}  // namespace gpt2_fixture
