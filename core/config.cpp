// Validation of a Config, with messages written for a learner.
#include "config.h"

#include <cstdio>

#include "tokenize.h"

namespace ap {

namespace {
template <typename... Args>
std::string format(const char* fmt, Args... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}
}  // namespace

size_t trace_bytes(int n, int d_model, int n_heads) {
  const size_t sn = size_t(n), sd = size_t(d_model), sh = size_t(n_heads);
  // x, q/k/v projections, per-head q/k/v, context, concat, output: 9 of [n x d_model];
  // scores, scaled, masked, weights: 4 of [n_heads][n x n]; the mask: n² bytes.
  return sizeof(float) * (9 * sn * sd + 4 * sh * sn * sn) + sn * sn;
}

Sequence make_sequence(const Config& cfg) {
  Sequence s;
  s.tokens = tokenize(cfg.text);
  s.n_text = int(s.tokens.size());
  for (int i = s.n_text; i < cfg.pad_to && i < Limits::max_tokens; ++i) s.tokens.emplace_back(kPadToken);
  return s;
}

std::vector<std::string> validate(const Config& cfg) {
  std::vector<std::string> errors;
  bool sizes_ok = true;
  if (cfg.n_heads < 1 || cfg.n_heads > Limits::max_heads) {
    errors.push_back(format("n_heads must be between 1 and %d (got %d)", Limits::max_heads, cfg.n_heads));
    sizes_ok = false;
  }
  if (cfg.d_model < 1 || cfg.d_model > Limits::max_d_model) {
    errors.push_back(format("d_model must be between 1 and %d (got %d)", Limits::max_d_model, cfg.d_model));
    sizes_ok = false;
  }
  if (sizes_ok && cfg.d_model % cfg.n_heads != 0) {
    errors.push_back(format("d_model %d is not divisible by %d heads: d_head would be %.1f", cfg.d_model,
                            cfg.n_heads, double(cfg.d_model) / cfg.n_heads));
    sizes_ok = false;
  }
  if (cfg.pad_to < 0 || cfg.pad_to > Limits::max_tokens) {
    errors.push_back(format("pad_to must be between 0 (no padding) and %d (got %d)", Limits::max_tokens, cfg.pad_to));
    sizes_ok = false;
  }
  if (cfg.text.size() > Limits::max_text_bytes) {
    errors.push_back(format("text is %zu bytes long; the limit is %zu bytes", cfg.text.size(), Limits::max_text_bytes));
    return errors;  // do not tokenize a text this long
  }
  if (auto bad = find_invalid_utf8(cfg.text)) {
    errors.push_back(format("text is not valid UTF-8 (first bad byte at offset %zu)", *bad));
    return errors;
  }
  const size_t n_text = tokenize(cfg.text).size();
  if (n_text == 0) {
    errors.push_back("text has no tokens: type at least one word");
  } else if (n_text > size_t(Limits::max_tokens)) {
    errors.push_back(format("text has %zu tokens; the limit is %d", n_text, Limits::max_tokens));
  } else if (sizes_ok) {
    const int n = std::max(int(n_text), cfg.pad_to);
    const size_t bytes = trace_bytes(n, cfg.d_model, cfg.n_heads);
    if (bytes > Limits::max_trace_bytes)
      errors.push_back(format("%d tokens x %d heads at d_model %d need %.0f MiB for the trace; the limit is %zu MiB "
                              "(the score matrices grow as heads x tokens squared): use fewer tokens or heads",
                              n, cfg.n_heads, cfg.d_model, double(bytes) / (1 << 20), Limits::max_trace_bytes >> 20));
  }
  return errors;
}

}  // namespace ap
