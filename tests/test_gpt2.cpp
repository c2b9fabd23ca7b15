// GPT-2 in core/model/: tiny models written by tests/reference/gpt2_numpy.py
// (the CTest fixture gpt2_reference, run before this suite) in the layouts
// Hugging Face saves, against that script's independent float64 NumPy
// forward; then what the page and the interventions rely on: the chosen
// layer's Trace is the forward's bit for bit, a restart from a layer equals
// a full run, an ablation changes only what follows it, and bad models,
// configs, tokens and edits are refused with one sentence.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <variant>

#include "gpt2_fixture.h"
#include "io/npy.h"
#include "io/safetensors.h"
#include "model/gpt2.h"
#include "model/gpt2_forward.h"

namespace {

using gpt2_fixture::kDir;
using gpt2_fixture::max_error;
using gpt2_fixture::npy;
using gpt2_fixture::slurp;
const auto fixture_file = gpt2_fixture::file;

ap::Gpt2Model load(const std::string& name) {
  fixture_file(name + "/model.safetensors");
  auto r = ap::load_gpt2_folder(kDir + "/" + name);
  if (auto* e = std::get_if<std::string>(&r)) FAIL(name << ": " << *e);
  return std::move(std::get<ap::Gpt2Model>(r));
}

std::vector<int> tokens_of(const std::string& name) {
  const ap::Array a = npy(name + "/reference/tokens.npy");
  return std::vector<int>(a.values.begin(), a.values.end());
}

ap::Gpt2State run(const ap::Gpt2Model& m, const std::vector<int>& tokens, const ap::Gpt2Edits& edits,
                  const ap::Gpt2Options& o = {}) {
  ap::Gpt2State s;
  const std::string e = ap::gpt2_forward(m, tokens, edits, s, o);
  REQUIRE_MESSAGE(e.empty(), e);
  return s;
}

ap::Mat all_logits(const ap::Gpt2Model& m, const ap::Gpt2State& s) {
  std::vector<int> positions(s.tokens.size());
  for (size_t i = 0; i < positions.size(); ++i) positions[i] = int(i);
  auto r = ap::gpt2_logits(m, s, positions);
  REQUIRE(std::holds_alternative<ap::Mat>(r));
  return std::get<ap::Mat>(r);
}

bool same_bits(const ap::Mat& a, const ap::Mat& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(float) * size_t(a.size())) == 0;
}

}  // namespace

TEST_CASE("GPT-2: every layer's attention weights and the logits match the float64 NumPy forward") {
  // Tolerances, for float32 against float64: each product sums up to 3072
  // terms, each rounded by at most 2^-24 relatively, so a value carries
  // about √K·2^-24 ≈ 3e-6 of its terms' size in error, and the layers
  // compound it a few times over. The weights are in [0, 1]: measured within
  // 2e-6 absolute, asserted 2e-5. The logits grow with the width (16 on
  // the tiny models, 200 on the wide one): measured within 1.2e-6 of the
  // largest logit's size, asserted 1e-5 of it. A transposed weight, a missed bias,
  // the exact GELU (erf) in place of the tanh approximation, or a scale off
  // by 1/(layer + 1) moves them by 1e-3 to 1.
  constexpr double kWeightTol = 2e-5, kLogitTol = 1e-5;
  for (const std::string name : {"tiny_f32", "tiny_f16", "tiny_bf16", "tiny_prefixed", "tiny_inverse_layer", "wide"}) {
    CAPTURE(name);
    const ap::Gpt2Model m = load(name);
    const std::vector<int> tokens = tokens_of(name);
    const ap::Gpt2State s = run(m, tokens, ap::gpt2_default_edits(m.config));
    REQUIRE(s.keep_weights);
    double worst_weight = 0;
    for (int l = 0; l < m.config.n_layer; ++l) {
      const ap::Array ref = npy(std::string(name) + "/reference/weights_" + std::to_string(l) + ".npy");
      REQUIRE(ref.shape == std::vector<int64_t>{m.config.n_head, int64_t(tokens.size()), int64_t(tokens.size())});
      for (int h = 0; h < m.config.n_head; ++h) {
        const double e =
            max_error(s.weights[size_t(l)][size_t(h)], ref.values.data() + size_t(h) * tokens.size() * tokens.size());
        worst_weight = std::max(worst_weight, e);
      }
    }
    const ap::Array ref_logits = npy(std::string(name) + "/reference/logits.npy");
    const ap::Mat logits = all_logits(m, s);
    REQUIRE(ref_logits.shape == std::vector<int64_t>{int64_t(tokens.size()), m.config.vocab_size});
    double scale = 0;
    for (double v : ref_logits.values) scale = std::max(scale, std::abs(v));
    const double worst_logit = max_error(logits, ref_logits.values.data());
    MESSAGE(std::string(name) << ": largest error of the attention weights " << worst_weight << ", of the logits "
                              << worst_logit << " (the largest logit is " << scale << ")");
    CHECK(worst_weight < kWeightTol);
    CHECK(worst_logit < kLogitTol * scale);
  }
}

