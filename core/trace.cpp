// Lookup of trace tensors by name, for the JS API and the tests.
#include "trace.h"

namespace ap {
namespace {

void append(std::vector<float>& out, const Mat& m) { out.insert(out.end(), m.data(), m.data() + m.size()); }

}  // namespace

const std::vector<std::string>& tensor_names() {
  static const std::vector<std::string> names = {"x",      "q_proj",        "k_proj",        "v_proj", "q",
                                                 "k",      "v",             "scores",        "scaled_scores",
                                                 "masked_scores", "weights", "context",      "concat", "output",
                                                 "mask"};
  return names;
}

std::optional<TensorData> find_tensor(const Trace& t, const std::string& name, int head, std::string* error) {
  const Mat* whole = name == "x"        ? &t.x
                     : name == "q_proj" ? &t.q_proj
                     : name == "k_proj" ? &t.k_proj
                     : name == "v_proj" ? &t.v_proj
                     : name == "concat" ? &t.concat
                     : name == "output" ? &t.output
                                        : nullptr;
  if (whole) {
    TensorData td{{int(whole->rows()), int(whole->cols())}, {}};
    append(td.data, *whole);
    return td;
  }
  if (name == "mask") {
    TensorData td{{int(t.allowed.rows()), int(t.allowed.cols())}, {}};
    for (Eigen::Index i = 0; i < t.allowed.size(); ++i) td.data.push_back(float(t.allowed.data()[i]));
    return td;
  }
  const std::vector<Mat>* per_head = name == "q"               ? &t.q
                                     : name == "k"             ? &t.k
                                     : name == "v"             ? &t.v
                                     : name == "scores"        ? &t.scores
                                     : name == "scaled_scores" ? &t.scaled_scores
                                     : name == "masked_scores" ? &t.masked_scores
                                     : name == "weights"       ? &t.weights
                                     : name == "context"       ? &t.context
                                                               : nullptr;
  if (!per_head) {
    if (error) {
      *error = "unknown tensor \"" + name + "\"; known:";
      for (const auto& n : tensor_names()) *error += " " + n;
    }
    return std::nullopt;
  }
  if (head < -1 || head >= t.n_heads) {
    if (error)
      *error = "head " + std::to_string(head) + " is out of range: this config has heads 0.." +
               std::to_string(t.n_heads - 1) + " (or omit it for all heads)";
    return std::nullopt;
  }
  const Mat& first = (*per_head)[0];
  TensorData td;
  if (head >= 0) {
    td.shape = {int(first.rows()), int(first.cols())};
    append(td.data, (*per_head)[head]);
  } else {
    td.shape = {t.n_heads, int(first.rows()), int(first.cols())};
    for (const Mat& m : *per_head) append(td.data, m);
  }
  return td;
}

}  // namespace ap
