// Checks against the live state: see check.h.
#include "lesson/check.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "analysis/behaviour.h"
#include "base/format.h"
#include "config/fields.h"

namespace ap::lesson {
namespace {

// The first token equal to `text`, also without a leading space mark (GPT-2's tokens show one as ␣).
int find_token(const std::vector<std::string>& tokens, const std::string& text) {
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    if (t == text || (t.rfind("\u2423", 0) == 0 && t.substr(3) == text)) return int(i);
  }
  return -1;
}

std::string number_text(double v) {
  if (std::isnan(v)) return "NaN";
  return format("%.4g", v);
}

}  // namespace

std::optional<double> measure(const Quantity& q, const Live& live, std::string* why, bool* waiting) {
  const Trace& t = live.trace;
  const auto fail = [&](const std::string& s) -> std::optional<double> {
    if (why) *why = s;
    return std::nullopt;
  };
  const MeasureInfo& m = info(q.of);
  const int head = q.head >= 0 ? q.head : (m.per_head && !m.any_head ? live.shown_head : -1);
  if (m.per_head && head >= t.n_heads) return fail(format("there is no head %d: n_heads is %d", head, t.n_heads));
  int row = q.row, col = q.col;
  if (m.cell) {
    if (!q.row_token.empty() && (row = find_token(t.q_tokens, q.row_token)) < 0)
      return fail("the text has no token \"" + q.row_token + "\" among the queries");
    if (!q.col_token.empty() && (col = find_token(t.kv_tokens, q.col_token)) < 0)
      return fail("the text has no token \"" + q.col_token + "\" among the keys");
    if (row >= t.n_q || col >= t.n_kv) return fail(format("the map has no cell (%d, %d)", row, col));
  }
  const auto heads = [&]() {
    std::vector<int> h;
    for (int i = 0; i < t.n_heads; ++i)
      if (head < 0 || i == head) h.push_back(i);
    return h;
  };
  switch (q.of) {
    case Measure::Weight:
      return double(t.heads[head].weights(row, col));
    case Measure::Score:
    case Measure::ScaledScore:
      // every_score: also the cells a mask let the kernel skip.
      return double(every_score(t, q.of == Measure::Score ? "scores" : "scaled_scores", head, row, row + 1)(0, col));
    case Measure::Entropy:
      if (!live.heads || !live.heads->done || int(live.heads->stats.size()) != t.n_heads) {
        if (waiting) *waiting = true;
        return fail("the heads' statistics are still being computed");
      }
      return live.heads->stats[head].entropy;
    case Measure::LargestWeight: {
      double best = 0;
      for (int h : heads()) best = std::max(best, double(max_weight(t.heads[h])));
      return best;
    }
    case Measure::RowMaxWeight: {
      double best = 0;
      for (int h : heads()) {
        double sum = 0;
        int rows = 0;
        for (int i = 0; i < t.n_q; ++i) {
          const float m = t.heads[h].weights.row(i).maxCoeff();
          if (!std::isnan(m)) sum += m, ++rows;
        }
        if (rows) best = std::max(best, sum / rows);
      }
      return best;
    }
    case Measure::PadKeyWeight: {
      bool any = false;
      double best = 0;
      for (int j = 0; j < t.n_kv; ++j) {
        if (!t.kv_pad[j]) continue;
        any = true;
        for (const HeadTrace& h : t.heads)
          for (int i = 0; i < t.n_q; ++i)
            if (std::find(t.fully_masked_rows.begin(), t.fully_masked_rows.end(), i) == t.fully_masked_rows.end())
              best = std::max(best, double(h.weights(i, j)));
      }
      if (!any) return fail("the keys hold no [PAD] token: pad the text first");
      return best;
    }
    case Measure::FullyMaskedRows:
      return double(t.fully_masked_rows.size());
    case Measure::NanWeights: {
      double n = 0;
      for (const HeadTrace& h : t.heads) n += double(h.weights.array().isNaN().count());
      return n;
    }
    case Measure::DropoutScale:
      // A kept weight over its value before dropout, read where both are clearly non-zero.
      for (const HeadTrace& h : t.heads) {
        const Mat& after = h.after_dropout();
        for (int i = 0; i < t.n_q; ++i)
          for (int j = 0; j < t.n_kv; ++j)
            if (h.weights(i, j) > 1e-3f && after(i, j) > 0) return double(after(i, j)) / double(h.weights(i, j));
      }
      return fail("no weight survived dropout");
    case Measure::DHead:
      return double(t.d_head);
    case Measure::NQ:
      return double(t.n_q);
    case Measure::ScoreBytes:
      return double(layer_costs(int64_t(t.n_q) * q.times, int64_t(t.n_kv) * q.times, t.d_model, t.n_heads, t.n_kv_heads,
                                live.config.bias)
                        .bytes_scores);
    case Measure::Behaviour: {
      if (t.cross || t.n_q != t.n_kv) return fail("behaviour scores are for self-attention, queries and keys alike");
      std::vector<int> ids;
      if (live.token_ids && int(live.token_ids->size()) == t.n_q) {
        ids = *live.token_ids;
      } else {
        std::map<std::string, int> seen;  // the same text, the same id
        for (const std::string& s : t.q_tokens) ids.push_back(seen.emplace(s, int(seen.size())).first->second);
      }
      const auto scores = head_behaviour(t.heads[head].weights, ids);
      const auto& v = scores[size_t(q.behaviour)];
      if (!v) return fail("no query in this text has such a key (for induction, repeat a phrase)");
      return *v;
    }
  }
  return fail("unknown measure");
}