TEST_CASE("GPT-2: the layouts Hugging Face saves load to the same model") {
  const ap::Gpt2Model plain = load("tiny_f32"), prefixed = load("tiny_prefixed");
  // transformer. prefixes, attn.bias / attn.masked_bias buffers and the tied lm_head.weight are understood.
  CHECK(prefixed.notes.empty());
  CHECK(prefixed.config.n_positions == 40);  // from n_ctx
  CHECK(prefixed.config.activation_function == "gelu_pytorch_tanh");
  const std::vector<int> tokens = tokens_of("tiny_f32");
  const ap::Gpt2Edits e = ap::gpt2_default_edits(plain.config);
  CHECK(same_bits(all_logits(plain, run(plain, tokens, e)), all_logits(prefixed, run(prefixed, tokens, e))));
}

TEST_CASE("GPT-2: the chosen layer's Trace is what the forward computed, bit for bit") {
  // The wide model (d_model 768, 12 heads, 70 tokens) is where the layer code
  // cuts its products into slices of 33 rows, which the forward must match.
  for (const std::string name : {"tiny_f32", "wide"}) {
    CAPTURE(name);
    const ap::Gpt2Model m = load(name);
    const std::vector<int> tokens = tokens_of(name);
    ap::Gpt2Edits edits = ap::gpt2_default_edits(m.config);
    ap::Gpt2Options o;
    o.keep_attention_outputs = true;
    const ap::Gpt2State s = run(m, tokens, edits, o);
    for (int l = 0; l < m.config.n_layer; ++l) {
      CAPTURE(l);
      ap::Gpt2ChosenLayer chosen;
      REQUIRE(ap::gpt2_choose_layer(m, s, l, {}, chosen).empty());
      const ap::Trace& t = chosen.trace;
      CHECK(t.n_q == int(tokens.size()));
      CHECK(t.d_model == m.config.n_embd);
      CHECK(t.n_heads == m.config.n_head);
      CHECK(t.outputs_ready);
      CHECK(t.q_tokens[0] == std::to_string(tokens[0]));
      for (int h = 0; h < m.config.n_head; ++h)
        CHECK(same_bits(t.heads[size_t(h)].weights, s.weights[size_t(l)][size_t(h)]));
      CHECK(same_bits(t.output, s.attention_out[size_t(l)]));
      // The layer's X is ln_1 of its input; every view reads the same tensors as for the playground's layer.
      CHECK(t.pipeline[0].formula == "X = ln_1(residual entering layer " + std::to_string(l) + ")");
      std::string error;
      CHECK(ap::find_matrix(t, "weights", 1, &error) != nullptr);
      // With the kept weights dropped, they are recomputed from the residual: the same bits.
      ap::Gpt2Options lean;
      lean.keep_weights_bytes = 0;
      const ap::Gpt2State s2 = run(m, tokens, edits, lean);
      CHECK_FALSE(s2.keep_weights);
      CHECK(s2.weights.empty());
      const std::vector<ap::Mat> again = ap::gpt2_attention(m, s2, l);
      REQUIRE(again.size() == size_t(m.config.n_head));
      for (int h = 0; h < m.config.n_head; ++h) CHECK(same_bits(again[size_t(h)], s.weights[size_t(l)][size_t(h)]));
    }
  }
}

