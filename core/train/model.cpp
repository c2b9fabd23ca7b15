// The tiny transformer's forward and backward passes, written out by hand.
// Each backward step mirrors a forward step in reverse order; the tests check
// every parameter's gradient against central finite differences.
#include "train/model.h"

#include <cmath>

#include "base/rng.h"

namespace ap::train {

namespace {

constexpr double kLnEps = 1e-5;  // PyTorch's nn.LayerNorm default

// [SECTION] initialisation

// Uniform with the given standard deviation: no libm (unlike Rng::normal), so
// the same bits natively and in wasm.
MatD uniform(int rows, int cols, double stddev, Rng& rng) {
  MatD m(rows, cols);
  const double bound = std::sqrt(3.0) * stddev;
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = rng.uniform(bound);
  return m;
}
// nn.Linear's weights: uniform in ±1/√fan_in.
MatD linear(int fan_in, int fan_out, Rng& rng) {
  MatD m(fan_in, fan_out);
  const double bound = 1.0 / std::sqrt(double(fan_in));
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = rng.uniform(bound);
  return m;
}

// [SECTION] building blocks

// out = (x - mean) / √(var + eps) · w + b, per row.
void ln_forward(const MatD& x, const MatD& w, const MatD& b, LnCache& c, MatD& out) {
  const Eigen::Index n = x.cols();
  c.xhat.resize(x.rows(), n);
  c.rstd.resize(x.rows());
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    const double mu = x.row(r).mean();
    const double var = (x.row(r).array() - mu).square().sum() / double(n);
    c.rstd(r) = 1.0 / std::sqrt(var + kLnEps);
    c.xhat.row(r) = (x.row(r).array() - mu) * c.rstd(r);
  }
  out.resize(x.rows(), n);
  out.array() = (c.xhat.array().rowwise() * w.row(0).array()).rowwise() + b.row(0).array();
}

// Adds d loss / d x to dx, given dy = d loss / d out; accumulates dw and db.
void ln_backward_add(const MatD& dy, const MatD& w, const LnCache& c, MatD& dw, MatD& db, MatD& dxhat, MatD& dx) {
  dw.row(0) += (dy.array() * c.xhat.array()).colwise().sum().matrix();
  db.row(0) += dy.colwise().sum();
  dxhat.resize(dy.rows(), dy.cols());
  dxhat.array() = dy.array().rowwise() * w.row(0).array();
  for (Eigen::Index r = 0; r < dy.rows(); ++r) {
    const double m1 = dxhat.row(r).mean();
    const double m2 = (dxhat.row(r).array() * c.xhat.row(r).array()).mean();
    dx.row(r).array() += c.rstd(r) * (dxhat.row(r).array() - m1 - c.xhat.row(r).array() * m2);
  }
}

// GELU, tanh approximation (GPT-2's): smooth everywhere, unlike ReLU, so a
// finite-difference check never straddles a kink.
constexpr double kGeluC = 0.7978845608028654;  // √(2/π)
constexpr double kGeluA = 0.044715;
double gelu_tanh(double u) { return std::tanh(kGeluC * (u + kGeluA * u * u * u)); }
// d GELU / du from u and its tanh term t.
double gelu_grad(double u, double t) {
  return 0.5 * (1.0 + t) + 0.5 * u * (1.0 - t * t) * kGeluC * (1.0 + 3.0 * kGeluA * u * u);
}

// out = x·W + b
void affine(const MatD& x, const MatD& W, const MatD& b, MatD& out) {
  out.resize(x.rows(), W.cols());
  out.noalias() = x * W;
  out.rowwise() += b.row(0);
}

bool is_ablated(const HeadMask& m, int layer, int head, int n_heads) {
  const size_t i = static_cast<size_t>(layer * n_heads + head);
  return i < m.size() && m[i] != 0;
}

}  // namespace

// [SECTION] Params

std::vector<MatD*> Params::tensors() {
  std::vector<MatD*> out;
  for_each([&](const std::string&, MatD& m) { out.push_back(&m); });
  return out;
}

std::vector<const MatD*> Params::tensors() const {
  std::vector<const MatD*> out;
  for_each([&](const std::string&, const MatD& m) { out.push_back(&m); });
  return out;
}