bool needs_head_stats(const Step& s) {
  const auto uses = [](const Quantity& q) { return q.of == Measure::Entropy; };
  if (uses(s.check.quantity) && s.check.kind != CheckKind::Config) return true;
  return std::any_of(s.mistakes.begin(), s.mistakes.end(), [&](const Mistake& m) { return uses(m.quantity); });
}

Verdict evaluate(const Check& c, const Live& live) {
  Verdict v;
  if (c.kind == CheckKind::Config) {
    for (const FieldCondition& fc : c.config) {
      const Field* f = find_field(fc.field);
      const nlohmann::json now = f->get(live.config);
      bool ok = true;
      if (fc.bounds.equals) ok = now.dump() == *fc.bounds.equals;
      if (now.is_number() && fc.bounds.at_least) ok = ok && now.get<double>() >= *fc.bounds.at_least;
      if (now.is_number() && fc.bounds.at_most) ok = ok && now.get<double>() <= *fc.bounds.at_most;
      if (!ok) {
        v.feedback = "Not yet: " + fc.field + " is " + now.dump() + ".";
        return v;
      }
    }
    v.done = true;
    return v;
  }
  if (c.kind == CheckKind::Condition) {
    std::string why;
    const std::optional<double> x = measure(c.quantity, live, &why, &v.waiting);
    if (!x) {
      v.feedback = "Not yet: " + why + ".";
      return v;
    }
    v.done = !std::isnan(*x) && (!c.bounds.at_least || *x >= *c.bounds.at_least) &&
             (!c.bounds.at_most || *x <= *c.bounds.at_most);
    if (!v.done) v.feedback = "Not yet: " + std::string(info(c.quantity.of).what) + " is " + number_text(*x) + ".";
    return v;
  }
  if (c.kind == CheckKind::Homework) {
    const HomeworkReport* r = live.homework;
    v.done = r && r->correct && r->target == c.tensor;
    if (!v.done)
      v.feedback = r && !r->verdict.empty() ? r->verdict
                                            : "Not yet: drop the .npy your code wrote on the page, or pick it with "
                                              "\"check an .npy\".";
    return v;
  }
  v.feedback = "This step waits for an answer.";
  return v;
}

std::vector<int> parse_shape(const std::string& text) {
  std::vector<int> dims;
  long long n = -1;
  for (size_t i = 0; i <= text.size(); ++i) {
    const char c = i < text.size() ? text[i] : ' ';
    if (c >= '0' && c <= '9') {
      n = (n < 0 ? 0 : n) * 10 + (c - '0');
      if (n > 1000000000) return {};
    } else if (n >= 0) {
      dims.push_back(int(n));
      n = -1;
    }
  }
  return dims;
}

