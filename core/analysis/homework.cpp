// The homework check: see homework.h. Each usual mistake is a Pass, the
// steps a learner's code took, of which one is wrong; it is recomputed from
// the trace's Q, K, V, bias and W_o (in double, rounded to float like the
// learner's float32 code), never from the learner's numbers.
#include "analysis/homework.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

#include "io/export.h"
#include "kernels/head.h"

namespace ap {
namespace {

// [SECTION] the tables

enum class Logits { Right, Unscaled, NoMask, MaskAfterSoftmax, OverQueries, NoSoftmax };
enum class Split { Right, ViewOnly };
enum class Drop { Right, None, NotRescaled };
enum class Merge { Right, ViewOnly, NoProjection };

// What a learner's code did at each step.
struct Pass {
  Logits logits = Logits::Right;
  Split split = Split::Right;
  Drop drop = Drop::Right;
  Merge merge = Merge::Right;
  bool transposed = false;  // the result's last two axes swapped
};

enum Target { Weights, Context, Output };
const std::vector<HomeworkTarget> kTargets = {
    {"weights", "the attention weights, softmax(q·kᵀ·scale + mask) before dropout", "(heads, n_q, n_kv)"},
    {"context", "each head's result, weights @ v (after dropout)", "(heads, n_q, d_head)"},
    {"output", "the layer's output: the heads concatenated, then W_o", "(n_q, d_model)"},
};

struct MistakeRow {
  HomeworkMistake info;
  Pass pass;
  Target earliest;  // the first target it shows in (it carries into the later ones)
  Target latest;    // the last
};
const std::vector<MistakeRow> kMistakes = {
    {{"transposed", "the transpose of the result (its last two axes swapped)",
      "swap the last two axes back: rows are the queries (tokens), as the page's are"},
     {.transposed = true},
     Weights,
     Output},
    {{"unscaled", "the scores without the scale 1/√d_head", "multiply q·kᵀ by the scale before the softmax"},
     {.logits = Logits::Unscaled},
     Weights,
     Output},
    {{"mask_after_softmax", "the mask applied after the softmax",
      "mask the scores (−inf where blocked) before the softmax, so each row sums to 1 over the keys it may see"},
     {.logits = Logits::MaskAfterSoftmax},
     Weights,
     Output},
    {{"no_mask", "no mask at all",
      "add the mask before the softmax: attn_mask in the .npz is True where a query may attend (bias is its "
      "additive form)"},
     {.logits = Logits::NoMask},
     Weights,
     Output},
    {{"softmax_over_queries", "a softmax over the queries (dim=-2)",
      "take the softmax over the keys, the last axis (dim=-1): each row of weights sums to 1"},
     {.logits = Logits::OverQueries},
     Weights,
     Output},
    {{"no_softmax", "the scores, before the softmax", "apply the softmax over the keys (the last axis)"},
     {.logits = Logits::NoSoftmax},
     Weights,
     Weights},
    {{"split_without_transpose", "heads split by a view to (heads, n, d_head) without the transpose",
      "view to (n, heads, d_head), then transpose the first two axes: a head is a slice of d_model's columns"},
     {.split = Split::ViewOnly},
     Weights,
     Output},
    {{"no_dropout", "no dropout", "multiply the weights by dropout_keep / (1 − p) before @ v"},
     {.drop = Drop::None},
     Context,
     Output},
    {{"dropout_not_rescaled", "dropout without the 1/(1 − p)",
      "divide the kept weights by (1 − p), so the expected sum of a row stays 1"},
     {.drop = Drop::NotRescaled},
     Context,
     Output},
    {{"merge_without_transpose", "heads merged by a view to (n, d_model) without the transpose",
      "transpose back to (n, heads, d_head), then .contiguous() and view to (n, d_model)"},
     {.merge = Merge::ViewOnly},
     Output,
     Output},
    {{"no_output_projection", "the concatenated heads, before the output projection",
      "apply W_o: concat @ w_o.T + b_o"},
     {.merge = Merge::NoProjection},
     Output,
     Output},
};

// [SECTION] a learner's pass, recomputed

using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
constexpr double kInf = std::numeric_limits<double>::infinity();

bool any_blocked(const Trace& t) { return (t.bias.array() != 0).any(); }

// Row-wise softmax of logits that may hold −inf; a row with nothing but −inf
// follows the policy, as the page's does.
MatD softmax_rows(const MatD& s, FullyMasked policy) {
  MatD w(s.rows(), s.cols());
  for (Eigen::Index r = 0; r < s.rows(); ++r) {
    const double m = s.row(r).maxCoeff();
    if (m == -kInf) {
      w.row(r).setConstant(fully_masked_weight(policy, int(s.cols())));
      continue;
    }
    w.row(r) = (s.row(r).array() - m).exp().matrix();
    w.row(r) /= w.row(r).sum();
  }
  return w;
}

// The learner's pieces, per head.
struct Heads {
  std::vector<MatD> q, k, v;  // [n_heads] / [n_kv_heads]
};
Heads split_heads(const Trace& t, Split split) {
  Heads h;
  const auto piece = [&](const Mat& proj, int rows, int head) -> MatD {
    if (split == Split::Right) return proj.middleCols(Eigen::Index(head) * t.d_head, t.d_head).cast<double>();
    // (n, heads·d_head) read in memory order as (heads, n, d_head).
    return Eigen::Map<const Mat>(proj.data() + Eigen::Index(head) * rows * t.d_head, rows, t.d_head).cast<double>();
  };
  for (int i = 0; i < t.n_heads; ++i) h.q.push_back(piece(t.q_proj, t.n_q, i));
  for (int i = 0; i < t.n_kv_heads; ++i) {
    h.k.push_back(piece(t.k_proj, t.n_kv, i));
    h.v.push_back(piece(t.v_proj, t.n_kv, i));
  }
  return h;
}

MatD head_weights(const Config& cfg, const Trace& t, const Heads& h, int head, Logits how) {
  const MatD bias = t.bias.cast<double>();
  MatD s = h.q[size_t(head)] * h.k[size_t(head / t.group)].transpose();
  if (how != Logits::Unscaled) s *= double(t.scale) / double(t.temperature);
  if (cfg.softcap > 0) s = (cfg.softcap * (s.array() / cfg.softcap).tanh()).matrix();
  switch (how) {
    case Logits::NoMask:
      return softmax_rows(s, cfg.fully_masked);
    case Logits::MaskAfterSoftmax: {
      MatD w = softmax_rows(s, cfg.fully_masked);
      for (Eigen::Index i = 0; i < w.size(); ++i)
        if (!std::isfinite(bias.data()[i])) w.data()[i] = 0;
      return w;
    }
    case Logits::OverQueries: {
      // A key no query may see has a column of −inf: the softmax over it is 0/0, NaN, in any library.
      const MatD cols = softmax_rows((s + bias).transpose(), FullyMasked::NaN);
      return cols.transpose();
    }
    case Logits::NoSoftmax:
      return s + bias;
    case Logits::Right:
    case Logits::Unscaled:
      break;
  }
  return softmax_rows(s + bias, cfg.fully_masked);
}

Array stacked(const std::vector<MatD>& heads) {
  Array a{DType::F32, {int64_t(heads.size()), heads[0].rows(), heads[0].cols()}, {}};
  for (const MatD& m : heads)
    for (Eigen::Index i = 0; i < m.size(); ++i) a.values.push_back(double(float(m.data()[i])));
  return a;
}

Array transposed_last_two(const Array& a) {
  Array b = a;
  const size_t n = a.shape.size();
  if (n < 2) return b;
  const int64_t rows = a.shape[n - 2], cols = a.shape[n - 1], block = rows * cols;
  std::swap(b.shape[n - 2], b.shape[n - 1]);
  for (int64_t o = 0; o < a.size(); o += block)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) b.values[size_t(o + c * rows + r)] = a.values[size_t(o + r * cols + c)];
  return b;
}

// The target as a learner's code with this pass computes it; nullopt when
// the pass changes nothing here (no mask to misplace, no dropout, a step
// after the target) or the inputs lack what it needs.
std::optional<Array> compute(const Config& cfg, const Inputs& in, const Trace& t, const Pass& p, Target target) {
  const bool misplaced_mask = p.logits == Logits::NoMask || p.logits == Logits::MaskAfterSoftmax;
  if (misplaced_mask && !any_blocked(t)) return std::nullopt;  // no mask: placing it wrong changes nothing
  if (p.logits == Logits::Unscaled && t.scale == 1 && t.temperature == 1) return std::nullopt;
  if (p.drop != Drop::Right && (cfg.dropout <= 0 || target == Weights)) return std::nullopt;
  if (p.merge != Merge::Right && target != Output) return std::nullopt;
  if (p.split != Split::Right && t.n_heads == 1) return std::nullopt;
  const Heads h = split_heads(t, p.split);
  std::vector<MatD> w;
  for (int i = 0; i < t.n_heads; ++i) w.push_back(head_weights(cfg, t, h, i, p.logits));
  if (target == Weights) return stacked(w);

  const double keep_scale = p.drop == Drop::NotRescaled ? 1.0 : 1.0 / (1.0 - cfg.dropout);
  std::vector<MatD> ctx;
  for (int i = 0; i < t.n_heads; ++i) {
    MatD wi = w[size_t(i)];
    if (cfg.dropout > 0 && p.drop != Drop::None) {
      const HeadTrace& ht = t.heads[size_t(i)];
      for (Eigen::Index j = 0; j < wi.size(); ++j) wi.data()[j] *= ht.kept(j) ? keep_scale : 0.0;
    }
    ctx.push_back(wi * h.v[size_t(i / t.group)]);
  }
  if (target == Context) return stacked(ctx);

  if (in.w_o.weight.rows() != t.d_model || in.w_o.weight.cols() != t.d_model) return std::nullopt;
  MatD concat(t.n_q, t.d_model);
  const bool view_merge = p.merge == Merge::ViewOnly || p.split == Split::ViewOnly;
  for (int i = 0; i < t.n_heads; ++i) {
    if (!view_merge) {
      concat.middleCols(Eigen::Index(i) * t.d_head, t.d_head) = ctx[size_t(i)];
      continue;
    }
    // (heads, n, d_head) in memory order read as (n, d_model).
    Eigen::Map<MatD>(concat.data() + Eigen::Index(i) * t.n_q * t.d_head, t.n_q, t.d_head) = ctx[size_t(i)];
  }
  MatD out = concat;
  if (p.merge != Merge::NoProjection) {
    out = concat * in.w_o.weight.cast<double>().transpose();
    out.rowwise() += in.w_o.bias.cast<double>();
  }
  Array a = stacked({out});
  a.shape.erase(a.shape.begin());
  return a;
}

// The page's own tensor (not recomputed): what the learner's result should be.
Array page_tensor(const Trace& t, Target target) {
  return to_array(*find_tensor(t, kTargets[size_t(target)].name, -1, nullptr));
}

// [SECTION] comparing

// The most multiply-adds a mistake's recompute may take: GPT-2 small's sizes (768, 12 heads) at 64
// tokens need 8e7; 256 tokens, 4e8, are left to the transpose.
constexpr double kMistakeWork = 1e8;

std::vector<int64_t> without_ones(const std::vector<int64_t>& shape) {
  std::vector<int64_t> s;
  for (int64_t d : shape)
    if (d != 1) s.push_back(d);
  return s;
}
bool same_shape(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  return without_ones(a) == without_ones(b);
}

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

struct Candidate {
  Target target;
  HomeworkReport report;
  int rank;  // 0 right, 1 a named mistake, 2 neither
};

HomeworkReport against(const Config& cfg, const Inputs& in, const Trace& t, const Array& theirs, Target target,
                       Tolerance tol) {
  HomeworkReport r;
  const HomeworkTarget& info = kTargets[size_t(target)];
  const bool plural = target == Weights;  // "your weights are", "your output is"
  const Array page = page_tensor(t, target);
  r.target = info.name;
  r.expected_shape = page.shape;
  r.shape = theirs.shape;
  const std::string page_shape = Array{DType::F32, page.shape, {}}.shape_text();
  const std::string tol_text = "atol " + num(tol.atol) + " + rtol " + num(tol.rtol) + "·|page|";
  if (same_shape(theirs.shape, page.shape)) {
    r.compared = true;
    r.comparison = compare_values(page.values, theirs.values, tol);
    const Comparison& c = r.comparison;
    r.details.push_back("shape " + theirs.shape_text() + " against the page's " + info.name + " " + page_shape + " " +
                        info.axes);
    r.details.push_back("largest absolute difference " + num(c.max_abs) + " at " +
                        index_text(page.shape, c.max_abs_at));
    r.details.push_back("largest relative difference " + num(c.max_rel) + " at " +
                        index_text(page.shape, c.max_rel_at));
    if (c.match()) {
      r.correct = true;
      r.verdict = "Right: your " + std::string(info.name) + (plural ? " match" : " matches") + " the page's " +
                  page_shape + " within " + tol_text + ".";
      return r;
    }
    const size_t at = size_t(c.first_mismatch);
    r.details.push_back(std::to_string(c.mismatches) + " of " + std::to_string(c.size) +
                        " values differ; the first at " + index_text(page.shape, c.first_mismatch) + ": the page has " +
                        num(page.values[at]) + ", yours " + num(theirs.values[at]));
  } else {
    r.details.push_back("shape " + theirs.shape_text() + ", but the page's " + info.name + (plural ? " are " : " is ") +
                        page_shape + " " + info.axes);
  }
  // Each mistake is a forward of its own, in double: tried while that stays quick (a frame or so each).
  const double work = 2.0 * t.n_heads * t.n_q * t.n_kv * t.d_head * 2 + 2.0 * t.n_q * t.d_model * t.d_model;
  const bool try_all = work <= kMistakeWork;
  if (!try_all) r.details.push_back("this layer is too large to try every usual mistake: the transpose only");
  for (const MistakeRow& m : kMistakes) {
    if (target < m.earliest || target > m.latest) continue;
    // Every mistake but the transpose has the page's shape: no use computing it for another.
    if (!m.pass.transposed && (!r.compared || !try_all)) continue;
    std::optional<Array> wrong =
        m.pass.transposed ? std::optional<Array>(transposed_last_two(page)) : compute(cfg, in, t, m.pass, target);
    if (!wrong || !same_shape(theirs.shape, wrong->shape)) continue;
    if (!compare_values(wrong->values, theirs.values, tol).match()) continue;
    r.mistake = m.info.key;
    r.verdict = "Not yet: your " + std::string(info.name) + (plural ? " are" : " is") + " what " + m.info.what +
                " gives: " + m.info.fix + ".";
    return r;
  }
  if (!r.compared) {
    r.verdict = "Not yet: your array is " + theirs.shape_text() + "; the page's " + info.name +
                (plural ? " are " : " is ") + page_shape + " " + info.axes + ".";
    return r;
  }
  const Comparison& c = r.comparison;
  r.verdict = "Not yet: " + std::to_string(c.mismatches) + " of " + std::to_string(c.size) +
              " values differ from the page's " + info.name + ", the first at " +
              index_text(page.shape, c.first_mismatch) +
              "; none of the usual mistakes gives yours, so compare your steps with the Pipeline panel's.";
  return r;
}

}  // namespace

