// Validation of a Config, with messages written for a learner.
#include "config/config.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>

#include "base/format.h"
#include "config/fields.h"
#include "text/tokenize.h"

namespace ap {

namespace {

Sequence make_sequence(const std::string& text, int pad_to) {
  Sequence s;
  s.tokens = tokenize(text);
  s.n_text = int(s.tokens.size());
  for (int i = s.n_text; i < pad_to && i < Limits::max_tokens; ++i) s.tokens.emplace_back(kPadToken);
  return s;
}

// Checks one text field; returns its token count, or -1 after adding an error.
int check_text(const std::string& text, const char* field, std::vector<std::string>& errors) {
  if (text.size() > Limits::max_text_bytes) {
    errors.push_back(
        format("%s is %zu bytes long; the limit is %zu bytes", field, text.size(), Limits::max_text_bytes));
    return -1;
  }
  if (auto bad = find_invalid_utf8(text)) {
    errors.push_back(format("%s is not valid UTF-8 (first bad byte at offset %zu)", field, *bad));
    return -1;
  }
  const size_t n = tokenize(text).size();
  if (n == 0) {
    errors.push_back(format("%s has no tokens: type at least one word", field));
    return -1;
  }
  if (n > size_t(Limits::max_tokens)) {
    errors.push_back(format("%s has %zu tokens; the limit is %d", field, n, Limits::max_tokens));
    return -1;
  }
  return int(n);
}

template <typename T>
void check_matrix(const std::vector<std::vector<T>>& m, const char* field, int n_q, int n_kv,
                  std::vector<std::string>& errors) {
  if (m.empty()) return;
  const bool rows_ok = int(m.size()) == n_q;
  const bool cols_ok = std::all_of(m.begin(), m.end(), [&](const auto& r) { return int(r.size()) == n_kv; });
  if (!rows_ok || !cols_ok)
    errors.push_back(format("%s must have %d rows (queries) of %d entries (keys); it has %zu rows%s", field, n_q, n_kv,
                            m.size(), cols_ok ? "" : " of unequal or wrong length"));
}

}  // namespace

size_t trace_bytes(int n_q, int n_kv, int d_model, int n_heads, bool softcap, bool dropout) {
  const size_t q = size_t(n_q), kv = size_t(n_kv), d = size_t(d_model), h = size_t(n_heads);
  // Per token row of d_model floats: x, projections, per-head q/k/v, context,
  // concat, output (kv rows counted for both sides, as a bound). Per head,
  // four [n_q x n_kv] score tensors (scores, scaled, masked, weights), plus
  // the softcapped and dropped ones when they differ; shared: the float bias
  // and two byte masks (allowed, blocked_by).
  const size_t per_head = 4 + size_t(softcap) + size_t(dropout);
  return sizeof(float) * (9 * (q + kv) * d + per_head * h * q * kv + q * kv) + 2 * q * kv;
}

Sequences make_sequences(const Config& cfg) {
  Sequences s;
  s.q_source = make_sequence(cfg.text, cfg.pad_to);
  s.cross = !cfg.cross_text.empty();
  s.kv = s.cross ? make_sequence(cfg.cross_text, cfg.cross_pad_to) : s.q_source;
  s.first_query = s.cross ? 0 : std::clamp(cfg.kv_cache, 0, int(s.q_source.tokens.size()));
  return s;
}

namespace {
template <typename T>
void fit(std::vector<std::vector<T>>& m, int n_q, int n_kv, T fill) {
  if (m.empty() || (int(m.size()) == n_q && int(m[0].size()) == n_kv)) return;
  m.resize(size_t(n_q), std::vector<T>(size_t(n_kv), fill));
  for (auto& row : m) row.resize(size_t(n_kv), fill);
}
}  // namespace

SalvagedEdit salvage_edit(const Config& applied, const Config& draft) {
  SalvagedEdit out{draft, {}};
  if (validate(draft).empty()) return out;
  out.config = applied;
  std::vector<const Field*> left;
  for (const Field& f : config_fields_table())
    if (!f.same(applied, draft)) left.push_back(&f);
  const auto with = [&](const Config& base, const Field& f) {
    Config c = base;
    f.set(c, f.get(draft));
    return c;
  };
  for (bool progress = true; progress;) {
    progress = false;
    for (auto it = left.begin(); it != left.end();) {
      const Config c = with(out.config, **it);
      if (validate(c).empty()) {
        out.config = c;
        it = left.erase(it);
        progress = true;
      } else {
        ++it;
      }
    }
  }
  for (const Field* f : left) out.rejected.emplace_back(f->name, validate(with(out.config, *f))[0]);
  return out;
}

void set_cross_attention(Config& cfg, bool on) {
  if (on == !cfg.cross_text.empty()) return;
  cfg.cross_text = on ? kSampleCrossText : "";
  if (on) cfg.kv_cache = 0, cfg.causal = false;
}

void fit_masks(Config& cfg) {
  if (cfg.custom_mask.empty() && cfg.float_mask.empty()) return;
  const Sequences s = make_sequences(cfg);
  fit<uint8_t>(cfg.custom_mask, s.n_q(), s.n_kv(), 1);
  fit<float>(cfg.float_mask, s.n_q(), s.n_kv(), 0.0f);
}

std::vector<std::string> validate(const Config& cfg) {
  std::vector<std::string> errors;
  // Each number in its range first (fields.h); the rules between fields
  // need the sizes they read to be in range.
  bool sizes_ok = true;
  for (const Field& f : config_fields_table()) {
    std::string e = range_error(f, cfg);
    if (e.empty()) continue;
    errors.push_back(std::move(e));
    if (f.projections) sizes_ok = false;
  }
  if (sizes_ok && cfg.d_model % cfg.n_heads != 0) {
    errors.push_back(format("d_model %d is not divisible by %d heads: d_head would be %.1f", cfg.d_model, cfg.n_heads,
                            double(cfg.d_model) / cfg.n_heads));
    sizes_ok = false;
  }
  if (sizes_ok && cfg.n_kv_heads != 0 && (cfg.n_kv_heads > cfg.n_heads || cfg.n_heads % cfg.n_kv_heads != 0)) {
    errors.push_back(
        format("n_kv_heads %d must divide n_heads %d (each key/value head serves a group of query "
               "heads); 0 means one per query head",
               cfg.n_kv_heads, cfg.n_heads));
  }
  if (sizes_ok && cfg.weights == Weights::Constructed &&
      (cfg.d_model % 4 != 0 || d_head(cfg) < 2 || d_head(cfg) > cfg.d_model / 2 || kv_heads(cfg) != cfg.n_heads))
    errors.push_back(
        format("constructed heads need d_model divisible by 4, 2 <= d_head <= d_model/2 (at least 2 "
               "heads) and one key/value head per query head; got d_model %d, %d heads, n_kv_heads %d",
               cfg.d_model, cfg.n_heads, cfg.n_kv_heads));

  const int n_text = check_text(cfg.text, "text", errors);
  const int n_cross = cfg.cross_text.empty() ? 0 : check_text(cfg.cross_text, "cross_text", errors);
  if (n_text < 0 || n_cross < 0) return errors;
  if (cfg.kv_cache > 0 && cfg.kv_cache >= n_text)
    errors.push_back(
        format("kv_cache %d must be between 0 and %d: at least one token of the text must remain as a "
               "query",
               cfg.kv_cache, n_text - 1));
  else if (cfg.kv_cache > 0 && !cfg.cross_text.empty())
    errors.push_back("kv_cache applies to self-attention; with cross_text every key is already given");
  if (!sizes_ok) return errors;

  const Sequences s = make_sequences(cfg);
  check_matrix(cfg.custom_mask, "custom_mask", s.n_q(), s.n_kv(), errors);
  check_matrix(cfg.float_mask, "float_mask", s.n_q(), s.n_kv(), errors);
  for (const auto& row : cfg.float_mask)
    for (float v : row)
      if (std::isnan(v) || v == std::numeric_limits<float>::infinity()) {
        errors.push_back("float_mask values must be numbers or -inf (no NaN or +inf)");
        return errors;
      }
  const size_t bytes = trace_bytes(s.n_q(), s.n_kv(), cfg.d_model, cfg.n_heads, cfg.softcap > 0, cfg.dropout > 0);
  if (bytes > Limits::max_trace_bytes)
    errors.push_back(
        format("%d queries x %d keys x %d heads at d_model %d need %.0f MiB for the trace; the limit is "
               "%zu MiB (the score matrices grow as heads x tokens squared): use fewer tokens or heads",
               s.n_q(), s.n_kv(), cfg.n_heads, cfg.d_model, double(bytes) / (1 << 20), Limits::max_trace_bytes >> 20));
  return errors;
}

}  // namespace ap