TEST_CASE("GPT-2: an ablated head changes what follows it and nothing before") {
  const ap::Gpt2Model m = load("tiny_f32");
  const std::vector<int> tokens = tokens_of("tiny_f32");
  ap::Gpt2Options o;
  o.keep_attention_outputs = true;
  const ap::Gpt2State base = run(m, tokens, ap::gpt2_default_edits(m.config), o);
  ap::Gpt2Edits edits = ap::gpt2_default_edits(m.config);
  edits.ablated[1][2] = 1;
  const ap::Gpt2State ablated = run(m, tokens, edits, o);
  // Layers 0 and 1 read the same input; layer 1's weights come before the ablation.
  for (int l = 0; l <= 1; ++l) {
    CHECK(same_bits(ablated.residual[size_t(l)], base.residual[size_t(l)]));
    for (int h = 0; h < m.config.n_head; ++h)
      CHECK(same_bits(ablated.weights[size_t(l)][size_t(h)], base.weights[size_t(l)][size_t(h)]));
  }
  CHECK(same_bits(ablated.attention_out[0], base.attention_out[0]));
  CHECK_FALSE(same_bits(ablated.attention_out[1], base.attention_out[1]));
  CHECK_FALSE(same_bits(ablated.residual[2], base.residual[2]));
  CHECK_FALSE(same_bits(ablated.weights[2][0], base.weights[2][0]));
  // The logits against NumPy's forward with the same head zeroed (tolerance as above).
  const ap::Array ref = npy("tiny_f32/reference/ablated_logits.npy");
  const double err = max_error(all_logits(m, ablated), ref.values.data());
  const double moved = max_error(all_logits(m, base), ref.values.data());
  MESSAGE("ablated logits: error " << err << "; the unablated ones are " << moved << " away");
  CHECK(err < 1e-4);
  CHECK(moved > 1e-2);
  // The chosen layer shows the ablation where it happens: the head's context is
  // there, its columns of concat are zero, and the output is the forward's.
  ap::Gpt2ChosenLayer chosen;
  REQUIRE(ap::gpt2_choose_layer(m, ablated, 1, {}, chosen).empty());
  const int dh = m.config.d_head();
  CHECK(chosen.trace.concat.middleCols(2 * dh, dh).isZero(0));
  CHECK_FALSE(chosen.trace.heads[2].context.isZero(0));
  CHECK(same_bits(chosen.trace.output, ablated.attention_out[1]));
}

TEST_CASE("GPT-2: a restart from the edited layer equals a full run, bit for bit") {
  const ap::Gpt2Model m = load("tiny_f32");
  const std::vector<int> tokens = tokens_of("tiny_f32");
  ap::Gpt2Edits edits = ap::gpt2_default_edits(m.config);
  edits.layers[1].temperature = 2;
  edits.layers[1].window = 4;
  edits.ablated[2][0] = 1;
  const ap::Gpt2State full = run(m, tokens, edits);

  const ap::Gpt2Edits plain = ap::gpt2_default_edits(m.config);
  const auto same_state = [&](const ap::Gpt2State& s) {
    for (int l = 0; l <= m.config.n_layer; ++l) CHECK(same_bits(s.residual[size_t(l)], full.residual[size_t(l)]));
    for (int l = 0; l < m.config.n_layer; ++l)
      for (int h = 0; h < m.config.n_head; ++h)
        CHECK(same_bits(s.weights[size_t(l)][size_t(h)], full.weights[size_t(l)][size_t(h)]));
    CHECK(same_bits(all_logits(m, s), all_logits(m, full)));
  };
  SUBCASE("gpt2_forward finds the first edited layer") {
    ap::Gpt2State s = run(m, tokens, plain);
    CHECK(ap::first_edited_layer(plain, edits) == 1);
    ap::Plan restart, from_scratch;
    REQUIRE(ap::plan_gpt2_forward(m, tokens, edits, s, restart).empty());
    ap::Gpt2State fresh;
    REQUIRE(ap::plan_gpt2_forward(m, tokens, edits, fresh, from_scratch).empty());
    CHECK(restart.total() < 0.75 * from_scratch.total());  // layers 1 and 2 of 3, no embeddings
    restart.finish();
    from_scratch.finish();
    same_state(s);
    same_state(fresh);
  }
  SUBCASE("gpt2_run_from, explicitly") {
    ap::Gpt2State s = run(m, tokens, plain);
    CHECK(ap::gpt2_run_from(m, 2, edits, s) ==
          "layer 1's edits differ from those it ran with, so a restart must begin there, not at layer 2");
    REQUIRE(ap::gpt2_run_from(m, 1, edits, s).empty());
    same_state(s);
  }
  SUBCASE("an unchanged forward does nothing") {
    ap::Gpt2State s = run(m, tokens, edits);
    ap::Plan plan;
    REQUIRE(ap::plan_gpt2_forward(m, tokens, edits, s, plan).empty());
    CHECK(plan.done());
    same_state(s);
  }
}

