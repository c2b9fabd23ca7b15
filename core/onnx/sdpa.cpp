// ONNX-semantics attention over .npy arrays: see sdpa.h and the suite's README
// (tests run all 76 of ONNX's own cases against this).
#include "onnx/sdpa.h"

#include <cmath>
#include <limits>

#include "kernels/head.h"

namespace ap {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// A 4D (B, H, S, D) view of a 4D array or of a 3D (B, S, H·D) one.
struct View4 {
  const Array* a = nullptr;
  int64_t B = 0, H = 0, S = 0, D = 0;
  bool packed = false;  // 3D: element (b, h, s, d) is at [b, s, h·D + d]
  double at(int64_t b, int64_t h, int64_t s, int64_t d) const {
    return packed ? a->values[size_t(((b * S + s) * H + h) * D + d)] : a->values[size_t(((b * H + h) * S + s) * D + d)];
  }
};

std::string check_view(const Array& a, const char* name, int heads, View4& v) {
  v.a = &a;
  if (a.shape.size() == 4) {
    v.B = a.shape[0], v.H = a.shape[1], v.S = a.shape[2], v.D = a.shape[3];
  } else {
    if (heads <= 0) return std::string(name) + " is 3D (B, S, H·D): give the number of heads (--q-heads/--kv-heads)";
    if (a.shape[2] % heads != 0)
      return std::string(name) + "'s hidden size " + std::to_string(a.shape[2]) + " is not divisible by " +
             std::to_string(heads) + " heads";
    v.B = a.shape[0], v.S = a.shape[1], v.H = heads, v.D = a.shape[2] / heads;
    v.packed = true;
  }
  if (v.B == 0 || v.H == 0 || v.D == 0) return std::string(name) + " has an empty axis: shape " + a.shape_text();
  return "";
}

std::string check_finite(const Array& a, const char* name) {
  for (size_t i = 0; i < a.values.size(); ++i)
    if (!std::isfinite(a.values[i]))
      return std::string(name) + " holds " + (std::isnan(a.values[i]) ? "NaN" : "an infinity") + " at flat index " +
             std::to_string(i) + ": attention inputs must be finite";
  return "";
}

}  // namespace

