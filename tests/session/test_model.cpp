// A real GPT-2 in the session (web/session/model.h), natively: loading it as
// the page does (config.json, the tokenizer's files, model.safetensors in
// chunks), its chosen layer as the session's trace, the prediction, edits and
// ablations with their effects, sampling, the heads' behaviour, bad input,
// and unloading. The model is the reference fixture's tiny_vocab (GPT-2's real
// vocabulary, random weights: tests/reference/gpt2_numpy.py), checked against
// that script's float64 NumPy forward.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include "gpt2_fixture.h"
#include "model/gpt2_forward.h"
#include "session/api.h"
#include "session/link.h"
#include "session/session.h"

namespace {

using gpt2_fixture::npy;
using gpt2_fixture::read;

std::string reference_text() { return read("tiny_vocab/reference/text.txt"); }

// A session on the reference text, as the page starts one.
web::Session started() {
  web::Session s;
  s.panel_keys = {"heads", "model"};
  ap::Config c;
  c.text = reference_text();
  REQUIRE(web::apply_config(s, c).empty());
  return s;
}

// Loads a model folder of the fixture as the page does: model.safetensors in `chunk`-byte pieces.
std::string load(web::Session& s, const std::string& folder, size_t chunk = 1 << 20) {
  const std::string weights = read(folder + "/model.safetensors");
  if (auto e = web::begin_model_load(s, folder, read(folder + "/config.json"), weights.size()); !e.empty()) return e;
  for (const char* f : {"vocab.json", "merges.txt"})
    if (auto e = web::add_model_file(s, f, read("tiny_vocab/" + std::string(f))); !e.empty()) return e;
  for (size_t at = 0; at < weights.size(); at += chunk)
    if (auto e = web::feed_model_weights(s, weights.data() + at, std::min(chunk, weights.size() - at)); !e.empty())
      return e;
  return web::finish_model_load(s);
}

void settle(web::Session& s) {
  for (int i = 0; i < 10000 && web::busy(s); ++i) web::begin_frame(s);
  REQUIRE_FALSE(web::busy(s));
}

// The reference logits of the last token: [vocab] of a [n x vocab] array.
std::vector<double> last_row(const ap::Array& logits) {
  const size_t vocab = size_t(logits.shape[1]), n = size_t(logits.shape[0]);
  return std::vector<double>(logits.values.begin() + long((n - 1) * vocab), logits.values.begin() + long(n * vocab));
}

// The reference's log-probabilities, from its float64 logits.
std::vector<double> log_softmax(const std::vector<double>& logits) {
  const double top = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (double v : logits) sum += std::exp(v - top);
  std::vector<double> out;
  for (double v : logits) out.push_back(v - top - std::log(sum));
  return out;
}

std::string config_json(int n_layer, int n_head, int n_embd, int vocab = 50257) {
  return "{\"model_type\": \"gpt2\", \"n_layer\": " + std::to_string(n_layer) +
         ", \"n_head\": " + std::to_string(n_head) + ", \"n_embd\": " + std::to_string(n_embd) +
         ", \"vocab_size\": " + std::to_string(vocab) + ", \"n_positions\": 1024}";
}

}  // namespace

