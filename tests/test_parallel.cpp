// The thread pool (core/kernels/parallel.h): every task runs once, on more
// than one thread when the pool is on, and the layer and GPT-2 give the same
// bits on 1, 2, 3 and 8 threads, so every other test holds whatever the
// thread count. In a build without threads (the single-threaded wasm) the
// pool runs inline and the same checks hold trivially.
#include <doctest/doctest.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "config/json.h"
#include "gpt2_fixture.h"
#include "kernels/parallel.h"
#include "layer/attention.h"
#include "layer/inputs.h"
#include "model/gpt2.h"
#include "model/gpt2_forward.h"

namespace {

// Restores the thread count and the cost threshold when a case ends.
struct PoolSettings {
  int saved = ap::threads();
  explicit PoolSettings(double min_cost) { ap::set_parallel_min_cost(min_cost); }
  ~PoolSettings() {
    ap::set_threads(saved);
    ap::set_parallel_min_cost(ap::kParallelCost);
  }
};

bool same_bits(const ap::Mat& a, const ap::Mat& b) {
  // An empty step (softcap or dropout off) has no data to compare, and memcmp may not see a null pointer.
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         (a.size() == 0 || std::memcmp(a.data(), b.data(), sizeof(float) * size_t(a.size())) == 0);
}

// Every matrix of a trace, named, so a mismatch says where.
std::vector<std::pair<std::string, const ap::Mat*>> matrices(const ap::Trace& t) {
  std::vector<std::pair<std::string, const ap::Mat*>> out = {{"q_proj", &t.q_proj}, {"k_proj", &t.k_proj},
                                                             {"v_proj", &t.v_proj}, {"concat", &t.concat},
                                                             {"output", &t.output}, {"bias", &t.bias}};
  for (size_t h = 0; h < t.heads.size(); ++h) {
    const ap::HeadTrace& ht = t.heads[h];
    const std::string p = "head " + std::to_string(h) + " ";
    for (auto [name, m] : {std::pair{"scores", &ht.scores},
                           {"scaled", &ht.scaled},
                           {"capped", &ht.capped},
                           {"masked", &ht.masked},
                           {"weights", &ht.weights},
                           {"dropped", &ht.dropped},
                           {"context", &ht.context}})
      out.emplace_back(p + name, m);
  }
  return out;
}

}  // namespace

TEST_CASE("parallel_for: each task once, on several threads, inline when nested or small") {
  PoolSettings keep(0);
  for (int n_threads : {1, 2, 3, 8}) {
    CAPTURE(n_threads);
    ap::set_threads(n_threads);
    REQUIRE(ap::threads() == std::min(n_threads, ap::max_threads()));
    std::vector<std::atomic<int>> runs(1000);
    std::mutex m;
    std::set<std::thread::id> ids;
    ap::parallel_for(int(runs.size()), 1e9, [&](int i) {
      runs[size_t(i)]++;
      // A little work per task, so that the helpers wake before the caller has claimed them all.
      volatile double x = 0;
      for (int k = 0; k < 20000; ++k) x = x + k;
      std::lock_guard<std::mutex> lock(m);
      ids.insert(std::this_thread::get_id());
    });
    for (auto& r : runs) CHECK(r.load() == 1);
    // More than one thread took tasks (one in a build without threads).
    if (ap::threads() > 1) CHECK(ids.size() > 1);
    else CHECK(ids.size() == 1);

    // A loop inside a task runs on that task's thread, in order.
    std::atomic<int> inner_other{0}, total{0};
    ap::parallel_for(8, 1e9, [&](int) {
      const auto me = std::this_thread::get_id();
      ap::parallel_for(50, 1e9, [&](int) {
        if (std::this_thread::get_id() != me) inner_other++;
        total++;
      });
    });
    CHECK(total.load() == 400);
    CHECK(inner_other.load() == 0);
  }
  // Below the threshold nothing leaves the caller.
  ap::set_parallel_min_cost(ap::kParallelCost);
  ap::set_threads(4);
  std::set<std::thread::id> ids;
  ap::parallel_for(100, ap::kParallelCost / 2, [&](int) { ids.insert(std::this_thread::get_id()); });
  CHECK(ids.size() == 1);
  CHECK(*ids.begin() == std::this_thread::get_id());
}

TEST_CASE("parallel_ranges: whole aligned ranges that cover the items once, cut by the sizes alone") {
  PoolSettings keep(0);
  for (int items : {1, 3, 4, 17, 64, 1000})
    for (int align : {1, 4, 16}) {
      CAPTURE(items);
      CAPTURE(align);
      std::vector<std::vector<std::pair<int, int>>> cuts;
      for (int n_threads : {1, 3}) {
        ap::set_threads(n_threads);
        std::mutex m;
        std::vector<std::pair<int, int>> ranges;
        std::vector<int> seen(size_t(items), 0);
        ap::parallel_ranges(items, 5e3, align, [&](int a, int b) {
          std::lock_guard<std::mutex> lock(m);
          ranges.emplace_back(a, b);
          for (int i = a; i < b; ++i) seen[size_t(i)]++;
        });
        for (int s : seen) CHECK(s == 1);
        for (auto [a, b] : ranges) {
          CHECK(a % align == 0);
          CHECK((b % align == 0 || b == items));
        }
        std::sort(ranges.begin(), ranges.end());
        cuts.push_back(ranges);
      }
      CHECK(cuts[0] == cuts[1]);  // the same cuts on 1 and 3 threads
    }
}