Params Params::zeros_like() const {
  Params z = *this;
  z.for_each([](const std::string&, MatD& m) { m.setZero(); });
  return z;
}

Params init_params(const ModelShape& s, uint32_t seed) {
  // One stream per tensor kind, so adding a layer or an MLP leaves the
  // embeddings (and layer 0) as they were.
  Params p;
  Rng emb = stream(seed, "train.embed");
  // Unit variance, like nn.Embedding: without layer norm the residual stream
  // then starts at a scale where attention scores are neither flat nor saturated.
  p.tok_emb = uniform(s.vocab, s.d_model, 1.0, emb);
  p.pos_emb = uniform(s.n_ctx, s.d_model, 1.0, emb);
  const MatD ones = MatD::Ones(1, s.d_model), zeros = MatD::Zero(1, s.d_model);
  for (int l = 0; l < s.n_layers; ++l) {
    Rng r = stream(seed, "train.layer" + std::to_string(l));
    LayerParams L;
    if (s.layer_norm) L.ln1_w = ones, L.ln1_b = zeros;
    L.W_q = linear(s.d_model, s.d_model, r);
    L.W_k = linear(s.d_model, s.d_model, r);
    L.W_v = linear(s.d_model, s.d_model, r);
    L.W_o = linear(s.d_model, s.d_model, r);
    L.b_q = L.b_k = L.b_v = L.b_o = zeros;
    if (s.mlp) {
      if (s.layer_norm) L.ln2_w = ones, L.ln2_b = zeros;
      L.W_in = linear(s.d_model, s.d_mlp(), r);
      L.b_in = MatD::Zero(1, s.d_mlp());
      L.W_out = linear(s.d_mlp(), s.d_model, r);
      L.b_out = zeros;
    }
    p.layers.push_back(std::move(L));
  }
  if (s.layer_norm) p.lnf_w = ones, p.lnf_b = zeros;
  Rng u = stream(seed, "train.unembed");
  p.W_u = linear(s.d_model, s.vocab, u);
  p.b_u = MatD::Zero(1, s.vocab);
  return p;
}

// [SECTION] forward

