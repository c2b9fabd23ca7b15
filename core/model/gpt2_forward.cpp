// GPT-2's forward pass: see gpt2_forward.h. The attention below mirrors
// plan_projections, plan_weights and plan_outputs (layer/attention.cpp)
// step for step and slice for slice (Eigen's products round differently on
// slices of different heights), with one head's steps in a scratch reused
// head after head instead of a trace per layer.
#include "model/gpt2_forward.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "base/format.h"
#include "base/rng.h"
#include "config/fields.h"
#include "kernels/gemm.h"
#include "kernels/pointwise.h"
#include "layer/attention.h"
#include "layer/masks.h"

namespace ap {
namespace {

size_t mat_bytes(const Mat& m) { return sizeof(float) * size_t(m.size()); }

// [SECTION] the pieces of a layer

// out = lin(x) for n rows, a slice of rows per piece, cut where
// plan_projections and plan_outputs cut the same product (Eigen's bits
// depend on a slice's height; the packed kernel's do not). x and out are
// sized by earlier pieces ([n x d_in], [n x d_out]). How a packed product is
// cut hardly matters here: c_fc at 64 to 1024 rows ran within 5 % of 25
// GFLOP/s under Node in slices of 4 to 64 rows or whole (L3 holds every
// strip).
void plan_linear(Plan& plan, const Gpt2Linear& lin, int n, const Mat& x, Mat& out) {
  const double per_row = 2.0 * double(int64_t(lin.d_out) * lin.d_in) * kFlopCost;
  for_ranges(n, per_row, [&](int r0, int r1) {
    plan.add((r1 - r0) * per_row,
             [&lin, &x, &out, r0, r1] { out.middleRows(r0, r1 - r0) = lin.forward(x.middleRows(r0, r1 - r0)); });
  });
}

// The same for a product no layer code shares (the MLP's): with Eigen, in
// slices of at least kEigenSliceRows rows, for Eigen packs the whole weight
// on every call, which for GPT-2's 8-row slices of c_fc took longer than the
// products themselves.
constexpr int kEigenSliceRows = 256;
void plan_mlp_linear(Plan& plan, const Gpt2Linear& lin, int n, const Mat& x, Mat& out) {
  if (!lin.strips.empty()) return plan_linear(plan, lin, n, x, out);
  const double per_row = 2.0 * double(int64_t(lin.d_out) * lin.d_in) * kFlopCost;
  for (int r0 = 0; r0 < n; r0 += kEigenSliceRows) {
    const int r1 = std::min(n, r0 + kEigenSliceRows);
    plan.add((r1 - r0) * per_row,
             [&lin, &x, &out, r0, r1] { out.middleRows(r0, r1 - r0) = lin.forward(x.middleRows(r0, r1 - r0)); });
  }
}

void plan_layer_norm(Plan& plan, const Gpt2LayerNorm& ln, double eps, int n, const Mat& x, Mat& out) {
  const double per_row = double(ln.gain.size()) * 4;
  for_ranges(n, per_row, [&](int r0, int r1) {
    plan.add((r1 - r0) * per_row,
             [&ln, eps, &x, &out, r0, r1] { layer_norm_rows(x, ln.gain, ln.bias, eps, r0, r1, out); });
  });
}

// The scale and options of the layer's heads, as plan_weights sets them.
AttendOptions attend_options(const Config& cfg, int d_head, int h) {
  const float scale = cfg.scale > 0 ? float(cfg.scale) : float(1.0 / std::sqrt(double(d_head)));
  const float temperature = float(cfg.temperature);
  AttendOptions o;
  o.scale = scale / temperature;
  o.softcap = float(cfg.softcap);
  o.fully_masked = cfg.fully_masked;
  o.dropout = float(cfg.dropout);
  o.reuse_scores = false;  // the scratch holds the previous head's scores
  o.dropout_stream = stream(cfg.seed, "dropout").next() + uint64_t(h) * 0x9E3779B97F4A7C15ull;
  return o;
}

// The layer's mask into s.mask, unless it holds the same config's already.
void plan_mask(Plan& plan, const Config& cfg, int n, Gpt2Scratch& s) {
  plan.add(0, [&cfg, n, &s, &plan] {
    Trace& t = s.mask;
    if (s.mask_built && t.n_q == n && s.mask_config == cfg) return;
    t.n_q = t.n_kv = n;
    t.q_pad.assign(size_t(n), 0);
    t.kv_pad.assign(size_t(n), 0);
    t.causal_offset = causal_offset(cfg, n, n);
    t.bias.resize(n, n);
    t.blocked_by.resize(n, n);
    t.allowed.resize(n, n);
    s.mask_config = cfg;
    s.mask_built = true;
    for_ranges(n, n * kCellCost, [&](int r0, int r1) {
      plan.add((r1 - r0) * n * kCellCost, [&cfg, &t, r0, r1] { build_mask_rows(cfg, r0, r1, t); });
    });
  });
}

// q, k, v of one layer from s.x, split into heads, as plan_projections does.
void plan_qkv(Plan& plan, const Gpt2Block& b, int n, int n_heads, Gpt2Scratch& s, bool need_v) {
  const int d = b.q.d_in, dh = d / n_heads;
  plan.add(0, [&s, n, d, need_v] {
    s.q_proj.resize(n, d);
    s.k_proj.resize(n, d);
    s.v_proj.resize(need_v ? n : 0, need_v ? d : 0);
  });
  plan_linear(plan, b.q, n, s.x, s.q_proj);
  plan_linear(plan, b.k, n, s.x, s.k_proj);
  if (need_v) plan_linear(plan, b.v, n, s.x, s.v_proj);
  s.q.resize(size_t(n_heads));
  s.k.resize(size_t(n_heads));
  s.v.resize(size_t(n_heads));
  for (int h = 0; h < n_heads; ++h)
    plan.add(3.0 * n * dh * kCopyCost, [&s, h, dh, need_v] {
      s.q[size_t(h)] = s.q_proj.middleCols(h * dh, dh);
      s.k[size_t(h)] = s.k_proj.middleCols(h * dh, dh);
      if (need_v) s.v[size_t(h)] = s.v_proj.middleCols(h * dh, dh);
    });
}

// Head h's weights into s.head (attend_begin/attend_rows, sliced as plan_weights).
void plan_head_weights(Plan& plan, const Config& cfg, int n, int h, int dh, Gpt2Scratch& s) {
  const double per_row = n * (2.0 * dh * kFlopCost + kCellCost);
  plan.add(per_row, [&cfg, &s, h, dh] {
    s.fully_masked_rows.clear();
    attend_begin(s.q[size_t(h)], s.k[size_t(h)], s.mask.bias, attend_options(cfg, dh, h), s.head, s.ops);
  });
  for_ranges(n, per_row, [&](int r0, int r1) {
    plan.add((r1 - r0) * per_row, [&cfg, &s, h, dh, r0, r1] {
      const std::vector<int> fully =
          attend_rows(s.q[size_t(h)], s.k[size_t(h)], s.mask.bias, attend_options(cfg, dh, h), s.ops, r0, r1, s.head);
      s.fully_masked_rows.insert(s.fully_masked_rows.end(), fully.begin(), fully.end());
    });
  });
}

// Layer l of the forward: residual[l] -> residual[l + 1].
void plan_layer(Plan& plan, const Gpt2Model& m, int l, Gpt2State& st) {
  const Gpt2Config& c = m.config;
  const Gpt2Block& b = m.blocks[size_t(l)];
  Gpt2Scratch& s = st.scratch;
  const int n = int(st.tokens.size()), d = c.n_embd, dh = c.d_head();
  const Config& cfg = st.edits.layers[size_t(l)];
  const Mat& in = st.residual[size_t(l)];
  Mat& out = st.residual[size_t(l) + 1];
  plan.add(0, [&s, &out, n, d, &c] {
    s.x.resize(n, d);
    s.concat.resize(n, d);
    s.attn_out.resize(n, d);
    s.hidden.resize(n, c.n_inner);
    out.resize(n, d);
  });
  plan_layer_norm(plan, b.ln_1, c.layer_norm_epsilon, n, in, s.x);
  plan_qkv(plan, b, n, c.n_head, s, true);
  plan_mask(plan, cfg, n, s);
  for (int h = 0; h < c.n_head; ++h) {
    plan_head_weights(plan, cfg, n, h, dh, s);
    if (st.keep_weights)
      plan.add(double(n) * n * kCopyCost, [&st, &s, l, h] { st.weights[size_t(l)][size_t(h)] = s.head.weights; });
    // weights·v as plan_outputs does it; an ablated head's columns of concat are zero.
    const double per_row = n * 2.0 * dh * kFlopCost;
    plan.add(per_row, [&s, h] { context_begin(s.v[size_t(h)], s.fully_masked_rows, s.head, s.ops); });
    for_ranges(n, per_row, [&](int r0, int r1) {
      plan.add((r1 - r0) * per_row, [&s, r0, r1] { context_rows(s.ops, r0, r1, s.head); });
    });
    const bool ablated = st.edits.ablated[size_t(l)][size_t(h)] != 0;
    plan.add(double(n) * dh, [&s, h, dh, ablated] {
      if (ablated) s.concat.middleCols(h * dh, dh).setZero();
      else s.concat.middleCols(h * dh, dh) = s.head.context;
      s.ops = {};
    });
  }
  plan_linear(plan, b.o, n, s.concat, s.attn_out);
  plan.add(double(n) * d, [&in, &out, &s, &st, l] {
    out = in + s.attn_out;
    if (!st.attention_out.empty()) st.attention_out[size_t(l)] = s.attn_out;
  });
  // The MLP on ln_2 of h = residual + attention, added to h.
  plan_layer_norm(plan, b.ln_2, c.layer_norm_epsilon, n, out, s.x);
  plan_mlp_linear(plan, b.fc, n, s.x, s.hidden);
  for_ranges(n, double(c.n_inner) * 4, [&](int r0, int r1) {
    plan.add((r1 - r0) * double(c.n_inner) * 4, [&s, r0, r1] { gelu_tanh_rows(s.hidden, r0, r1); });
  });
  plan_mlp_linear(plan, b.proj, n, s.hidden, s.attn_out);
  plan.add(double(n) * d, [&out, &s, l, &st] {
    out += s.attn_out;
    st.layers_done = l + 1;
  });
}

void plan_embeddings(Plan& plan, const Gpt2Model& m, Gpt2State& st) {
  const int n = int(st.tokens.size()), d = m.config.n_embd;
  plan.add(double(n) * d * kCopyCost, [&m, &st, n, d] {
    Mat& x = st.residual[0];
    x.resize(n, d);
    for (int i = 0; i < n; ++i)
      for (int c = 0; c < d; ++c) x(i, c) = m.wte.at(st.tokens[size_t(i)], c) + m.wpe(i, c);
    st.layers_done = 0;
  });
}

std::string check_layer(const Gpt2Config& c, const Gpt2State& s, int layer) {
  if (layer < 0 || layer >= c.n_layer)
    return format("layer %d does not exist: the model has layers 0 to %d", layer, c.n_layer - 1);
  if (layer >= s.layers_done || int(s.residual.size()) != c.n_layer + 1)
    return format("layer %d has not been computed yet", layer);
  return "";
}

void plan_from(const Gpt2Model& m, int from, Gpt2State& s, Plan& plan) {
  if (from == 0) plan_embeddings(plan, m, s);
  for (int l = from; l < m.config.n_layer; ++l) plan_layer(plan, m, l, s);
}

}  // namespace

// [SECTION] interventions

Config gpt2_layer_config(const Gpt2Config& c, int layer) {
  Config cfg;
  cfg.d_model = c.n_embd;
  cfg.n_heads = c.n_head;
  cfg.n_kv_heads = 0;
  cfg.bias = true;
  cfg.causal = true;
  cfg.positional = false;  // GPT-2's positions are learned (wpe), in the residual already
  double scale = c.scale_attn_weights ? 1.0 / std::sqrt(double(c.d_head())) : 1.0;
  if (c.scale_attn_by_inverse_layer_idx) scale /= double(layer + 1);
  cfg.scale = scale;
  return cfg;
}

Gpt2Edits gpt2_default_edits(const Gpt2Config& c) {
  Gpt2Edits e;
  for (int l = 0; l < c.n_layer; ++l) e.layers.push_back(gpt2_layer_config(c, l));
  e.ablated.assign(size_t(c.n_layer), std::vector<uint8_t>(size_t(c.n_head), 0));
  return e;
}

std::vector<std::string> validate_gpt2_edits(const Gpt2Config& c, int n, const Gpt2Edits& e) {
  std::vector<std::string> errors;
  if (int(e.layers.size()) != c.n_layer || int(e.ablated.size()) != c.n_layer) {
    errors.push_back(
        format("the edits must give a config and ablations for each of the model's %d layers (got %zu and %zu)",
               c.n_layer, e.layers.size(), e.ablated.size()));
    return errors;
  }
  for (int l = 0; l < c.n_layer; ++l) {
    const Config& cfg = e.layers[size_t(l)];
    const auto fail = [&](const std::string& why) { errors.push_back(format("layer %d: ", l) + why); };
    if (int(e.ablated[size_t(l)].size()) != c.n_head)
      fail(format("ablations must name each of the %d heads (got %zu)", c.n_head, e.ablated[size_t(l)].size()));
    if (cfg.d_model != c.n_embd) fail(format("d_model must be the model's n_embd %d (got %d)", c.n_embd, cfg.d_model));
    if (cfg.n_heads != c.n_head) fail(format("n_heads must be the model's n_head %d (got %d)", c.n_head, cfg.n_heads));
    if (cfg.n_kv_heads != 0 && cfg.n_kv_heads != c.n_head)
      fail(format("GPT-2 has one key/value head per query head, so n_kv_heads must be 0 (got %d)", cfg.n_kv_heads));
    if (!cfg.bias) fail("GPT-2's projections have biases, so bias must be true");
    if (!cfg.cross_text.empty()) fail("GPT-2 attends to its own tokens, so cross_text must be empty");
    if (cfg.kv_cache != 0) fail(format("kv_cache does not apply to a model's layer (got %d)", cfg.kv_cache));
    if (cfg.pad_to != 0) fail(format("pad_to does not apply to a model's layer (got %d)", cfg.pad_to));
    for (const Field& f : config_fields_table())
      if (!f.projections)
        if (std::string r = range_error(f, cfg); !r.empty()) fail(r);
    const auto sized = [&](const auto& mat, const char* name) {
      if (mat.empty()) return;
      bool ok = int(mat.size()) == n;
      for (const auto& row : mat) ok = ok && int(row.size()) == n;
      if (!ok) fail(format("%s must have %d rows of %d entries, one per token", name, n, n));
    };
    sized(cfg.custom_mask, "custom_mask");
    sized(cfg.float_mask, "float_mask");
    for (const auto& row : cfg.float_mask)
      if (std::any_of(row.begin(), row.end(),
                      [](float v) { return std::isnan(v) || v == std::numeric_limits<float>::infinity(); })) {
        fail("float_mask values must be numbers or -inf (no NaN or +inf)");
        break;
      }
  }
  return errors;
}

int first_edited_layer(const Gpt2Edits& a, const Gpt2Edits& b) {
  const size_t n = std::min(a.layers.size(), b.layers.size());
  for (size_t l = 0; l < n; ++l)
    if (!(a.layers[l] == b.layers[l]) || l >= a.ablated.size() || l >= b.ablated.size() || a.ablated[l] != b.ablated[l])
      return int(l);
  return int(n);
}

// [SECTION] the forward

size_t Gpt2Scratch::bytes() const {
  size_t b = mat_bytes(x) + mat_bytes(q_proj) + mat_bytes(k_proj) + mat_bytes(v_proj) + mat_bytes(concat) +
             mat_bytes(attn_out) + mat_bytes(hidden);
  for (const auto* heads : {&q, &k, &v})
    for (const Mat& h : *heads) b += mat_bytes(h);
  b += mat_bytes(mask.bias) + size_t(mask.allowed.size() + mask.blocked_by.size());
  for (const Mat* m :
       {&head.scores, &head.scaled, &head.capped, &head.masked, &head.weights, &head.dropped, &head.context})
    b += mat_bytes(*m);
  return b;
}

size_t Gpt2State::bytes() const {
  size_t b = scratch.bytes();
  for (const Mat& r : residual) b += mat_bytes(r);
  for (const auto& layer : weights)
    for (const Mat& w : layer) b += mat_bytes(w);
  for (const Mat& a : attention_out) b += mat_bytes(a);
  return b;
}

std::string check_gpt2_tokens(const Gpt2Config& c, const std::vector<int>& tokens) {
  if (tokens.empty()) return "there are no tokens: the model needs at least one";
  if (int64_t(tokens.size()) > c.n_positions)
    return format("%zu tokens are more than the model's n_positions %d (its position embeddings end there)",
                  tokens.size(), c.n_positions);
  for (size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i] < 0 || tokens[i] >= c.vocab_size)
      return format("token %zu is id %d, outside the vocabulary (0 to %d)", i, tokens[i], c.vocab_size - 1);
  return "";
}