TEST_CASE("model session: a loaded GPT-2 shows its layer and predicts what NumPy's forward predicts") {
  web::Session s = started();
  REQUIRE(load(s, "tiny_vocab", 100000) == "");
  settle(s);
  REQUIRE(s.model);
  const web::ModelSession& m = *s.model;
  // The text is read by GPT-2's tokenizer: the reference's ids (gpt-3-encoder's, via the fixture).
  const ap::Array tokens = npy("tiny_vocab/reference/tokens.npy");
  CHECK(m.tokens == std::vector<int>(tokens.values.begin(), tokens.values.end()));
  const int n = int(m.tokens.size());
  // The session's trace is layer 0's: GPT-2's sizes, its tokens as labels, the weights NumPy computed.
  CHECK(s.trace.n_q == n);
  CHECK(s.trace.n_heads == 4);
  CHECK(s.trace.d_model == 64);
  CHECK(s.trace.q_tokens == m.token_text);
  CHECK(s.config.text == reference_text());
  // Tolerances as in tests/test_gpt2.cpp (float32 against float64): weights 2e-5, logits 1e-5 of the largest.
  for (int layer : {1, 0}) {
    CAPTURE(layer);
    REQUIRE(web::choose_model_layer(s, layer) == "");
    settle(s);
    const ap::Array ref = npy("tiny_vocab/reference/weights_" + std::to_string(layer) + ".npy");
    for (int h = 0; h < 4; ++h)
      CHECK(gpt2_fixture::max_error(s.trace.heads[size_t(h)].weights, ref.values.data() + size_t(h * n * n)) < 2e-5);
  }
  const std::vector<double> ref_logits = last_row(npy("tiny_vocab/reference/logits.npy"));
  const std::vector<double> ref_logprob = log_softmax(ref_logits);
  const double scale = std::abs(*std::max_element(ref_logits.begin(), ref_logits.end(),
                                                  [](double a, double b) { return std::abs(a) < std::abs(b); }));
  const web::Prediction& p = m.prediction;
  REQUIRE(p.top.size() == 10);
  CHECK(p.position == n - 1);
  for (size_t i = 0; i < p.top.size(); ++i) {
    CHECK(std::abs(p.top[i].logit - ref_logits[size_t(p.top[i].token)]) < 1e-5 * scale);
    CHECK(std::abs(p.logprob[i] - ref_logprob[size_t(p.top[i].token)]) < 1e-4);
    if (i > 0) CHECK(p.top[i].probability <= p.top[i - 1].probability);
  }
  // The reference's most likely token is the prediction's (unless two are within the tolerance).
  const int ref_best = int(std::max_element(ref_logits.begin(), ref_logits.end()) - ref_logits.begin());
  if (std::abs(ref_logits[size_t(ref_best)] - p.top[1].logit) > 1e-4 * scale) CHECK(p.top[0].token == ref_best);
  CHECK(p.unedited_logprob.empty());  // nothing is edited

  // Every other position's prediction, on demand.
  const web::Prediction* first = web::model_prediction_at(s, 0);
  REQUIRE(first);
  CHECK(first->position == 0);
  const ap::Array all = npy("tiny_vocab/reference/logits.npy");
  const std::vector<double> ref0(all.values.begin(), all.values.begin() + 50257);
  CHECK(std::abs(first->top[0].logit - *std::max_element(ref0.begin(), ref0.end())) < 1e-5 * scale);
}

TEST_CASE("model session: an ablation matches NumPy's and shows its effect on the prediction") {
  web::Session s = started();
  REQUIRE(load(s, "tiny_vocab") == "");
  settle(s);
  const web::Prediction before = s.model->prediction;
  REQUIRE(web::ablate_model_head(s, 1, 2, true) == "");
  settle(s);
  const web::ModelSession& m = *s.model;
  const std::vector<double> ref = last_row(npy("tiny_vocab/reference/ablated_logits.npy"));
  double scale = 0;
  for (double v : ref) scale = std::max(scale, std::abs(v));
  for (const auto& t : m.prediction.top) CHECK(std::abs(t.logit - ref[size_t(t.token)]) < 1e-5 * scale);
  // The effect: each top token's log-probability without the ablation, and the unedited top 10.
  REQUIRE(m.prediction.unedited_logprob.size() == m.prediction.top.size());
  const std::vector<double> plain = log_softmax(last_row(npy("tiny_vocab/reference/logits.npy")));
  for (size_t i = 0; i < m.prediction.top.size(); ++i)
    CHECK(std::abs(m.prediction.unedited_logprob[i] - plain[size_t(m.prediction.top[i].token)]) < 1e-4);
  REQUIRE(m.prediction.unedited_top.size() == before.top.size());
  for (size_t i = 0; i < before.top.size(); ++i) CHECK(m.prediction.unedited_top[i].token == before.top[i].token);
  // Layer 1's own weights come before the ablation: unchanged; there is no later layer in a 2-layer model.
  REQUIRE(m.attention_change.size() == 2);
  for (double d : m.attention_change[1]) CHECK(d == 0);
  // Restored, the prediction is the first one again, bit for bit.
  REQUIRE(web::ablate_model_head(s, 1, 2, false) == "");
  settle(s);
  for (size_t i = 0; i < before.top.size(); ++i) {
    CHECK(s.model->prediction.top[i].token == before.top[i].token);
    CHECK(s.model->prediction.top[i].logit == before.top[i].logit);
  }
  CHECK(s.model->prediction.unedited_logprob.empty());
  CHECK(web::ablate_model_head(s, 2, 0, true).find("layers 0 to 1") != std::string::npos);
}

