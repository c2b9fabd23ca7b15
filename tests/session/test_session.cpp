// The session layer (web/session/), natively: the recompute scheduler, links,
// imports and exports, reset, and the JS API's answers, without a browser.
#include <doctest/doctest.h>

#include <cstring>

#include "config/json.h"
#include "io/npy.h"
#include "session/api.h"
#include "session/files.h"
#include "session/link.h"
#include "session/session.h"

namespace {

// A session as the page starts one: the registry's keys and the first trace.
web::Session started(const ap::Config& c = {}) {
  web::Session s;
  s.panel_keys = {"heads", "compare", "tensors", "train"};
  REQUIRE(web::apply_config(s, c).empty());
  return s;
}

// A config large enough to be computed over several slices.
ap::Config large() {
  ap::Config c;
  c.text.clear();
  for (int i = 0; i < 300; ++i) c.text += "w" + std::to_string(i % 37) + " ";
  c.d_model = 768;
  c.n_heads = 12;
  return c;
}

bool same_bits(const ap::Mat& a, const ap::Mat& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(float) * size_t(a.size())) == 0;
}

// Runs the session's frames (a slice each) until nothing is pending; returns how many.
int frames_until_idle(web::Session& s) {
  int frames = 0;
  while (web::busy(s) && frames < 100000) web::advance(s, web::kSliceMs), ++frames;
  return frames;
}

}  // namespace

TEST_CASE("session: a small config is computed at once, outputs included") {
  web::Session s = started();
  CHECK(s.generation == 1);
  CHECK(!web::busy(s));
  CHECK(s.trace.outputs_ready);
  ap::Config c = s.config;
  c.seed = 7;
  REQUIRE(web::apply_config(s, c).empty());
  CHECK(s.generation == 2);
  CHECK(!web::busy(s));
  CHECK(s.config == c);
}

TEST_CASE("session: a large config is computed in slices, weights first, and equals run() bit for bit") {
  web::Session s = started();
  const ap::Config big = large();
  REQUIRE(web::apply_config(s, big).empty());
  REQUIRE(s.pending);        // not at once: the page keeps drawing
  CHECK(s.generation == 1);  // the old trace is still the one shown
  CHECK(web::target_config(s) == big);
  int slices = 0;
  while (s.pending) web::advance(s, web::kSliceMs), ++slices;
  CHECK(slices > 1);
  CHECK(s.generation == 2);
  CHECK(s.config == big);
  // The weights came in before the outputs that follow from them.
  CHECK(s.finishing);
  CHECK(!s.trace.outputs_ready);
  const int more = frames_until_idle(s);
  CHECK(more >= 1);
  CHECK(s.trace.outputs_ready);
  const ap::Trace ref = ap::run(big, ap::make_inputs(big));
  for (int h = 0; h < ref.n_heads; ++h)
    CHECK(same_bits(s.trace.heads[size_t(h)].weights, ref.heads[size_t(h)].weights));
  CHECK(same_bits(s.trace.output, ref.output));
}

TEST_CASE("session: an edit during a pending recompute replaces it") {
  web::Session s = started();
  ap::Config a = large(), b = large();
  b.seed = 99;
  REQUIRE(web::apply_config(s, a).empty());
  web::advance(s, 1);  // a slice of a's work
  REQUIRE(s.pending);
  REQUIRE(web::apply_config(s, b).empty());
  CHECK(web::target_config(s) == b);
  frames_until_idle(s);
  CHECK(s.config == b);
  CHECK(s.generation == 2);  // a was never shown
  // Back to what is shown cancels a pending edit.
  REQUIRE(web::apply_config(s, a).empty());
  REQUIRE(s.pending);
  REQUIRE(web::apply_config(s, b).empty());
  CHECK(!s.pending);
}

TEST_CASE("session: an attention-only edit keeps the projections and redoes the weights") {
  web::Session s = started();
  const ap::Mat q = s.trace.q_proj;
  ap::Config c = s.config;
  c.causal = true;
  REQUIRE(web::apply_config(s, c).empty());
  CHECK(same_bits(s.trace.q_proj, q));
  CHECK(s.trace.heads[0].weights(0, 1) == 0.0f);  // causal: the first query sees one key
  const ap::Trace ref = ap::run(c, ap::make_inputs(c));
  CHECK(same_bits(s.trace.heads[0].weights, ref.heads[0].weights));
}

TEST_CASE("session: invalid configs change nothing and say why") {
  web::Session s = started();
  ap::Config bad = s.config;
  bad.n_heads = 5;
  const auto errors = web::apply_config(s, bad);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "d_model 64 is not divisible by 5 heads: d_head would be 12.8");
  CHECK(s.config == ap::Config{});
  const auto reply = web::api::set_config(s, R"({"n_heads": 5})");
  CHECK(reply["ok"] == false);
  CHECK(reply["errors"][0] == errors[0]);
  CHECK(web::api::set_config(s, R"({"causal": true})")["ok"] == true);
  CHECK(s.config.causal);
}

TEST_CASE("session: links round trip the config and the view; bad keys become notes") {
  web::Session s = started();
  ap::Config c = s.config;
  c.text = "Le chat & le chien = amis";
  c.causal = true;
  c.n_heads = 8;
  REQUIRE(web::apply_config(s, c).empty());
  REQUIRE(web::open_panel(s, "tensors"));
  s.view.head = 5;
  s.view.tensor = "masked_scores";
  const std::string link = web::current_link(s);

  web::Session t = started();
  web::apply_link(t, "#" + link);
  CHECK(t.notes.empty());
  CHECK(t.config == c);
  CHECK(t.view.panel == "tensors");
  CHECK(t.view.head == 5);
  CHECK(t.view.tensor == "masked_scores");
  CHECK(web::current_link(t) == link);

  web::apply_link(t, "panel=nowhere&head=x&tensor=nope&n_heads=3");
  CHECK(t.notes.size() == 4);
  CHECK(t.config == ap::Config{});  // what could not be used was left at the defaults
}