TEST_CASE("GPT-2: logits only for the positions asked, and the top tokens") {
  const ap::Gpt2Model m = load("tiny_f32");
  const ap::Gpt2State s = run(m, tokens_of("tiny_f32"), ap::gpt2_default_edits(m.config));
  const ap::Mat all = all_logits(m, s);
  auto last = ap::gpt2_logits(m, s, {32, 5});
  REQUIRE(std::holds_alternative<ap::Mat>(last));
  const ap::Mat& rows = std::get<ap::Mat>(last);
  REQUIRE(rows.rows() == 2);
  // Each row is its position's, to float rounding (a product of other height may round otherwise).
  CHECK((rows.row(0) - all.row(32)).cwiseAbs().maxCoeff() < 1e-5);
  CHECK((rows.row(1) - all.row(5)).cwiseAbs().maxCoeff() < 1e-5);
  const auto top = ap::top_tokens(rows.data(), m.config.vocab_size, 10);
  REQUIRE(top.size() == 10);
  Eigen::Index best;
  rows.row(0).maxCoeff(&best);
  CHECK(top[0].token == int(best));
  double sum = 0;
  for (int v = 0; v < m.config.vocab_size; ++v) sum += std::exp(double(rows(0, v)) - double(top[0].logit));
  CHECK(top[0].probability == doctest::Approx(1.0 / sum).epsilon(1e-12));
  for (size_t i = 1; i < top.size(); ++i) CHECK(top[i].logit <= top[i - 1].logit);
  CHECK(std::get<std::string>(ap::gpt2_logits(m, s, {33})) == "position 33 is outside the 33 tokens (0 to 32)");
}

TEST_CASE("GPT-2: tokens past n_positions or the vocabulary, and bad edits, are refused") {
  const ap::Gpt2Model m = load("tiny_f32");
  const ap::Gpt2Edits edits = ap::gpt2_default_edits(m.config);
  ap::Gpt2State s;
  CHECK(ap::gpt2_forward(m, std::vector<int>(41, 7), edits, s) ==
        "41 tokens are more than the model's n_positions 40 (its position embeddings end there)");
  CHECK(ap::gpt2_forward(m, {}, edits, s) == "there are no tokens: the model needs at least one");
  CHECK(ap::gpt2_forward(m, {1, 300}, edits, s) == "token 1 is id 300, outside the vocabulary (0 to 299)");
  CHECK(ap::gpt2_forward(m, {1, -1}, edits, s) == "token 1 is id -1, outside the vocabulary (0 to 299)");
  CHECK(s.tokens.empty());                                                // nothing ran
  CHECK(ap::gpt2_forward(m, std::vector<int>(40, 7), edits, s).empty());  // exactly n_positions is fine

  ap::Gpt2Edits bad = edits;
  bad.layers[2].n_heads = 8;
  bad.layers[0].temperature = 0;
  bad.layers[1].custom_mask = {{1, 0}, {1, 1}};
  bad.layers[1].kv_cache = 3;
  const auto errors = ap::validate_gpt2_edits(m.config, 40, bad);
  REQUIRE(errors.size() == 4);
  CHECK(errors[0] == "layer 0: temperature must be a positive number between 1e-6 and 1e6 (got 0)");
  CHECK(errors[1] == "layer 1: kv_cache does not apply to a model's layer (got 3)");
  CHECK(errors[2] == "layer 1: custom_mask must have 40 rows of 40 entries, one per token");
  CHECK(errors[3] == "layer 2: n_heads must be the model's n_head 4 (got 8)");
  CHECK(ap::gpt2_forward(m, std::vector<int>(40, 7), bad, s) == errors[0]);
  ap::Gpt2ChosenLayer chosen;
  CHECK(ap::gpt2_choose_layer(m, s, 3, {}, chosen) == "layer 3 does not exist: the model has layers 0 to 2");
  CHECK(ap::gpt2_choose_layer(m, ap::Gpt2State{}, 0, {}, chosen) == "layer 0 has not been computed yet");
}