TEST_CASE("model session: the controls edit the chosen layer; the model's own sizes are refused") {
  web::Session s = started();
  REQUIRE(load(s, "tiny_vocab") == "");
  settle(s);
  ap::Config c = web::target_config(s);
  c.d_model = 128;
  auto errors = web::apply_config(s, c);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("d_model is tiny_vocab's own") != std::string::npos);
  // A sliding window on layer 0 changes layer 1's attention and the prediction.
  c = web::target_config(s);
  c.window = 2;
  REQUIRE(web::apply_config(s, c).empty());
  settle(s);
  const web::ModelSession& m = *s.model;
  CHECK(m.edits.layers[0].window == 2);
  CHECK(m.edits.layers[1].window == 0);
  CHECK(s.config.window == 2);
  CHECK(s.trace.blocked_by.size() > 0);
  REQUIRE(m.attention_change.size() == 2);
  double moved = 0;
  for (double d : m.attention_change[1]) moved = std::max(moved, d);
  CHECK(moved > 1e-3);
  CHECK(m.prediction.unedited_logprob.size() == 10);
  // Attention to the future (causal off), and a key blocked by a painted mask.
  c = web::target_config(s);
  c.window = 0;
  c.causal = false;
  const int n = int(s.model->tokens.size());
  c.custom_mask.assign(size_t(n), std::vector<uint8_t>(size_t(n), 1));
  for (auto& row : c.custom_mask) row[2] = 0;
  REQUIRE(web::apply_config(s, c).empty());
  settle(s);
  CHECK(s.trace.allowed(0, n - 1) == 1);  // the first query sees the last key
  for (int q = 0; q < n; ++q) CHECK(s.trace.heads[0].weights(q, 2) == 0);
  c.custom_mask.assign(3, std::vector<uint8_t>(3, 1));  // not the model's n x n
  CHECK_FALSE(web::apply_config(s, c).empty());
  c = web::target_config(s);
  c.causal = true;
  c.custom_mask.clear();
  c.window = 2;
  REQUIRE(web::apply_config(s, c).empty());
  settle(s);
  // Layer 1 shows its own, unedited config; layer 0's edit stays.
  REQUIRE(web::choose_model_layer(s, 1) == "");
  settle(s);
  CHECK(s.config.window == 0);
  CHECK(web::target_config(s).window == 0);
  // A new text is read by GPT-2's tokenizer; past n_positions (64) it is refused, naming it.
  c = web::target_config(s);
  c.text = "The cat sat on the mat.";
  REQUIRE(web::apply_config(s, c).empty());
  settle(s);
  CHECK(s.model->tokens.size() == 7);
  CHECK(s.trace.q_tokens[1] == "␣cat");
  c.text.clear();
  for (int i = 0; i < 70; ++i) c.text += " word";
  errors = web::apply_config(s, c);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "the text is 70 tokens; tiny_vocab reads at most n_positions = 64");
  CHECK(s.model->tokens.size() == 7);
  // Edits cleared: the unedited prediction again.
  web::clear_model_edits(s);
  settle(s);
  CHECK(s.model->edits == ap::gpt2_default_edits(s.model->model.config));
}

TEST_CASE("model session: sampling appends a token; top_k 1 is the most likely one") {
  web::Session s = started();
  REQUIRE(load(s, "tiny_vocab") == "");
  settle(s);
  const size_t n = s.model->tokens.size();
  const int best = s.model->prediction.top[0].token;
  s.model->sampling.top_k = 1;
  CHECK(web::append_sampled_token(s) == best);
  settle(s);
  CHECK(s.model->tokens.size() == n + 1);
  CHECK(s.model->tokens.back() == best);
  CHECK(s.trace.n_q == int(n) + 1);
  CHECK(s.config.text == s.model->tokenizer->decode(s.model->tokens));
  s.model->sampling.temperature = 0;
  CHECK(web::append_sampled_token(s) == -1);
  CHECK(s.notes.back().find("temperature must be above 0") != std::string::npos);
}

TEST_CASE("model session: every head's behaviour is measured on repeated random tokens") {
  web::Session s = started();
  REQUIRE(load(s, "tiny_vocab") == "");
  settle(s);
  while (!web::advance_model_behaviour(s, 5)) {}
  const web::BehaviourTable& t = *s.model->behaviour;
  CHECK(t.half == 31);  // (n_positions 64 - 1) / 2: <|endoftext|> and the half twice
  CHECK(t.tokens.size() == 63);
  CHECK(t.tokens[0] == 50256);
  REQUIRE(t.scores.size() == 2);
  for (const auto& layer : t.scores) {
    REQUIRE(layer.size() == 4);
    for (const auto& head : layer)
      for (const auto& score : head) {
        REQUIRE(score.has_value());
        CHECK(*score >= 0);
        CHECK(*score <= 1);
      }
  }
}