void forward(const Params& p, const ModelShape& s, const Batch& batch, const HeadMask& ablated, Activations& act) {
  const int B = batch.B, T = batch.T, D = s.d_model, H = s.n_heads, dh = s.d_head();
  const double scale = 1.0 / std::sqrt(double(dh));
  act.B = B;
  act.T = T;
  act.layers.resize(static_cast<size_t>(s.n_layers));

  // Embeddings: x[b*T + t] = tok_emb[token] + pos_emb[t].
  MatD& x0 = act.layers[0].x_in;
  x0.resize(B * T, D);
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < T; ++t)
      x0.row(b * T + t) = p.tok_emb.row(batch.tokens[static_cast<size_t>(b * T + t)]) + p.pos_emb.row(t);

  for (int l = 0; l < s.n_layers; ++l) {
    const LayerParams& L = p.layers[static_cast<size_t>(l)];
    LayerActivations& A = act.layers[static_cast<size_t>(l)];
    // The layer's output is the next layer's input, or x_out after the last.
    MatD& next = l + 1 < s.n_layers ? act.layers[static_cast<size_t>(l + 1)].x_in : act.x_out;
    if (s.layer_norm) ln_forward(A.x_in, L.ln1_w, L.ln1_b, A.ln1, A.a);
    else A.a = A.x_in;
    affine(A.a, L.W_q, L.b_q, A.q);
    affine(A.a, L.W_k, L.b_k, A.k);
    affine(A.a, L.W_v, L.b_v, A.v);
    A.ctx.setZero(B * T, D);
    A.weights.resize(static_cast<size_t>(B * H));
    for (int b = 0; b < B; ++b)
      for (int h = 0; h < H; ++h) {
        const auto q = A.q.block(b * T, h * dh, T, dh);
        const auto k = A.k.block(b * T, h * dh, T, dh);
        MatD& P = A.weights[static_cast<size_t>(b * H + h)];
        P.resize(T, T);
        P.noalias() = q * k.transpose();  // [T x T] scores, scaled below
        // Causal softmax: query i sees keys 0..i; the rest is exactly 0.
        for (int i = 0; i < T; ++i) {
          const double mx = P.row(i).head(i + 1).maxCoeff();
          double sum = 0;
          for (int j = 0; j <= i; ++j) sum += (P(i, j) = std::exp(scale * (P(i, j) - mx)));
          P.row(i).head(i + 1) /= sum;
          P.row(i).tail(T - 1 - i).setZero();
        }
        if (!is_ablated(ablated, l, h, H))
          A.ctx.block(b * T, h * dh, T, dh).noalias() = P * A.v.block(b * T, h * dh, T, dh);
      }
    A.x_mid = A.x_in;
    A.x_mid.noalias() += A.ctx * L.W_o;
    A.x_mid.rowwise() += L.b_o.row(0);
    next = A.x_mid;
    if (s.mlp) {
      if (s.layer_norm) ln_forward(A.x_mid, L.ln2_w, L.ln2_b, A.ln2, A.m);
      else A.m = A.x_mid;
      affine(A.m, L.W_in, L.b_in, A.u);
      A.tanh_u = A.u.unaryExpr([](double v) { return gelu_tanh(v); });
      A.g = (0.5 * A.u.array() * (1.0 + A.tanh_u.array())).matrix();
      next.noalias() += A.g * L.W_out;
      next.rowwise() += L.b_out.row(0);
    }
  }
  if (s.layer_norm) ln_forward(act.x_out, p.lnf_w, p.lnf_b, act.lnf, act.z);
  else act.z = act.x_out;
  affine(act.z, p.W_u, p.b_u, act.logits);

  // Softmax cross-entropy on scored rows (log-sum-exp with the max subtracted).
  act.probs.resize(act.logits.rows(), act.logits.cols());
  double total = 0;
  act.scored = act.correct = 0;
  for (Eigen::Index r = 0; r < act.logits.rows(); ++r) {
    Eigen::Index arg = 0;
    const double mx = act.logits.row(r).maxCoeff(&arg);  // first maximum: ties resolve the same way everywhere
    act.probs.row(r) = (act.logits.row(r).array() - mx).exp();
    const double sum = act.probs.row(r).sum();
    act.probs.row(r) /= sum;
    const int target = batch.targets[static_cast<size_t>(r)];
    if (target < 0) continue;
    ++act.scored;
    act.correct += arg == target;
    total += mx + std::log(sum) - act.logits(r, target);
  }
  act.loss = act.scored > 0 ? total / act.scored : 0.0;
}

// [SECTION] backward

