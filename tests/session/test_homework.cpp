// The homework check in the session: a file checked when it arrives and again
// with each new state, a bad file refused without losing the one held, the
// inputs exported without the page's results.
#include <doctest/doctest.h>

#include "io/export.h"
#include "io/npz.h"
#include "session/files.h"
#include "session/homework.h"
#include "session/session.h"

namespace {

void settle(web::Session& s) {
  while (web::busy(s)) web::advance(s, 1e9);
}

std::string npy_of(const web::Session& s, const char* tensor) {
  return ap::npy_bytes(ap::to_array(*ap::find_tensor(s.trace, tensor, -1, nullptr)));
}

}  // namespace

TEST_CASE("session homework: checked on arrival and on every new state; a bad file keeps the one held") {
  web::Session s;
  REQUIRE(web::apply_config(s, {}).empty());
  CHECK(web::homework_json(s)["file"].is_null());

  REQUIRE(web::check_homework_file(s, "weights.npy", npy_of(s, "weights")) == "");
  nlohmann::json j = web::homework_json(s);
  CHECK(j["file"] == "weights.npy");
  CHECK(j["correct"] == true);
  CHECK(j["target"] == "weights");
  CHECK(j["mismatches"] == 0);

  // The same file against a causal mask: re-checked with the new trace, and its mistake named.
  ap::Config causal = s.config;
  causal.causal = true;
  REQUIRE(web::apply_config(s, causal).empty());
  settle(s);
  web::begin_frame(s);
  j = web::homework_json(s);
  CHECK(j["correct"] == false);
  CHECK(j["mistake"] == "no_mask");
  CHECK(j["verdict"].get<std::string>().find("no mask at all") != std::string::npos);

  // A file that is no .npy: said, and the held one kept.
  CHECK(web::check_homework_file(s, "broken.npy", "not numpy").find("broken.npy: ") == 0);
  j = web::homework_json(s);
  CHECK(j["file"] == "weights.npy");
  CHECK(j["mistake"] == "no_mask");
  CHECK(j["error"].get<std::string>().find("broken.npy: ") == 0);
  // An unknown target is refused the same way.
  CHECK(web::check_homework_file(s, "w.npy", npy_of(s, "weights"), "attention") ==
        "there is no homework called attention: it can be weights, context, output");
  CHECK(web::homework_json(s)["file"] == "weights.npy");

  // Asked for the output, given the weights: compared with the output and its shape named.
  REQUIRE(web::check_homework_file(s, "w.npy", npy_of(s, "weights"), "output") == "");
  j = web::homework_json(s);
  CHECK(j["target"] == "output");
  CHECK(j["compared"] == false);
  CHECK(j["error"] == "");
}

TEST_CASE("session homework: the inputs' .npz holds what the PyTorch export holds, without the page's results") {
  web::Session s;
  REQUIRE(web::apply_config(s, {}).empty());
  const web::ExportFile f = web::export_file(s, "homework", "", -1);
  REQUIRE(f.error.empty());
  CHECK(f.name == "attention_homework.npz");
  auto parsed = ap::parse_npz(f.bytes);
  REQUIRE(std::holds_alternative<std::vector<std::pair<std::string, ap::Array>>>(parsed));
  std::vector<std::string> names;
  for (const auto& [name, a] : std::get<0>(parsed)) names.push_back(name);
  std::vector<std::string> expected;
  for (const auto& [name, a] : ap::export_arrays(s.inputs, s.trace))
    if (name != "expected_weights" && name != "expected_output") expected.push_back(name);
  CHECK(names == expected);
  CHECK(std::find(names.begin(), names.end(), "dropout_keep") != names.end());
  CHECK(std::find(names.begin(), names.end(), "w_o") != names.end());
}