TEST_CASE("model session: models that cannot fit are refused before their download") {
  // gpt2-medium (24 layers of 1024) fits beside the page; gpt2-large (36 of 1280) does not.
  web::ModelCheck medium = web::check_model(config_json(24, 16, 1024));
  CHECK(medium.error == "");
  CHECK(medium.parameters == 354823168);
  web::ModelCheck large = web::check_model(config_json(36, 20, 1280));
  CHECK(large.error.find("the limit is") != std::string::npos);
  CHECK(web::check_model("{\"model_type\": \"bert\"}").error.find("bert") != std::string::npos);
  web::Session s = started();
  CHECK(web::begin_model_load(s, "big", config_json(36, 20, 1280), 0) == large.error);
  CHECK_FALSE(s.loading);
}

TEST_CASE("model session: a bad or interrupted file keeps what was loaded") {
  web::Session s = started();
  const ap::Config playground = s.config;
  // No tokenizer: refused, the playground stays.
  const std::string weights = read("tiny_vocab/model.safetensors");
  REQUIRE(web::begin_model_load(s, "x", read("tiny_vocab/config.json"), weights.size()) == "");
  REQUIRE(web::feed_model_weights(s, weights.data(), weights.size()) == "");
  CHECK(web::finish_model_load(s).find("tokenizer is missing") != std::string::npos);
  CHECK_FALSE(s.model);
  CHECK(s.config == playground);
  // Loaded, then a truncated file: refused, the model stays.
  REQUIRE(load(s, "tiny_vocab") == "");
  settle(s);
  const std::vector<int> tokens = s.model->tokens;
  REQUIRE(web::begin_model_load(s, "cut", read("tiny_vocab/config.json"), 0) == "");
  for (const char* f : {"vocab.json", "merges.txt"})
    REQUIRE(web::add_model_file(s, f, read("tiny_vocab/" + std::string(f))) == "");
  REQUIRE(web::feed_model_weights(s, weights.data(), weights.size() / 2) == "");
  CHECK(web::finish_model_load(s) != "");
  REQUIRE(s.model);
  CHECK(s.model->name == "tiny_vocab");
  CHECK(s.model->tokens == tokens);
  // More bytes than announced are refused as they come.
  REQUIRE(web::begin_model_load(s, "long", read("tiny_vocab/config.json"), 10) == "");
  CHECK(web::add_model_file(s, "model.bin", "x").find("not a tokenizer file") != std::string::npos);
  CHECK(web::feed_model_weights(s, weights.data(), 11) != "");
  CHECK_FALSE(s.loading);  // a file that failed cannot be continued
  CHECK(s.model->name == "tiny_vocab");
}

TEST_CASE("model session: unloading returns to the playground's own layer") {
  web::Session s = started();
  ap::Config playground = s.config;
  REQUIRE(load(s, "tiny_vocab") == "");
  settle(s);
  CHECK(s.trace.d_model == 64);
  web::unload_model(s);
  CHECK_FALSE(s.model);
  CHECK(s.config == playground);
  CHECK(s.trace.d_model == playground.d_model);
  CHECK(s.trace.q_tokens == started().trace.q_tokens);  // the playground's own tokenizer again
}