TEST_CASE("GPT-2: an edited layer's masks and scale are the playground's, and the trace shows them") {
  const ap::Gpt2Model m = load("tiny_f32");
  const std::vector<int> tokens = tokens_of("tiny_f32");
  ap::Gpt2Edits edits = ap::gpt2_default_edits(m.config);
  edits.layers[2].window = 3;
  edits.layers[2].scale = 0.5;
  const ap::Gpt2State s = run(m, tokens, edits);
  for (int r = 0; r < int(tokens.size()); ++r)
    for (int c = 0; c < int(tokens.size()); ++c) {
      const bool allowed = c <= r && r - c < 3;
      if (!allowed) REQUIRE(s.weights[2][0](r, c) == 0.0f);
      else REQUIRE(s.weights[2][0](r, c) > 0.0f);
    }
  ap::Gpt2ChosenLayer chosen;
  REQUIRE(ap::gpt2_choose_layer(m, s, 2, {}, chosen).empty());
  CHECK(chosen.trace.scale == 0.5f);
  CHECK(chosen.trace.blocked_by(0, 1) == ap::kBlockCausal);
  CHECK(chosen.trace.blocked_by(5, 1) == ap::kBlockWindow);
  // The default configs: GPT-2's scale, and 1/(layer + 1) more with scale_attn_by_inverse_layer_idx.
  CHECK(ap::gpt2_layer_config(m.config, 0).scale == doctest::Approx(0.25));
  CHECK(load("tiny_inverse_layer").config.scale_attn_by_inverse_layer_idx);
  ap::Gpt2Config inverse = m.config;
  inverse.scale_attn_by_inverse_layer_idx = true;
  CHECK(ap::gpt2_layer_config(inverse, 2).scale == doctest::Approx(0.25 / 3));
}

