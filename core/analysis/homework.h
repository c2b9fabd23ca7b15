// "Check my homework": a learner's own result, an .npy their PyTorch or NumPy
// code wrote from the page's exported inputs, compared with the page's
// tensor like `attn check`, and with what the usual mistakes would have
// produced from the same inputs, so that a wrong result is named (the
// transposed weights, the unscaled scores, the mask applied after the
// softmax, ...) rather than only measured.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "analysis/compare.h"
#include "config/config.h"
#include "io/npy.h"
#include "layer/inputs.h"
#include "layer/trace.h"

namespace ap {

// What a homework can compute, in pipeline order (the page, the lessons and the tests read this table).
struct HomeworkTarget {
  const char* name;  // a tensor name of trace.h
  const char* what;  // in words
  const char* axes;  // its axes, as the learner's code has them (no batch axis)
};
const std::vector<HomeworkTarget>& homework_targets();
bool is_homework_target(std::string_view name);

// The usual mistakes, each what a learner's code gives when it does one
// thing wrong and every other step right (homework.cpp computes each).
struct HomeworkMistake {
  const char* key;   // in reports and the JS API
  const char* what;  // "the mask applied after the softmax"
  const char* fix;   // what to change, in one sentence
};
const std::vector<HomeworkMistake>& homework_mistakes();

// float32 code that sums in another order than the page differs from it by
// well under 1e-5 at the playground's sizes (tests/test_homework.cpp
// measures NumPy's float32 result); every mistake above moves some value by
// more than 1e-2, or to NaN, on the tests' layers. 1e-4 + 1e-3·|page| lies between.
inline constexpr Tolerance kHomeworkTolerance{1e-4, 1e-3};

struct HomeworkReport {
  std::string target;                   // the page's tensor it was compared with; "" when none fits its shape
  std::vector<int64_t> expected_shape;  // that tensor's, without the batch axis
  std::vector<int64_t> shape;           // theirs, as the file holds it
  bool compared = false;                // the shapes agree (leading axes of 1 aside) and values were compared
  Comparison comparison;                // against the page's tensor, when compared
  std::string mistake;                  // the key of the mistake their result matches, "" for none
  bool correct = false;
  std::string verdict;               // one sentence: right, which mistake, or where it first differs
  std::vector<std::string> details;  // the numbers behind it, a line each
};

// Compares `theirs` with the page's tensor `target` (a homework_targets()
// name), or, when target is empty, with each tensor whose shape it has
// (the best match wins). Leading axes of 1 (PyTorch's batch, one head) are
// ignored. Precondition: the trace's outputs are computed (outputs_ready)
// and `in`, `cfg` are the ones it was computed from.
HomeworkReport check_homework(const Config& cfg, const Inputs& in, const Trace& t, const Array& theirs,
                              std::string_view target = {}, Tolerance tol = kHomeworkTolerance);

}  // namespace ap