TEST_CASE("threads: the layer's every matrix has the same bits on 1, 2, 3 and 8 threads") {
  // Shared even at these small sizes (threshold 0), and once at the page's
  // threshold on a shape large enough to cross it.
  struct Case {
    std::string name, json;
    double min_cost;
  };
  const std::vector<Case> cases = {
      {"plain", R"({"d_model": 64, "n_heads": 4})", 0},
      {"causal, padded, window", R"({"d_model": 96, "n_heads": 6, "causal": true, "pad_to": 40, "window": 5})", 0},
      {"cross-attention with GQA",
       R"({"d_model": 128, "n_heads": 8, "n_kv_heads": 2, "cross_text": "Die Katze sass auf der Matte, denn sie war muede."})",
       0},
      {"softcap and dropout", R"({"d_model": 64, "n_heads": 2, "softcap": 2.5, "dropout": 0.3, "causal": true})", 0},
      {"fully masked rows", R"({"d_model": 32, "n_heads": 4, "pad_to": 20, "mask_pad_queries": true})", 0},
      {"large, at the page's threshold",
       R"({"d_model": 384, "n_heads": 6, "causal": true, "pad_to": 200, "mask_pad_keys": false})", ap::kParallelCost},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    PoolSettings keep(c.min_cost);
    const ap::ConfigUpdate parsed = ap::apply_config_json(ap::Config{}, c.json);
    REQUIRE_MESSAGE(parsed.ok(), parsed.errors[0]);
    const ap::Config& cfg = parsed.config;
    ap::set_threads(1);
    const ap::Inputs in = ap::make_inputs(cfg);
    const ap::Trace one = ap::run(cfg, in);
    for (int n_threads : {2, 3, 8}) {
      CAPTURE(n_threads);
      ap::set_threads(n_threads);
      const ap::Trace many = ap::run(cfg, in);
      const auto a = matrices(one), b = matrices(many);
      REQUIRE(a.size() == b.size());
      for (size_t i = 0; i < a.size(); ++i) {
        CAPTURE(a[i].first);
        CHECK(same_bits(*a[i].second, *b[i].second));
      }
      CHECK(one.fully_masked_rows == many.fully_masked_rows);
    }
  }
}

TEST_CASE("threads: GPT-2's weights and logits have the same bits on 1, 2, 3 and 8 threads") {
  PoolSettings keep(0);
  for (const std::string name : {"tiny_f32", "wide"}) {
    CAPTURE(name);
    gpt2_fixture::file(name + "/model.safetensors");
    auto loaded = ap::load_gpt2_folder(gpt2_fixture::kDir + "/" + name);
    REQUIRE(std::holds_alternative<ap::Gpt2Model>(loaded));
    const ap::Gpt2Model& m = std::get<ap::Gpt2Model>(loaded);
    const ap::Array t = gpt2_fixture::npy(name + "/reference/tokens.npy");
    const std::vector<int> tokens(t.values.begin(), t.values.end());
    std::vector<int> positions(tokens.size());
    for (size_t i = 0; i < positions.size(); ++i) positions[i] = int(i);
    std::vector<ap::Gpt2State> states;
    std::vector<ap::Mat> logits;
    for (int n_threads : {1, 2, 3, 8}) {
      ap::set_threads(n_threads);
      ap::Gpt2State s;
      REQUIRE(ap::gpt2_forward(m, tokens, ap::gpt2_default_edits(m.config), s).empty());
      auto l = ap::gpt2_logits(m, s, positions);
      REQUIRE(std::holds_alternative<ap::Mat>(l));
      logits.push_back(std::get<ap::Mat>(l));
      states.push_back(std::move(s));
    }
    for (size_t i = 1; i < states.size(); ++i) {
      CAPTURE(i);
      CHECK(same_bits(logits[0], logits[i]));
      for (int l = 0; l <= m.config.n_layer; ++l)
        CHECK(same_bits(states[0].residual[size_t(l)], states[i].residual[size_t(l)]));
      for (int l = 0; l < m.config.n_layer; ++l)
        for (int h = 0; h < m.config.n_head; ++h)
          CHECK(same_bits(states[0].weights[size_t(l)][size_t(h)], states[i].weights[size_t(l)][size_t(h)]));
    }
  }
}

TEST_CASE("threads: loops started by two threads at once both finish right") {
  // One of them gets the pool, the other runs inline; neither waits for the other's tasks.
  if (ap::max_threads() == 1) return;  // no second thread to start
  PoolSettings keep(0);
  ap::set_threads(3);
  std::vector<int> a(5000, 0), b(5000, 0);
  std::thread other([&] {
    for (int round = 0; round < 50; ++round) ap::parallel_for(int(b.size()), 1e9, [&](int i) { b[size_t(i)]++; });
  });
  for (int round = 0; round < 50; ++round) ap::parallel_for(int(a.size()), 1e9, [&](int i) { a[size_t(i)]++; });
  other.join();
  for (int v : a) CHECK(v == 50);
  for (int v : b) CHECK(v == 50);
}