TEST_CASE("GPT-2: bad configs and mismatched weights are refused, naming what is wrong") {
  const std::string config = slurp(fixture_file("tiny_f32/config.json"));
  const std::string weights = slurp(fixture_file("tiny_f32/model.safetensors"));
  const auto with = [&](const std::string& key, const std::string& value) {
    std::string c = config;
    const size_t at = c.find("\"" + key + "\"");
    if (at == std::string::npos) return c.substr(0, c.rfind('}')) + ",\"" + key + "\": " + value + "}";
    const size_t colon = c.find(':', at), end = c.find_first_of(",\n}", colon);
    return c.substr(0, colon + 1) + " " + value + c.substr(end);
  };
  const auto error = [&](const std::string& cfg, const std::string& bytes) {
    auto r = ap::load_gpt2(cfg, bytes);
    REQUIRE(std::holds_alternative<std::string>(r));
    return std::get<std::string>(r);
  };
  CHECK(error(with("n_embd", "66"), weights) == "config.json: n_embd 66 is not divisible by n_head 4");
  CHECK(error(with("n_embd", "68"), weights) ==
        "wte.weight has shape (300, 64); config.json (vocab_size 300, n_embd 68) needs (300, 68)");
  CHECK(error(with("n_inner", "200"), weights) ==
        "h.0.mlp.c_fc.weight has shape (64, 256); config.json (n_embd 64, d_mlp 200) needs (64, 200)");
  CHECK(error(with("n_positions", "41"), weights) ==
        "wpe.weight has shape (40, 64); config.json (n_positions 41, n_embd 64) needs (41, 64)");
  CHECK(error(with("n_layer", "2"), weights) ==
        "model.safetensors has h.2.attn.c_attn.bias of layer 2, but config.json has n_layer 2 (layers 0 to 1)");
  CHECK(error(with("n_layer", "4"), weights) ==
        "model.safetensors has no tensor h.3.ln_1.weight (with or without the transformer. prefix)");
  CHECK(error(with("activation_function", "\"gelu\""), weights) ==
        "config.json: activation_function 'gelu' is not supported: this forward uses GELU's tanh approximation "
        "(gelu_new, gelu_pytorch_tanh or gelu_fast)");
  CHECK(error(with("model_type", "\"gpt_neo\""), weights) ==
        "config.json describes a 'gpt_neo' model (model_type), not GPT-2");
  CHECK(error(with("n_head", "128"), weights) == "config.json: n_head must be between 1 and 64 (got 128)");
  CHECK(error(with("n_layer", "\"3\""), weights) == "config.json: n_layer must be an integer, not \"3\"");
  CHECK(error(with("layer_norm_epsilon", "-1"), weights) ==
        "config.json: layer_norm_epsilon must be a number between 0 and 1 (got -1)");
  CHECK(error("{\"n_layer\": 3}", weights) == "config.json has no n_head");
  CHECK(error("[1, 2]", weights) == "config.json is not a JSON object");
  CHECK(error("{", weights) == "config.json is not valid JSON");
  CHECK(error(with("tie_word_embeddings", "false"), weights) ==
        "model.safetensors has no tensor lm_head.weight (with or without the transformer. prefix)");
  CHECK(error(config, weights.substr(0, weights.size() - 4)).rfind("model.safetensors: tensor", 0) == 0);

  // Tensors edited one at a time, rewritten by the core's own writer.
  const auto index = std::get<ap::SafetensorsIndex>(ap::parse_safetensors(weights));
  const auto rewrite = [&](const std::function<void(std::vector<std::pair<std::string, ap::SafetensorOut>>&)>& edit) {
    std::vector<std::pair<std::string, ap::SafetensorOut>> tensors;
    for (const auto& e : index.tensors)
      tensors.push_back({e.name, {e.shape, std::get<std::vector<float>>(ap::read_safetensor(weights, e)), "F32"}});
    edit(tensors);
    return ap::safetensors_bytes(tensors);
  };
  CHECK(error(config, rewrite([](auto& t) { t.erase(t.begin()); })) ==  // the first name in order: h.0.attn.c_attn.bias
        "model.safetensors has no tensor h.0.attn.c_attn.bias (with or without the transformer. prefix)");
  CHECK(error(config, rewrite([](auto& t) {
                for (auto& [name, v] : t)
                  if (name == "h.1.attn.c_proj.weight") v.shape = {32, 128};
              })) == "h.1.attn.c_proj.weight has shape (32, 128); config.json (n_embd 64) needs (64, 64)");
  CHECK(error(config, rewrite([](auto& t) {
                for (auto& [name, v] : t)
                  if (name == "wte.weight") t.push_back({"transformer.wte.weight", v});
              })) == "model.safetensors holds both wte.weight and transformer.wte.weight");
  CHECK(error(config, rewrite([](auto& t) {
                ap::SafetensorOut head;
                for (auto& [name, v] : t)
                  if (name == "wte.weight") head = v;
                head.values[7] += 1;
                t.push_back({"lm_head.weight", head});
              })) ==
        "lm_head.weight differs from wte.weight, but config.json ties them (tie_word_embeddings is true): set "
        "it to false to use lm_head.weight");
  // An untied head is used as the unembedding; unknown tensors are noted and skipped.
  const std::string untied = rewrite([](auto& t) {
    ap::SafetensorOut head;
    for (auto& [name, v] : t)
      if (name == "wte.weight") head = v;
    for (float& v : head.values) v = -v;
    t.push_back({"lm_head.weight", head});
    t.push_back({"score.weight", {{2, 64}, std::vector<float>(128, 1.0f), "F32"}});
  });
  auto r = ap::load_gpt2(with("tie_word_embeddings", "false"), untied);
  REQUIRE(std::holds_alternative<ap::Gpt2Model>(r));
  const ap::Gpt2Model m = std::move(std::get<ap::Gpt2Model>(r));
  REQUIRE(m.notes.size() == 1);
  CHECK(m.notes[0] == "1 tensors that a GPT-2 language model does not use were skipped: score.weight");
  const ap::Gpt2Model tied = load("tiny_f32");
  const std::vector<int> tokens = tokens_of("tiny_f32");
  const ap::Mat negated = all_logits(m, run(m, tokens, ap::gpt2_default_edits(m.config)));
  const ap::Mat logits = all_logits(tied, run(tied, tokens, ap::gpt2_default_edits(tied.config)));
  CHECK((negated + logits).cwiseAbs().maxCoeff() < 1e-4);  // −wte as the head negates every logit
}

