// Inputs: deterministic embeddings, sinusoidal positions, nn.Linear-style weights.
#include <doctest/doctest.h>

#include <cmath>

#include "layer/inputs.h"

TEST_CASE("the same token text gives the same embedding; the seed changes it") {
  const ap::Mat a = ap::embed_tokens({"the", "cat", "saw", "the", "dog"}, 64, 42);
  CHECK(a.row(0) == a.row(3));
  CHECK(a.row(0) != a.row(1));
  CHECK(ap::embed_tokens({"the"}, 64, 43).row(0) != a.row(0));
  ap::Config c;
  c.text = "the cat saw the dog";
  const ap::Inputs in = ap::make_inputs(c);
  CHECK(in.x_q.row(0) != in.x_q.row(3));  // positions differ
  c.positional = false;
  CHECK(ap::make_inputs(c).x_q.row(0) == ap::make_inputs(c).x_q.row(3));
  CHECK(ap::make_inputs(c).x_q == a);
}

TEST_CASE("embeddings look like nn.Embedding's N(0, 1)") {
  const ap::Mat e = ap::embed_tokens({"a", "b", "c", "d", "e", "f", "g", "h"}, 512, 42);
  const double mean = e.mean(), var = (e.array() - mean).square().mean();
  // 4096 samples: standard error of the mean ~0.016, of the variance ~0.022.
  CHECK(std::abs(mean) < 0.08);
  CHECK(std::abs(var - 1.0) < 0.1);
}

TEST_CASE("weights are uniform in ±1/sqrt(fan_in), seeded, and independent of the text") {
  ap::Config c;
  c.d_model = 256;
  c.n_heads = 4;
  const ap::Inputs in = ap::make_inputs(c);
  const float bound = 1.0f / 16.0f;
  for (const ap::Linear* l : {&in.w_q, &in.w_k, &in.w_v, &in.w_o}) {
    CHECK(l->weight.rows() == 256);
    CHECK(l->weight.cwiseAbs().maxCoeff() <= bound);
    CHECK(l->weight.cwiseAbs().maxCoeff() > 0.98f * bound);  // 65536 draws reach the edge
    CHECK(l->bias.cwiseAbs().maxCoeff() <= bound);
  }
  CHECK(in.w_q.weight != in.w_k.weight);
  c.text = "something else entirely";
  CHECK(ap::make_inputs(c).w_v.weight == in.w_v.weight);
  c.bias = false;
  CHECK(ap::make_inputs(c).w_q.bias.isZero(0));
  c.n_kv_heads = 2;  // GQA: K and V project to 2 heads of d_head 64
  CHECK(ap::make_inputs(c).w_k.weight.rows() == 128);
}

TEST_CASE("sinusoidal positional encoding") {
  const ap::Mat pe = ap::sinusoidal_encoding(50, 16);
  CHECK(pe(0, 0) == 0.0f);
  CHECK(pe(0, 1) == 1.0f);
  CHECK(pe(3, 0) == doctest::Approx(std::sin(3.0)));
  CHECK(pe(3, 5) == doctest::Approx(std::cos(3.0 / std::pow(10000.0, 4.0 / 16))));
  CHECK(pe.cwiseAbs().maxCoeff() <= 1.0f);
}

TEST_CASE("KV cache: queries are the text's last tokens, at their own positions") {
  ap::Config c;
  c.text = "a b c d e";
  c.kv_cache = 3;
  const ap::Inputs in = ap::make_inputs(c);
  CHECK(in.q_tokens == std::vector<std::string>{"d", "e"});
  CHECK(in.kv_tokens.size() == 5);
  CHECK(in.x_q.row(0) == in.x_kv.row(3));
  CHECK(in.q_position0 == 3);
}