TEST_CASE("model session: the JS API's answers (setConfig with layer, ablate and layers; prediction; modelEdit)") {
  web::Session s = started();
  REQUIRE(load(s, "tiny_vocab") == "");
  settle(s);
  using nlohmann::json;
  json info = web::api::model_info(s);
  CHECK(info["layers"] == 2);
  CHECK(info["heads"] == 4);
  CHECK(info["n_positions"] == 64);
  CHECK(info["parameters"] == ap::gpt2_parameters(s.model->model.config));
  // One call: layer 1 chosen with a window, head 0.3 ablated, layer 0 with a temperature.
  json r =
      web::api::set_config(s, R"({"layer": 1, "window": 3, "ablate": ["0.3"], "layers": {"0": {"temperature": 2}}})");
  REQUIRE_MESSAGE(r["ok"] == true, r.dump());
  settle(s);
  CHECK(s.model->layer == 1);
  CHECK(s.config.window == 3);
  CHECK(s.model->edits.layers[0].temperature == 2);
  CHECK(s.model->edits.ablated[0][3] == 1);
  CHECK(web::api::model_info(s)["ablated"] == json::array({"0.3"}));
  json p = web::api::prediction(s, -1);
  REQUIRE(p["tokens"].size() == 10);
  CHECK(p["uneditedLogprobs"].size() == 10);
  CHECK(p["position"] == int(s.model->tokens.size()) - 1);
  // Errors change nothing.
  for (const char* bad : {R"({"layer": 2})", R"({"ablate": ["1.9"]})", R"({"layers": {"x": {}}})", R"({"d_model": 8})",
                          R"({"window": -1})"}) {
    CAPTURE(bad);
    r = web::api::set_config(s, bad);
    CHECK(r["ok"] == false);
    CHECK(s.model->layer == 1);
    CHECK(s.config.window == 3);
  }
  CHECK(web::api::prediction(s, 999).contains("error"));
  // Any layer's tensor, the chosen one's by default.
  std::vector<float> data;
  json t = web::api::model_tensor(s, "weights", 2, 0, data);
  REQUIRE_FALSE(t.contains("error"));
  const int n = int(s.model->tokens.size());
  CHECK(t["shape"] == json::array({n, n}));
  CHECK(data[0] == 1.0f);  // the first query sees only itself (causal)
  // modelEdit: the behaviour table, then clearing every edit.
  json b = web::api::model_edit(s, R"({"action": "behaviour"})");
  REQUIRE(b["behaviour"].contains("induction"));
  CHECK(b["behaviour"]["previous"].size() == 2);
  b = web::api::model_edit(s, R"({"action": "clear"})");
  settle(s);
  CHECK(b["info"]["ablated"].empty());
  CHECK(web::api::model_edit(s, R"({"action": "fly"})")["error"].get<std::string>().find("unknown action") == 0);
  CHECK(web::api::model_check("{").value("ok", true) == false);
}

TEST_CASE("model session: the link records the model, its layer and ablations, and asks before loading") {
  web::Session s = started();
  REQUIRE(load(s, "tiny_vocab") == "");
  settle(s);
  REQUIRE(web::ablate_model_head(s, 1, 2, true) == "");
  REQUIRE(web::choose_model_layer(s, 1) == "");
  ap::Config c = web::target_config(s);
  c.window = 4;
  REQUIRE(web::apply_config(s, c).empty());
  settle(s);
  const std::string link = web::current_link(s);
  CHECK(link.find("model=tiny_vocab") != std::string::npos);
  CHECK(link.find("layer=1") != std::string::npos);
  CHECK(link.find("ablate=1.2") != std::string::npos);
  // A fresh page: the link asks for the model first, and applies the rest once it has loaded.
  web::Session t = started();
  web::apply_link(t, link);
  CHECK_FALSE(t.model);
  CHECK(t.fetch.link_repo == "tiny_vocab");
  CHECK(t.view.panel == "model");
  REQUIRE(load(t, "tiny_vocab") == "");
  settle(t);
  CHECK(t.model->layer == 1);
  CHECK(t.model->edits.ablated[1][2] == 1);
  CHECK(t.config.window == 4);
  CHECK(t.model->edits == s.model->edits);
  CHECK(t.model->text == s.model->text);
  // A link without a model is the playground's: the model is unloaded.
  web::apply_link(t, "d_model=32");
  CHECK_FALSE(t.model);
  CHECK(t.config.d_model == 32);
  web::apply_link(t, "model=../etc");
  CHECK(t.notes.back().find("not a repo id") != std::string::npos);
}

TEST_CASE("model session: an edit after the chosen layer keeps its trace; one at it makes it again") {
  web::Session s = started();
  REQUIRE(load(s, "tiny_vocab") == "");
  settle(s);
  const ap::Mat output = s.trace.output;
  const float* held = s.trace.output.data();
  const uint64_t generation = s.generation;
  REQUIRE(web::ablate_model_head(s, 1, 0, true) == "");  // after layer 0, the chosen one
  settle(s);
  CHECK(s.trace.output.data() == held);  // the same trace, not made again
  CHECK(s.generation > generation);      // but a new generation: the model view's later layers changed
  CHECK(s.model->prediction.unedited_logprob.size() == 10);
  REQUIRE(web::choose_model_layer(s, 1) == "");
  settle(s);
  const int dh = s.trace.d_head;
  CHECK(s.trace.concat.middleCols(0, dh).isZero(0));     // layer 1's trace shows its ablated head 0
  REQUIRE(web::ablate_model_head(s, 1, 1, true) == "");  // at the chosen layer: made again
  settle(s);
  CHECK(s.trace.concat.middleCols(dh, dh).isZero(0));
  REQUIRE(web::choose_model_layer(s, 0) == "");
  settle(s);
  CHECK(s.trace.output == output);  // layer 0 is as it was: nothing before it changed
}
