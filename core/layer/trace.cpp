// Lookup of trace tensors by name, for the JS API, the CLI and the tests.
#include "layer/trace.h"

#include <utility>

namespace ap {
namespace {

void append(std::vector<float>& out, const Mat& m) { out.insert(out.end(), m.data(), m.data() + m.size()); }

const Mat* whole_tensor(const Trace& t, const std::string& name) {
  if (name == "x") return &t.x_q;
  if (name == "x_kv") return &t.x_kv;
  if (name == "q_proj") return &t.q_proj;
  if (name == "k_proj") return &t.k_proj;
  if (name == "v_proj") return &t.v_proj;
  if (name == "concat") return &t.concat;
  if (name == "output") return &t.output;
  if (name == "bias") return &t.bias;
  return nullptr;
}

// A per-head step by name: the matrix that holds it (a step that changes
// nothing is held by the step before it, see HeadTrace), or nullptr.
const Mat* head_step(const HeadTrace& h, const std::string& name) {
  if (name == "scores") return &h.scores;
  if (name == "scaled_scores") return &h.scaled;
  if (name == "softcapped_scores") return &h.softcapped();
  if (name == "masked_scores") return &h.masked;
  if (name == "weights") return &h.weights;
  if (name == "dropped_weights") return &h.after_dropout();
  if (name == "context") return &h.context;
  return nullptr;
}

bool is_head_step(const std::string& name) {
  static const HeadTrace none;
  return head_step(none, name) != nullptr;
}

}  // namespace

bool per_head_tensor(const std::string& name) {
  return name == "q" || name == "k" || name == "v" || is_head_step(name);
}

const std::vector<std::string>& tensor_names() {
  static const std::vector<std::string> names = {"x",
                                                 "x_kv",
                                                 "q_proj",
                                                 "k_proj",
                                                 "v_proj",
                                                 "q",
                                                 "k",
                                                 "v",
                                                 "scores",
                                                 "scaled_scores",
                                                 "softcapped_scores",
                                                 "bias",
                                                 "mask",
                                                 "masked_scores",
                                                 "weights",
                                                 "dropped_weights",
                                                 "context",
                                                 "concat",
                                                 "output"};
  return names;
}

namespace {
// One list of the fields, for the copy and the move: T is Trace& or const Trace&.
template <typename T, typename Take>
Trace projections(T& t, Take take) {
  Trace p;
  p.n_q = t.n_q, p.n_kv = t.n_kv, p.d_model = t.d_model, p.n_heads = t.n_heads, p.n_kv_heads = t.n_kv_heads;
  p.d_head = t.d_head, p.group = t.group, p.cross = t.cross, p.q_position0 = t.q_position0;
  take(p.q_tokens, t.q_tokens), take(p.kv_tokens, t.kv_tokens), take(p.q_pad, t.q_pad), take(p.kv_pad, t.kv_pad);
  take(p.x_q, t.x_q), take(p.x_kv, t.x_kv), take(p.q_proj, t.q_proj), take(p.k_proj, t.k_proj),
      take(p.v_proj, t.v_proj);
  take(p.q, t.q), take(p.k, t.k), take(p.v, t.v);
  take(p.pipeline, t.pipeline);
  return p;
}
}  // namespace

Trace projections_of(const Trace& t) {
  return projections(t, [](auto& to, const auto& from) { to = from; });
}

Trace projections_of(Trace&& t) {
  Trace p = projections(t, [](auto& to, auto& from) { to = std::move(from); });
  // The scores depend on Q and K alone: moved too, for plan_weights to reuse.
  p.heads.resize(t.heads.size());
  for (size_t h = 0; h < t.heads.size(); ++h) {
    p.heads[h].scores = std::move(t.heads[h].scores);
    p.heads[h].key_limit = std::move(t.heads[h].key_limit);
  }
  return p;
}

namespace {
// The matrices behind a name other than "mask": {m} for a whole tensor, one per
// head otherwise (*per_head set). Empty, with *error, for an unknown name or
// outputs not computed yet. `what` names the heads for messages.
std::vector<const Mat*> matrices(const Trace& t, const std::string& name, bool* per_head, const char** what,
                                 std::string* error) {
  *per_head = true;
  *what = "query heads";
  std::vector<const Mat*> out;
  if (!t.outputs_ready && (name == "context" || name == "concat" || name == "output")) {
    if (error) *error = name + " is still being computed (the new weights are shown first)";
  } else if (const Mat* m = whole_tensor(t, name)) {
    *per_head = false;
    out.push_back(m);
  } else if (name == "q") {
    for (const Mat& m : t.q) out.push_back(&m);
  } else if (name == "k" || name == "v") {
    for (const Mat& m : name == "k" ? t.k : t.v) out.push_back(&m);
    *what = "key/value heads";
  } else if (is_head_step(name)) {
    for (const HeadTrace& h : t.heads) out.push_back(head_step(h, name));
  } else if (error) {
    *error = "unknown tensor \"" + name + "\"; known:";
    for (const auto& n : tensor_names()) *error += " " + n;
  }
  return out;
}

bool head_in_range(int head, int count, bool allow_all, const char* what, std::string* error) {
  if (head >= (allow_all ? -1 : 0) && head < count) return true;
  if (error)
    *error = "head " + std::to_string(head) + " is out of range: this config has " + what + " 0.." +
             std::to_string(count - 1) + (allow_all ? " (or omit it for all heads)" : "");
  return false;
}
}  // namespace

Mat every_score(const Trace& t, const std::string& name, int head, int r0, int r1) {
  if (name != "scores" && name != "scaled_scores") return {};
  const HeadTrace& h = t.heads[size_t(head)];
  const Mat& stored = *head_step(h, name);
  if (r1 < 0) r1 = int(stored.rows());
  Mat out = stored.middleRows(r0, r1 - r0);
  const int n_kv = int(stored.cols());
  bool skipped = false;
  for (int r = r0; r < r1; ++r) skipped |= h.key_limit[size_t(r)] < n_kv;
  if (!skipped) return out;
  // Each skipped cell on its own, summed in order in double: the same value
  // whichever rows are asked for (a tooltip's one row, an export's all).
  const Mat& q = t.q[size_t(head)];
  const Mat& k = t.k[size_t(head / t.group)];
  const float scale = t.scale / t.temperature;  // the scale the kernel multiplied by
  for (int r = r0; r < r1; ++r)
    for (int j = h.key_limit[size_t(r)]; j < n_kv; ++j) {
      double dot = 0;
      for (Eigen::Index c = 0; c < q.cols(); ++c) dot += double(q(r, c)) * double(k(j, c));
      out(r - r0, j) = name == "scores" ? float(dot) : float(dot) * scale;
    }
  return out;
}

std::optional<TensorData> find_tensor(const Trace& t, const std::string& name, int head, std::string* error) {
  if (name == "mask") {
    TensorData td{{int(t.allowed.rows()), int(t.allowed.cols())}, {}};
    for (Eigen::Index i = 0; i < t.allowed.size(); ++i) td.data.push_back(float(t.allowed.data()[i]));
    return td;
  }
  bool per_head = false;
  const char* what = "";
  const std::vector<const Mat*> mats = matrices(t, name, &per_head, &what, error);
  if (mats.empty()) return std::nullopt;
  const Mat& first = *mats[0];
  TensorData td;
  if (!per_head) {
    td.shape = {int(first.rows()), int(first.cols())};
    append(td.data, first);
    return td;
  }
  const int count = int(mats.size());
  if (!head_in_range(head, count, true, what, error)) return std::nullopt;
  const bool scores = name == "scores" || name == "scaled_scores";
  const auto add = [&](int h) { append(td.data, scores ? every_score(t, name, h) : *mats[size_t(h)]); };
  if (head >= 0) {
    td.shape = {int(first.rows()), int(first.cols())};
    add(head);
  } else {
    td.shape = {count, int(first.rows()), int(first.cols())};
    for (int h = 0; h < count; ++h) add(h);
  }
  return td;
}

const Mat* find_matrix(const Trace& t, const std::string& name, int head, std::string* error) {
  if (name == "mask") {
    if (error) *error = "mask is held as bytes: use find_tensor";
    return nullptr;
  }
  bool per_head = false;
  const char* what = "";
  const std::vector<const Mat*> mats = matrices(t, name, &per_head, &what, error);
  if (mats.empty()) return nullptr;
  if (!per_head) return mats[0];
  return head_in_range(head, int(mats.size()), false, what, error) ? mats[size_t(head)] : nullptr;
}

}  // namespace ap