std::string plan_gpt2_forward(const Gpt2Model& m, const std::vector<int>& tokens, const Gpt2Edits& edits, Gpt2State& s,
                              Plan& plan, const Gpt2Options& o) {
  const Gpt2Config& c = m.config;
  if (std::string e = check_gpt2_tokens(c, tokens); !e.empty()) return e;
  if (auto errors = validate_gpt2_edits(c, int(tokens.size()), edits); !errors.empty()) return errors[0];
  const size_t n = tokens.size();
  const bool keep =
      double(c.n_layer) * c.n_head * double(n) * double(n) * sizeof(float) <= double(o.keep_weights_bytes);
  int from = 0;
  if (s.tokens == tokens && s.keep_weights == keep && int(s.residual.size()) == c.n_layer + 1 &&
      s.attention_out.empty() != o.keep_attention_outputs)
    from = std::min(first_edited_layer(s.edits, edits), s.layers_done);
  s.tokens = tokens;
  s.edits = edits;
  s.keep_weights = keep;
  s.layers_done = std::min(s.layers_done, from);
  s.residual.resize(size_t(c.n_layer) + 1);
  if (from == 0) {
    s.weights.assign(keep ? size_t(c.n_layer) : 0, {});
    for (auto& layer : s.weights) layer.resize(size_t(c.n_head));
  }
  s.attention_out.resize(o.keep_attention_outputs ? size_t(c.n_layer) : 0);
  plan_from(m, from, s, plan);
  return "";
}