std::variant<SdpaOutputs, std::string> sdpa(const SdpaInputs& in, const SdpaOptions& o) {
  if (!in.q || !in.k || !in.v) return std::string("Q, K and V are all required");
  const size_t rank = in.q->shape.size();
  if ((rank != 3 && rank != 4) || in.k->shape.size() != rank || in.v->shape.size() != rank)
    return "Q, K and V must all be 3D (B, S, H·D) or all 4D (B, H, S, D); got " + in.q->shape_text() + ", " +
           in.k->shape_text() + " and " + in.v->shape_text();
  for (auto [a, name] :
       {std::pair{in.q, "Q"}, {in.k, "K"}, {in.v, "V"}, {in.past_key, "past_key"}, {in.past_value, "past_value"}}) {
    if (!a) continue;
    if (!is_float(a->dtype))
      return std::string(name) + " must be float16, float32 or float64, not " + dtype_name(a->dtype);
    if (std::string e = check_finite(*a, name); !e.empty()) return e;
  }
  View4 q, k, v;
  if (std::string e = check_view(*in.q, "Q", o.q_heads, q); !e.empty()) return e;
  if (std::string e = check_view(*in.k, "K", o.kv_heads, k); !e.empty()) return e;
  if (std::string e = check_view(*in.v, "V", o.kv_heads, v); !e.empty()) return e;
  if (k.B != q.B || v.B != q.B)
    return "Q, K and V must have the same batch size; got " + std::to_string(q.B) + ", " + std::to_string(k.B) +
           " and " + std::to_string(v.B);
  if (k.D != q.D)
    return "Q and K must have the same head size; got " + std::to_string(q.D) + " and " + std::to_string(k.D);
  if (k.H != v.H || k.S != v.S)
    return "K and V must have the same heads and sequence length; got K " + in.k->shape_text() + " and V " +
           in.v->shape_text();
  if (q.H % k.H != 0)
    return std::to_string(q.H) + " query heads are not a multiple of " + std::to_string(k.H) +
           " key/value heads (grouped-query attention needs groups of equal size)";
  const int64_t B = q.B, Hq = q.H, Hkv = k.H, Sq = q.S, D = q.D, Dv = v.D, group = Hq / Hkv;

  // [SECTION] past key/value: prepended along the sequence axis
  if (bool(in.past_key) != bool(in.past_value)) return std::string("past_key and past_value come together");
  int64_t P = 0;
  if (in.past_key) {
    const auto& pk = in.past_key->shape;
    const auto& pv = in.past_value->shape;
    if (pk.size() != 4 || pk[0] != B || pk[1] != Hkv || pk[3] != D)
      return "past_key must be (B, Hkv, P, D) = (" + std::to_string(B) + ", " + std::to_string(Hkv) + ", P, " +
             std::to_string(D) + "); got " + in.past_key->shape_text();
    if (pv.size() != 4 || pv[0] != B || pv[1] != Hkv || pv[2] != pk[2] || pv[3] != Dv)
      return "past_value must be (B, Hkv, P, Dv) matching past_key; got " + in.past_value->shape_text();
    P = pk[2];
  }
  const int64_t T = P + k.S;

  // [SECTION] nonpad_kv_seqlen
  std::vector<int64_t> nonpad;
  if (in.nonpad_kv_seqlen) {
    const Array& n = *in.nonpad_kv_seqlen;
    if (n.dtype != DType::I64 || n.shape != std::vector<int64_t>{B})
      return "nonpad_kv_seqlen must be int64 of shape (" + std::to_string(B) + ",); got " + dtype_name(n.dtype) + " " +
             n.shape_text();
    for (double x : n.values) {
      if (x < 0 || x > double(T)) return "nonpad_kv_seqlen values must be between 0 and " + std::to_string(T);
      nonpad.push_back(int64_t(x));
    }
  }

  // [SECTION] mask: (Sq, T'), (Hq, Sq, T') or (B|1, Hq|1, Sq, T'), with T' <= T
  const Array* m = in.mask;
  int64_t mB = 1, mH = 1, mT = T;
  if (m) {
    const auto& s = m->shape;
    const bool ok_rank = s.size() >= 2 && s.size() <= 4;
    if (!ok_rank)
      return "the mask must have 2 to 4 axes ending (Sq, T); got " + std::string(dtype_name(m->dtype)) + " " +
             m->shape_text();
    mT = s.back();
    const int64_t mS = s[s.size() - 2];
    if (s.size() == 3) mH = s[0];
    if (s.size() == 4) mB = s[0], mH = s[1];
    if (mS != Sq || mT > T || mT < 1 || (mH != 1 && mH != Hq) || (mB != 1 && mB != B) || (s.size() == 3 && mH != Hq))
      return "the mask " + m->shape_text() + " does not broadcast to (B, Hq, Sq, T) = (" + std::to_string(B) + ", " +
             std::to_string(Hq) + ", " + std::to_string(Sq) + ", " + std::to_string(T) + ")";
    if (is_float(m->dtype))
      for (double x : m->values)
        if (std::isnan(x) || x == std::numeric_limits<double>::infinity())
          return std::string("a float mask may hold finite values and -inf, not NaN or +inf");
  }

  // [SECTION] outputs
  SdpaOutputs out;
  out.y.dtype = in.q->dtype;
  out.y.shape = rank == 4 ? std::vector<int64_t>{B, Hq, Sq, Dv} : std::vector<int64_t>{B, Sq, Hq * Dv};
  out.y.values.resize(size_t(B * Hq * Sq * Dv));
  out.weights.dtype = in.q->dtype;
  out.weights.shape = {B, Hq, Sq, T};
  out.weights.values.resize(size_t(B * Hq * Sq * T));
  if (o.qk_mode >= 0) {
    out.qk.dtype = in.q->dtype;
    out.qk.shape = {B, Hq, Sq, T};
    out.qk.values.resize(out.weights.values.size());
  }
  if (P > 0) {
    out.present_key = Array{in.k->dtype, {B, Hkv, T, D}, std::vector<double>(size_t(B * Hkv * T * D))};
    out.present_value = Array{in.v->dtype, {B, Hkv, T, Dv}, std::vector<double>(size_t(B * Hkv * T * Dv))};
  }

  AttendOptions ao;
  ao.scale = float(o.scale > 0 ? o.scale : 1.0 / std::sqrt(double(D)));
  ao.softcap = float(o.softcap);
  ao.fully_masked = o.fully_masked;
  ao.skip_blocked = o.qk_mode != 0 && o.qk_mode != 1;  // those outputs need every raw score
  HeadTrace steps;
  Mat qm(Sq, D), km(T, D), vm(T, Dv), bias(Sq, T);
  for (int64_t b = 0; b < B; ++b) {
    // Causal offset (ONNX): the past length with a cache; nonpad - Sq with an
    // external cache; otherwise 0 (top-left, even when T > Sq).
    const int64_t offset = P > 0 ? P : !nonpad.empty() ? nonpad[size_t(b)] - Sq : 0;
    for (int64_t h = 0; h < Hq; ++h) {
      const int64_t g = h / group;  // contiguous groups, not h % Hkv
      for (int64_t s = 0; s < Sq; ++s)
        for (int64_t d = 0; d < D; ++d) qm(s, d) = float(q.at(b, h, s, d));
      const auto pkv = [&](const Array* past, int64_t t, int64_t d, int64_t width) {
        return past->values[size_t(((b * Hkv + g) * P + t) * width + d)];
      };
      for (int64_t t = 0; t < T; ++t) {
        for (int64_t d = 0; d < D; ++d) km(t, d) = float(t < P ? pkv(in.past_key, t, d, D) : k.at(b, g, t - P, d));
        for (int64_t d = 0; d < Dv; ++d) vm(t, d) = float(t < P ? pkv(in.past_value, t, d, Dv) : v.at(b, g, t - P, d));
      }
      if (P > 0 && h % group == 0) {  // present = concat(past, new), copied exactly
        for (int64_t t = 0; t < T; ++t) {
          for (int64_t d = 0; d < D; ++d)
            out.present_key.values[size_t(((b * Hkv + g) * T + t) * D + d)] =
                t < P ? pkv(in.past_key, t, d, D) : k.at(b, g, t - P, d);
          for (int64_t d = 0; d < Dv; ++d)
            out.present_value.values[size_t(((b * Hkv + g) * T + t) * Dv + d)] =
                t < P ? pkv(in.past_value, t, d, Dv) : v.at(b, g, t - P, d);
        }
      }
      for (int64_t i = 0; i < Sq; ++i)
        for (int64_t j = 0; j < T; ++j) {
          float x = 0;
          if (m) {
            if (j >= mT) {
              x = kNegInf;  // a mask shorter than T blocks the keys it does not cover
            } else {
              const int64_t mb = mB == 1 ? 0 : b, mh = mH == 1 ? 0 : h;
              const double mv = m->values[size_t(((mb * mH + mh) * Sq + i) * mT + j)];
              x = !is_float(m->dtype) ? (mv != 0 ? 0.0f : kNegInf) : float(mv);
            }
          }
          if (o.causal && j > i + offset) x = kNegInf;
          if (!nonpad.empty() && j >= nonpad[size_t(b)]) x = kNegInf;
          bias(i, j) = x;
        }
      attend(qm, km, vm, bias, ao, steps);
      for (int64_t s = 0; s < Sq; ++s) {
        for (int64_t d = 0; d < Dv; ++d) {
          const size_t at =
              rank == 4 ? size_t(((b * Hq + h) * Sq + s) * Dv + d) : size_t(((b * Sq + s) * Hq + h) * Dv + d);
          out.y.values[at] = steps.context(s, d);
        }
        for (int64_t t = 0; t < T; ++t) {
          const size_t at = size_t(((b * Hq + h) * Sq + s) * T + t);
          out.weights.values[at] = steps.weights(s, t);
          if (o.qk_mode >= 0) {
            const Mat& src = o.qk_mode == 0   ? steps.scaled
                             : o.qk_mode == 1 ? steps.softcapped()
                             : o.qk_mode == 2 ? steps.masked
                                              : steps.weights;
            out.qk.values[at] = src(s, t);
          }
        }
      }
    }
  }
  return out;
}

}  // namespace ap