TEST_CASE("GPT-2: the true sizes of gpt2, distilgpt2 and gpt2-medium, and their memory") {
  // config.json as the hub serves them (their keys that matter, and some that do not).
  const auto config = [](int layers, int embd, int heads) {
    return "{\"activation_function\": \"gelu_new\", \"architectures\": [\"GPT2LMHeadModel\"], \"attn_pdrop\": 0.1, "
           "\"bos_token_id\": 50256, \"embd_pdrop\": 0.1, \"eos_token_id\": 50256, \"initializer_range\": 0.02, "
           "\"layer_norm_epsilon\": 1e-05, \"model_type\": \"gpt2\", \"n_ctx\": 1024, \"n_embd\": " +
           std::to_string(embd) + ", \"n_head\": " + std::to_string(heads) +
           ", \"n_inner\": null, \"n_layer\": " + std::to_string(layers) +
           ", \"n_positions\": 1024, \"resid_pdrop\": 0.1, \"summary_activation\": null, \"summary_type\": "
           "\"cls_index\", \"task_specific_params\": {\"text-generation\": {\"do_sample\": true, \"max_length\": "
           "50}}, \"vocab_size\": 50257}";
  };
  struct Known {
    const char* name;
    int layers, embd, heads;
    int64_t params;
  };
  for (const Known& k : {Known{"gpt2", 12, 768, 12, 124439808}, Known{"distilgpt2", 6, 768, 12, 81912576},
                         Known{"gpt2-medium", 24, 1024, 16, 354823168}}) {
    CAPTURE(std::string(k.name));
    auto r = ap::parse_gpt2_config(config(k.layers, k.embd, k.heads));
    REQUIRE(std::holds_alternative<ap::Gpt2Config>(r));
    const ap::Gpt2Config& c = std::get<ap::Gpt2Config>(r);
    CHECK(c.n_inner == 4 * k.embd);
    CHECK(ap::gpt2_parameters(c) == k.params);
    CHECK(ap::gpt2_weight_bytes(c) >= size_t(k.params) * 4);
    CHECK(ap::gpt2_weight_bytes(c) < size_t(k.params) * 4 + (size_t(1) << 20));
    for (int n : {64, 256, 1024}) {
      const ap::Gpt2Memory mem = ap::gpt2_memory(c, n);
      MESSAGE(std::string(k.name) << " at n = " << n << ": weights " << mem.weights / 1e6 << " MB, residuals "
                                  << mem.residuals / 1e6 << " MB, kept attention " << mem.attention / 1e6
                                  << " MB, scratch " << mem.scratch / 1e6 << " MB, chosen layer "
                                  << mem.chosen_layer / 1e6 << " MB: total " << mem.total() / 1e6 << " MB");
    }
    CHECK(ap::gpt2_memory(c, 1024).attention == 0);  // too large to keep: recomputed per layer
  }
  const ap::Gpt2Config small = std::get<ap::Gpt2Config>(ap::parse_gpt2_config(config(12, 768, 12)));
  CHECK(ap::gpt2_memory(small, 256).attention == 12u * 12 * 256 * 256 * 4);
  CHECK(ap::gpt2_weights_fit(small, size_t(512) << 20).empty());
  CHECK(ap::gpt2_weights_fit(small, size_t(256) << 20) ==
        "this model's 124439808 parameters need 475 MiB as float32; the limit is 256 MiB");

  // The estimate against what a forward holds, on the tiny model.
  const ap::Gpt2Model m = load("tiny_f32");
  const ap::Gpt2State s = run(m, tokens_of("tiny_f32"), ap::gpt2_default_edits(m.config));
  const ap::Gpt2Memory mem = ap::gpt2_memory(m.config, 33);
  CHECK(m.bytes() == mem.weights);
  CHECK(double(s.bytes()) == doctest::Approx(double(mem.residuals + mem.attention + mem.scratch)).epsilon(0.02));
}