std::string gpt2_forward(const Gpt2Model& m, const std::vector<int>& tokens, const Gpt2Edits& edits, Gpt2State& s,
                         const Gpt2Options& o) {
  Plan plan;
  if (std::string e = plan_gpt2_forward(m, tokens, edits, s, plan, o); !e.empty()) return e;
  plan.finish();
  return "";
}

std::string gpt2_run_from(const Gpt2Model& m, int layer, const Gpt2Edits& edits, Gpt2State& s) {
  const Gpt2Config& c = m.config;
  if (layer < 0 || layer > c.n_layer)
    return format("layer %d does not exist: the model has layers 0 to %d", layer, c.n_layer - 1);
  if (int(s.residual.size()) != c.n_layer + 1) return std::string("no forward has run to restart from");
  if (layer > s.layers_done)
    return format("the forward can restart at layer %d at the latest: the layers after it have not run", s.layers_done);
  if (auto errors = validate_gpt2_edits(c, int(s.tokens.size()), edits); !errors.empty()) return errors[0];
  if (const int first = first_edited_layer(s.edits, edits); first < layer)
    return format("layer %d's edits differ from those it ran with, so a restart must begin there, not at layer %d",
                  first, layer);
  s.edits = edits;
  s.layers_done = layer;
  Plan plan;
  plan_from(m, layer, s, plan);
  plan.finish();
  return "";
}