const std::vector<HomeworkTarget>& homework_targets() { return kTargets; }

bool is_homework_target(std::string_view name) {
  return std::any_of(kTargets.begin(), kTargets.end(), [&](const HomeworkTarget& t) { return name == t.name; });
}

const std::vector<HomeworkMistake>& homework_mistakes() {
  static const std::vector<HomeworkMistake> rows = [] {
    std::vector<HomeworkMistake> r;
    for (const MistakeRow& m : kMistakes) r.push_back(m.info);
    return r;
  }();
  return rows;
}

HomeworkReport check_homework(const Config& cfg, const Inputs& in, const Trace& t, const Array& theirs,
                              std::string_view target, Tolerance tol) {
  if (!t.outputs_ready) {
    HomeworkReport r;
    r.shape = theirs.shape;
    r.verdict = "The page is still computing its output: check again in a moment.";
    return r;
  }
  std::vector<Candidate> found;
  for (size_t i = 0; i < kTargets.size(); ++i) {
    if (!target.empty() && target != kTargets[i].name) continue;
    const Target tg = Target(i);
    HomeworkReport r = against(cfg, in, t, theirs, tg, tol);
    // Without a named target, only tensors of their shape (or its transpose) are candidates.
    if (target.empty() && !r.compared && r.mistake.empty()) continue;
    const int rank = r.correct ? 0 : !r.mistake.empty() ? 1 : 2;
    found.push_back({tg, std::move(r), rank});
  }
  if (found.empty()) {
    HomeworkReport r;
    r.shape = theirs.shape;
    if (!target.empty()) {
      r.verdict = "There is no tensor called " + std::string(target) + " to check: the homework can be ";
      for (size_t i = 0; i < kTargets.size(); ++i) r.verdict += std::string(i ? ", " : "") + kTargets[i].name;
      r.verdict += ".";
      return r;
    }
    r.verdict = "Your array is " + theirs.shape_text() + ", the shape of nothing a homework computes here:";
    for (size_t i = 0; i < kTargets.size(); ++i) {
      const Array page = page_tensor(t, Target(i));
      r.verdict += std::string(i ? "," : "") + " " + kTargets[i].name + " " +
                   Array{DType::F32, page.shape, {}}.shape_text() + " " + kTargets[i].axes;
    }
    r.verdict += ".";
    return r;
  }
  // The best: right, then a named mistake, then the fewest differing values.
  const auto best = std::min_element(found.begin(), found.end(), [](const Candidate& a, const Candidate& b) {
    if (a.rank != b.rank) return a.rank < b.rank;
    return a.report.comparison.mismatches < b.report.comparison.mismatches;
  });
  return std::move(best->report);
}

}  // namespace ap