Verdict evaluate_answer(const Step& s, const Live& live, const nlohmann::json& answer) {
  const Check& c = s.check;
  const Trace& t = live.trace;
  Verdict v;
  switch (c.kind) {
    case CheckKind::Config:
    case CheckKind::Condition:
    case CheckKind::Homework:
      return evaluate(c, live);
    case CheckKind::Enter: {
      double a = 0;
      if (answer.is_number()) a = answer.get<double>();
      else if (answer.is_string() && !answer.get<std::string>().empty()) {
        const std::string& str = answer.get_ref<const std::string&>();
        char* end = nullptr;
        a = std::strtod(str.c_str(), &end);
        if (end == str.c_str() || *end != '\0') return {false, false, "Enter a number, such as 0.25."};
      } else {
        return {false, false, "Enter a number, such as 0.25."};
      }
      std::string why;
      const std::optional<double> x = measure(c.quantity, live, &why, &v.waiting);
      if (!x) return {false, v.waiting, "Not yet: " + why + "."};
      if (std::abs(a - *x) <= c.tolerance || (std::isnan(a) && std::isnan(*x))) {
        v.done = true;
        return v;
      }
      for (const Mistake& m : s.mistakes) {
        const std::optional<double> y = measure(m.quantity, live, nullptr);
        if (y && std::abs(a - *y) <= c.tolerance) return {false, false, m.say};
      }
      v.feedback = "Not quite: " + std::string(info(c.quantity.of).what) + " is further than " +
                   number_text(c.tolerance) + " from " + number_text(a) + ".";
      return v;
    }
    case CheckKind::Shape: {
      if (!answer.is_string()) return {false, false, "Type the shape, such as (1, 4, 11, 16)."};
      const std::vector<int> dims = parse_shape(answer.get<std::string>());
      if (dims.empty()) return {false, false, "Type the shape, such as (1, 4, 11, 16)."};
      const PipelineStep* want = nullptr;
      for (const PipelineStep& p : t.pipeline)
        if (p.name == c.tensor && p.view == c.after_view) want = &p;
      if (!want) return {false, false, "This step asks about a tensor the pipeline does not have."};
      if (dims == want->shape) {
        v.done = true;
        return v;
      }
      for (const PipelineStep& p : t.pipeline)
        if (dims == p.shape)
          return {false, false, "That is the shape of another step: " + p.formula + ". Find this one in the Pipeline."};
      const std::string axes = want->axes.substr(0, want->axes.find(" = "));
      if (dims.size() != want->shape.size())
        return {false, false, format("This tensor has %zu axes: %s.", want->shape.size(), axes.c_str())};
      return {false, false, "Not quite: read each axis off the sizes, in the order " + axes + "."};
    }
    case CheckKind::PickHead: {
      if (!answer.is_number_integer() || answer.get<long long>() < 0 || answer.get<long long>() >= t.n_heads)
        return {false, false, format("Pick a head from 0 to %d.", t.n_heads - 1)};
      const int picked = int(answer.get<long long>());
      std::vector<double> values;
      for (int h = 0; h < t.n_heads; ++h) {
        Quantity q = c.quantity;
        q.head = h;
        std::string why;
        const std::optional<double> x = measure(q, live, &why, &v.waiting);
        if (!x) return {false, v.waiting, "Not yet: " + why + "."};
        values.push_back(std::isnan(*x) ? (c.highest ? -INFINITY : INFINITY) : *x);
      }
      const double best =
          c.highest ? *std::max_element(values.begin(), values.end()) : *std::min_element(values.begin(), values.end());
      // Ties: every head within rounding of the extreme is right.
      if (std::abs(values[picked] - best) <= 1e-9 * std::max(1.0, std::abs(best))) {
        v.done = true;
        return v;
      }
      v.feedback = format("Not head %d: %s is %s there. Compare it with the other heads.", picked,
                          info(c.quantity.of).what, number_text(values[picked]).c_str());
      return v;
    }
    case CheckKind::PickCell: {
      if (!answer.is_array() || answer.size() != 2 || !answer[0].is_number_integer() || !answer[1].is_number_integer())
        return {false, false, "Pick a cell of the map."};
      const long long r = answer[0].get<long long>(), k = answer[1].get<long long>();
      if (r < 0 || r >= t.n_q || k < 0 || k >= t.n_kv) return {false, false, "Pick a cell of the map."};
      const HeadTrace& h = t.heads[std::clamp(live.shown_head, 0, t.n_heads - 1)];
      const float w = h.weights(r, k);
      bool ok = false;
      switch (c.cell) {
        case CellRule::Blocked:
          ok = !t.allowed(r, k);
          break;
        case CellRule::Allowed:
          ok = t.allowed(r, k);
          break;
        case CellRule::LargestInRow:
          ok = !std::isnan(w) && w == h.weights.row(r).maxCoeff();
          break;
        case CellRule::Zero:
          ok = w == 0;
          break;
      }
      if (ok) {
        v.done = true;
        return v;
      }
      v.feedback =
          format("Not that cell: query \"%s\" %s key \"%s\" with weight %s.", t.q_tokens[r].c_str(),
                 t.allowed(r, k) ? "may see" : "is blocked from", t.kv_tokens[k].c_str(), number_text(w).c_str());
      return v;
    }
    case CheckKind::Choose: {
      if (!answer.is_number_integer() || answer.get<long long>() < 0 ||
          answer.get<long long>() >= (long long)c.options.size())
        return {false, false, "Choose one of the options."};
      if (answer.get<long long>() == c.correct) {
        v.done = true;
        return v;
      }
      v.feedback = "Not that one: \"" + c.options[answer.get<size_t>()] + "\". Look again, then choose.";
      return v;
    }
  }
  return v;
}

}  // namespace ap::lesson