std::vector<Mat> gpt2_attention(const Gpt2Model& m, const Gpt2State& s, int layer) {
  if (!check_layer(m.config, s, layer).empty()) return {};
  if (s.keep_weights) return s.weights[size_t(layer)];
  const Gpt2Config& c = m.config;
  const Config& cfg = s.edits.layers[size_t(layer)];
  const int n = int(s.tokens.size());
  Gpt2Scratch scratch;
  scratch.x.resize(n, c.n_embd);
  Plan plan;
  plan_layer_norm(plan, m.blocks[size_t(layer)].ln_1, c.layer_norm_epsilon, n, s.residual[size_t(layer)], scratch.x);
  plan_qkv(plan, m.blocks[size_t(layer)], n, c.n_head, scratch, false);
  plan_mask(plan, cfg, n, scratch);
  std::vector<Mat> weights(size_t(c.n_head));
  for (int h = 0; h < c.n_head; ++h) {
    plan_head_weights(plan, cfg, n, h, c.d_head(), scratch);
    plan.add(0, [&weights, &scratch, h] { weights[size_t(h)].swap(scratch.head.weights); });
  }
  plan.finish();
  return weights;
}

// [SECTION] the chosen layer

std::string plan_gpt2_choose_layer(const Gpt2Model& m, const Gpt2State& s, int layer,
                                   const std::vector<std::string>& token_text, Gpt2ChosenLayer& out, Plan& plan) {
  if (std::string e = check_layer(m.config, s, layer); !e.empty()) return e;
  const Gpt2Config& c = m.config;
  const int n = int(s.tokens.size());
  const Config& cfg = s.edits.layers[size_t(layer)];
  const size_t bytes = trace_bytes(n, n, c.n_embd, c.n_head, cfg.softcap > 0, cfg.dropout > 0);
  if (bytes > Limits::max_trace_bytes)
    return format("%d tokens x %d heads at d_model %d need %.0f MiB for the layer's trace; the limit is %zu MiB", n,
                  c.n_head, c.n_embd, double(bytes) / (1 << 20), Limits::max_trace_bytes >> 20);
  out.layer = layer;
  out.config = cfg;
  out.trace = Trace{};
  Inputs& in = out.inputs;
  in = Inputs{};
  in.q_tokens.resize(size_t(n));
  for (int i = 0; i < n; ++i)
    in.q_tokens[size_t(i)] = int(token_text.size()) == n ? token_text[size_t(i)] : std::to_string(s.tokens[size_t(i)]);
  in.kv_tokens = in.q_tokens;
  in.q_pad.assign(size_t(n), 0);
  in.kv_pad.assign(size_t(n), 0);
  const Gpt2Block& b = m.blocks[size_t(layer)];
  plan.add(double(n) * c.n_embd * 8, [&m, &s, &b, &in, layer, n] {
    in.x_q.resize(n, m.config.n_embd);
    layer_norm_rows(s.residual[size_t(layer)], b.ln_1.gain, b.ln_1.bias, m.config.layer_norm_epsilon, 0, n, in.x_q);
    in.x_kv = in.x_q;
  });
  for (auto [from, to] : {std::pair{&b.q, &in.w_q}, {&b.k, &in.w_k}, {&b.v, &in.w_v}, {&b.o, &in.w_o}})
    plan.add(double(from->d_out) * from->d_in * 2 * kCopyCost, [from = from, to = to] {
      to->weight = from->unpacked();
      to->bias = from->bias;
      to->strips = from->strips;
    });
  plan_projections(out.config, in, out.trace, plan);
  plan_weights(out.config, in, out.trace, plan);
  plan_outputs(out.config, in, out.trace, plan);
  // Ablation happens between the heads and c_proj: zeroed columns of concat, and the output they give.
  const std::vector<uint8_t>& ablated = s.edits.ablated[size_t(layer)];
  if (std::any_of(ablated.begin(), ablated.end(), [](uint8_t a) { return a != 0; })) {
    plan.add(0, [&out, &ablated, &b, &plan] {
      Trace& t = out.trace;
      for (int h = 0; h < t.n_heads; ++h)
        if (ablated[size_t(h)]) t.concat.middleCols(h * t.d_head, t.d_head).setZero();
      plan_linear(plan, b.o, t.n_q, t.concat, t.output);
    });
  }
  // The layer's X is GPT-2's normalised residual, not the playground's embedding.
  plan.add(0, [&out, layer] {
    if (!out.trace.pipeline.empty())
      out.trace.pipeline[0].formula = format("X = ln_1(residual entering layer %d)", layer);
  });
  return "";
}

