// Head behaviour scores: see behaviour.h.
#include "analysis/behaviour.h"

#include <algorithm>
#include <unordered_map>

#include "base/rng.h"

namespace ap {

const std::array<BehaviourInfo, kBehaviourCount>& behaviours() {
  static const std::array<BehaviourInfo, kBehaviourCount> table = {{
      {Behaviour::PreviousToken, "previous", "previous token", "key i-1 (for every query but the first)", "any text"},
      {Behaviour::FirstToken, "first", "first token (sink)",
       "key 0 (for every query but the first): many trained heads park weight there when nothing else fits",
       "any text"},
      {Behaviour::SameToken, "same", "same token", "key i itself", "any text"},
      {Behaviour::DuplicateToken, "duplicate", "duplicate token",
       "earlier keys with the same token as the query (for queries whose token appeared before)",
       "text with repeated words"},
      {Behaviour::Induction, "induction", "induction",
       "the key just after an earlier copy of the query's token, j with token[j-1] = token[i] and j < i (for "
       "queries whose token appeared before)",
       "a random token sequence repeated: the second half can only be predicted by looking back"},
  }};
  return table;
}

std::array<std::optional<double>, kBehaviourCount> head_behaviour(const Mat& w, const std::vector<int>& tok) {
  const int n = int(std::min<Eigen::Index>(w.rows(), Eigen::Index(tok.size())));
  std::array<double, kBehaviourCount> sum{};
  std::array<int, kBehaviourCount> count{};
  const auto add = [&](Behaviour b, double v) {
    sum[size_t(b)] += v;
    ++count[size_t(b)];
  };
  for (int i = 0; i < n; ++i) {
    add(Behaviour::SameToken, w(i, i));
    if (i == 0) continue;
    add(Behaviour::PreviousToken, w(i, i - 1));
    add(Behaviour::FirstToken, w(i, 0));
    double dup = 0, ind = 0;
    bool has_dup = false, has_ind = false;
    for (int j = 0; j < i; ++j) {
      if (tok[size_t(j)] == tok[size_t(i)]) dup += w(i, j), has_dup = true;
      if (j >= 1 && tok[size_t(j) - 1] == tok[size_t(i)]) ind += w(i, j), has_ind = true;
    }
    if (has_dup) add(Behaviour::DuplicateToken, dup);
    if (has_ind) add(Behaviour::Induction, ind);
  }
  std::array<std::optional<double>, kBehaviourCount> out;
  for (size_t b = 0; b < out.size(); ++b)
    if (count[b]) out[b] = sum[b] / count[b];
  return out;
}

std::vector<int> repeated_random_tokens(int half, int first, int vocab, uint64_t seed, int prefix) {
  // A partial Fisher-Yates shuffle of the ids first..vocab-1, kept lazily
  // (only the positions it moved), so a 50,257-token vocabulary costs `half` draws.
  Rng rng(seed);
  const int range = std::max(0, vocab - first);
  half = std::clamp(half, 0, range);
  std::unordered_map<int, int> moved;  // position in the shuffled range -> the id now there
  const auto at = [&](int k) {
    const auto it = moved.find(k);
    return it == moved.end() ? first + k : it->second;
  };
  std::vector<int> ids;
  for (int k = 0; k < half; ++k) {
    const int r = k + int(rng.next() % uint64_t(range - k));
    ids.push_back(at(r));
    moved[r] = at(k);
  }
  std::vector<int> out;
  if (prefix >= 0) out.push_back(prefix);
  out.insert(out.end(), ids.begin(), ids.end());
  out.insert(out.end(), ids.begin(), ids.end());
  return out;
}

double attention_shift(const Mat& a, const Mat& b) {
  if (a.rows() == 0 || a.rows() != b.rows() || a.cols() != b.cols()) return 0;
  double sum = 0;
  for (Eigen::Index i = 0; i < a.rows(); ++i) sum += 0.5 * (a.row(i) - b.row(i)).cwiseAbs().cast<double>().sum();
  return sum / double(a.rows());
}

}  // namespace ap