TEST_CASE("session: imports replace what they name, exports read the trace") {
  web::Session s = started();
  const int n = s.trace.n_q, d = s.trace.d_model;
  ap::Array x{ap::DType::F32, {n, d}, std::vector<double>(size_t(n * d), 0.25)};
  CHECK(web::import_file(s, "x", ap::npy_bytes(x)) == "");
  CHECK(s.trace.x_q(0, 0) == 0.25f);
  CHECK(s.trace.x_q(n - 1, d - 1) == 0.25f);
  // A file of the wrong shape is refused and changes nothing.
  ap::Array wrong{ap::DType::F32, {2, 3}, std::vector<double>(6, 1.0)};
  const std::string error = web::import_file(s, "q", ap::npy_bytes(wrong));
  CHECK(error.find("q.npy") != std::string::npos);
  CHECK(!s.imported.q);
  CHECK(web::import_file(s, "w", ap::npy_bytes(x)) ==
        "name the file x.npy, q.npy, k.npy or v.npy: the name says what it replaces");

  const web::ExportFile f = web::export_file(s, "npy", "weights", 1);
  REQUIRE(f.error.empty());
  CHECK(f.name == "weights_head1.npy");
  auto parsed = ap::parse_npy(f.bytes);
  REQUIRE(std::holds_alternative<ap::Array>(parsed));
  const ap::Array& w = std::get<ap::Array>(parsed);
  CHECK(w.shape == std::vector<int64_t>{n, n});
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) CHECK(float(w.values[size_t(i * n + j)]) == s.trace.heads[1].weights(i, j));
  CHECK(web::export_file(s, "config", "", 0).bytes == ap::config_to_json(s.config));
  CHECK(web::export_file(s, "zip", "", 0).error ==
        "unknown export 'zip'; known: npy, csv, config, pytorch, npz, homework, weights");
  CHECK(web::export_file(s, "weights", "", 0).error == "nothing trained yet: open the Train tab first");
}

TEST_CASE("session: reset returns to the defaults without imports or notes") {
  web::Session s = started();
  ap::Config c = s.config;
  c.d_model = 96;
  c.n_heads = 3;
  REQUIRE(web::apply_config(s, c).empty());
  const int n = s.trace.n_q;
  ap::Array x{ap::DType::F32, {n, 96}, std::vector<double>(size_t(n * 96), 1.0)};
  REQUIRE(web::import_file(s, "x", ap::npy_bytes(x)) == "");
  s.notes.push_back("something");
  const uint64_t edits = s.outside_edits;
  web::reset(s);
  CHECK(s.config == ap::Config{});
  CHECK(s.imported.empty());
  CHECK(s.notes.empty());
  CHECK(s.outside_edits > edits);  // the controls show the defaults
  CHECK(same_bits(s.trace.x_q, ap::run(ap::Config{}, ap::make_inputs(ap::Config{})).x_q));
}

TEST_CASE("session: the JS API's panels, analysis and training lab") {
  web::Session s = started();
  CHECK(web::api::panels(s)["panels"].size() == 4);
  CHECK(web::api::open_panel(s, "compare")["ok"] == true);
  CHECK(web::api::open_panel(s, "nope")["error"] == "unknown panel \"nope\"; known: heads, compare, tensors, train");
  const auto a = web::api::analysis(s);
  CHECK(a["heads"].size() == size_t(s.trace.n_heads));
  CHECK(a["steps"].size() == s.trace.pipeline.size());
  CHECK(a["costs"]["params"] == s.derived.costs.params);

  auto st = web::api::train(s, R"({"action": "step", "steps": 3})");
  CHECK(st["pending"] == 3);
  while (s.train.pending_steps > 0) web::train_tick(s.train, 1000);
  st = web::api::train(s, R"({"action": "state"})");
  CHECK(st["step"] == 3);
  CHECK(web::api::train(s, R"({"action": "fly"})")["error"] == "unknown action 'fly'");
  CHECK(web::api::train(s, R"({"action": "ablate", "layer": 9, "head": 0})")["error"].get<std::string>().find(
            "layer 9") == 0);
  const std::string err = web::api::train(s, R"({"action": "settings", "settings": {"speed": 1}})")["error"];
  CHECK(err ==
        "unknown training setting 'speed'; known: task, len, vocab, layers, heads, d_model, lr, batch, seed, ln, mlp");
}

TEST_CASE("session: the Sizes rows load a model's width, heads and mask") {
  web::Session s = started();
  const auto& rows = web::size_preset_rows(s);
  const auto& presets = ap::size_presets();
  REQUIRE(rows.size() == presets.size());
  for (size_t i = 0; i < presets.size(); ++i) {
    const std::string name = presets[i].name;
    CAPTURE(name);
    if (name == "GPT-2 small") {
      CHECK(rows[i].config.d_model == 768);
      CHECK(rows[i].config.n_heads == 12);
      CHECK(rows[i].config.causal);  // a decoder: GPT-2's attention is causal
      CHECK(presets[i].attention_blocks() == 12);
    }
    if (name == "BERT base") CHECK_FALSE(rows[i].config.causal);
    if (name == "Transformer base") {
      CHECK(presets[i].attention_blocks() == 18);  // 6 encoder self, 6 decoder self, 6 cross
      CHECK(rows[i].config.causal == s.config.causal);
    }
  }
}