std::string gpt2_choose_layer(const Gpt2Model& m, const Gpt2State& s, int layer,
                              const std::vector<std::string>& token_text, Gpt2ChosenLayer& out) {
  Plan plan;
  if (std::string e = plan_gpt2_choose_layer(m, s, layer, token_text, out, plan); !e.empty()) return e;
  plan.finish();
  return "";
}

// [SECTION] next-token prediction

std::variant<Mat, std::string> gpt2_logits(const Gpt2Model& m, const Gpt2State& s, const std::vector<int>& positions) {
  const Gpt2Config& c = m.config;
  if (s.layers_done != c.n_layer || int(s.residual.size()) != c.n_layer + 1)
    return std::string("the forward has not run to its last layer");
  const int n = int(s.tokens.size());
  Mat rows(int(positions.size()), c.n_embd);
  for (size_t i = 0; i < positions.size(); ++i) {
    if (positions[i] < 0 || positions[i] >= n)
      return format("position %d is outside the %d tokens (0 to %d)", positions[i], n, n - 1);
    rows.row(int(i)) = s.residual[size_t(c.n_layer)].row(positions[i]);
  }
  layer_norm_rows(rows, m.ln_f.gain, m.ln_f.bias, c.layer_norm_epsilon, 0, int(rows.rows()), rows);
  return m.unembedding().forward(rows);
}