void backward(const Params& p, const ModelShape& s, const Batch& batch, const HeadMask& ablated, Activations& act,
              Params& g) {
  const int B = act.B, T = act.T, H = s.n_heads, dh = s.d_head(), BT = B * T;
  const double scale = 1.0 / std::sqrt(double(dh));
  g.for_each([](const std::string&, MatD& m) { m.setZero(); });
  Workspace& w = act.work;

  // d loss / d logits = (probs - onehot(target)) / scored, on scored rows only.
  w.dlogits.setZero(act.logits.rows(), act.logits.cols());
  if (act.scored > 0) {
    const double inv = 1.0 / act.scored;
    for (Eigen::Index r = 0; r < w.dlogits.rows(); ++r) {
      const int target = batch.targets[static_cast<size_t>(r)];
      if (target < 0) continue;
      w.dlogits.row(r) = act.probs.row(r) * inv;
      w.dlogits(r, target) -= inv;
    }
  }
  g.W_u.noalias() = act.z.transpose() * w.dlogits;
  g.b_u.row(0) = w.dlogits.colwise().sum();
  // dx: d loss / d residual stream, carried down through the layers.
  w.dx.resize(BT, s.d_model);
  if (s.layer_norm) {
    w.dh.resize(BT, s.d_model);
    w.dh.noalias() = w.dlogits * p.W_u.transpose();
    w.dx.setZero();
    ln_backward_add(w.dh, p.lnf_w, act.lnf, g.lnf_w, g.lnf_b, w.dxhat, w.dx);
  } else {
    w.dx.noalias() = w.dlogits * p.W_u.transpose();
  }

  for (int l = s.n_layers - 1; l >= 0; --l) {
    const LayerParams& L = p.layers[static_cast<size_t>(l)];
    LayerParams& G = g.layers[static_cast<size_t>(l)];
    const LayerActivations& A = act.layers[static_cast<size_t>(l)];
    // MLP: out = x_mid + GELU(m·W_in + b_in)·W_out + b_out.
    if (s.mlp) {
      G.W_out.noalias() = A.g.transpose() * w.dx;
      G.b_out.row(0) = w.dx.colwise().sum();
      w.dh.resize(BT, s.d_mlp());
      w.dh.noalias() = w.dx * L.W_out.transpose();  // d loss / d g
      w.dh.array() *= A.u.binaryExpr(A.tanh_u, [](double u, double t) { return gelu_grad(u, t); }).array();
      G.W_in.noalias() = A.m.transpose() * w.dh;
      G.b_in.row(0) = w.dh.colwise().sum();
      if (s.layer_norm) {
        w.dctx.resize(BT, s.d_model);
        w.dctx.noalias() = w.dh * L.W_in.transpose();  // d loss / d m (dctx is free until below)
        ln_backward_add(w.dctx, L.ln2_w, A.ln2, G.ln2_w, G.ln2_b, w.dxhat, w.dx);
      } else {
        w.dx.noalias() += w.dh * L.W_in.transpose();
      }
    }
    // Attention: x_mid = x_in + ctx·W_o + b_o; dx is now d loss / d x_mid.
    G.W_o.noalias() = A.ctx.transpose() * w.dx;
    G.b_o.row(0) = w.dx.colwise().sum();
    w.dctx.resize(BT, s.d_model);
    w.dctx.noalias() = w.dx * L.W_o.transpose();
    w.dq.setZero(BT, s.d_model);
    w.dk.setZero(BT, s.d_model);
    w.dv.setZero(BT, s.d_model);
    w.dS.resize(T, T);
    for (int b = 0; b < B; ++b)
      for (int h = 0; h < H; ++h) {
        if (is_ablated(ablated, l, h, H)) continue;  // its context is a constant 0: no gradient flows
        const MatD& P = A.weights[static_cast<size_t>(b * H + h)];
        const auto dc = w.dctx.block(b * T, h * dh, T, dh);
        w.dv.block(b * T, h * dh, T, dh).noalias() = P.transpose() * dc;
        w.dS.noalias() = dc * A.v.block(b * T, h * dh, T, dh).transpose();  // d loss / d weights
        // Softmax backward per row: dS = P ∘ (dP - Σ_j P·dP). Blocked cells have P = 0, so dS = 0 there.
        for (int i = 0; i < T; ++i) {
          const double dot = P.row(i).dot(w.dS.row(i));
          w.dS.row(i) = scale * (P.row(i).array() * (w.dS.row(i).array() - dot));
        }
        w.dq.block(b * T, h * dh, T, dh).noalias() = w.dS * A.k.block(b * T, h * dh, T, dh);
        w.dk.block(b * T, h * dh, T, dh).noalias() = w.dS.transpose() * A.q.block(b * T, h * dh, T, dh);
      }
    G.W_q.noalias() = A.a.transpose() * w.dq;
    G.W_k.noalias() = A.a.transpose() * w.dk;
    G.W_v.noalias() = A.a.transpose() * w.dv;
    G.b_q.row(0) = w.dq.colwise().sum();
    G.b_k.row(0) = w.dk.colwise().sum();
    G.b_v.row(0) = w.dv.colwise().sum();
    // d loss / d a, then through LN1 (or directly) into d loss / d x_in.
    MatD& da = w.dctx;  // dctx is used up
    da.noalias() = w.dq * L.W_q.transpose();
    da.noalias() += w.dk * L.W_k.transpose();
    da.noalias() += w.dv * L.W_v.transpose();
    if (s.layer_norm) ln_backward_add(da, L.ln1_w, A.ln1, G.ln1_w, G.ln1_b, w.dxhat, w.dx);
    else w.dx += da;
  }

  // Embeddings: every row of dx goes to its token's and its position's row.
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < T; ++t) {
      g.tok_emb.row(batch.tokens[static_cast<size_t>(b * T + t)]) += w.dx.row(b * T + t);
      g.pos_emb.row(t) += w.dx.row(b * T + t);
    }
}

}  // namespace ap::train