std::vector<TokenScore> top_tokens(const float* logits, int vocab, int k) {
  k = std::clamp(k, 0, vocab);
  std::vector<int> ids(static_cast<size_t>(vocab));
  std::iota(ids.begin(), ids.end(), 0);
  std::partial_sort(ids.begin(), ids.begin() + k, ids.end(),
                    [&](int a, int b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
  double top = -std::numeric_limits<double>::infinity(), sum = 0;
  for (int i = 0; i < vocab; ++i) top = std::max(top, double(logits[i]));
  for (int i = 0; i < vocab; ++i) sum += std::exp(double(logits[i]) - top);
  std::vector<TokenScore> out;
  for (int i = 0; i < k; ++i) {
    const int id = ids[size_t(i)];
    out.push_back({id, logits[id], std::exp(double(logits[id]) - top) / sum});
  }
  return out;
}

// [SECTION] costs

double gpt2_forward_flops(const Gpt2Config& c, int n, int logit_rows) {
  const double d = c.n_embd, mlp = c.n_inner, tokens = n;
  const double products = 2 * tokens * (4 * d * d + 2 * d * mlp);
  const double attention = 2 * 2 * d * (tokens * (tokens + 1) / 2);  // q·k and weights·v over the causal pairs
  return c.n_layer * (products + attention) + 2.0 * logit_rows * d * c.vocab_size;
}

Gpt2Memory gpt2_memory(const Gpt2Config& c, int n_tokens, const Gpt2Options& o) {
  const size_t f = sizeof(float), n = size_t(n_tokens), d = size_t(c.n_embd), h = size_t(c.n_head),
               layers = size_t(c.n_layer);
  Gpt2Memory mem;
  mem.weights = gpt2_weight_bytes(c);
  mem.residuals = (layers + 1) * n * d * f;
  const size_t kept = layers * h * n * n * f;
  mem.attention = kept <= o.keep_weights_bytes ? kept : 0;
  // x, q/k/v projections and their heads, concat, attn_out: 9 of [n x d]; the
  // hidden layer; the mask (a float bias, two byte masks); one head's
  // scores, scaled, masked, weights and its context.
  mem.scratch = (9 * n * d + n * size_t(c.n_inner) + n * n + 4 * n * n + n * (d / h)) * f + 2 * n * n;
  // The Trace, and its Inputs: x twice, four [d x d] weights (and their strips in a SIMD build).
  mem.chosen_layer = trace_bytes(n_tokens, n_tokens, c.n_embd, c.n_head, false, false) +
                     (2 * n * d + 4 * d * d * (simd_kernels() ? 2 : 1)) * f;
  return mem;
}

}  // namespace ap
