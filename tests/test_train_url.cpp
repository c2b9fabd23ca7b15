// Training settings in the URL: a round trip, and bad parameters that are
// skipped one by one with a note while the rest still load.
#include <doctest/doctest.h>

#include "config/url.h"
#include "train/url.h"

namespace {

ap::train::SettingsApplied from_link(const std::string& query) {
  // The page's path: the fragment is decoded by apply_query, which hands the t_ keys back.
  const auto q = ap::apply_query(ap::Config{}, query, ap::train::settings_keys());
  return ap::train::apply_settings(ap::train::TrainSettings{}, q.other);
}

}  // namespace

TEST_CASE("training settings survive a link") {
  ap::train::TrainSettings s = ap::train::default_settings(ap::train::Task::Induction);
  s.learning_rate = 0.0025;
  s.seed = 4000000000u;  // above INT_MAX: seeds are unsigned
  s.layer_norm = !s.layer_norm;
  const auto r = from_link("#" + ap::train::settings_to_query(s));
  CHECK(r.notes.empty());
  CHECK(r.settings == s);
}

TEST_CASE("bad training parameters are noted and skipped, the rest load") {
  const auto r = from_link("t_task=juggle&t_heads=4&t_lr=fast&t_ln=yes&t_batch=16");
  REQUIRE(r.notes.size() == 3);
  CHECK(r.notes[0].find("t_task=juggle ignored") == 0);
  CHECK(r.notes[1].find("t_lr=fast ignored: not a number") == 0);
  CHECK(r.notes[2].find("use 0 or 1") != std::string::npos);
  CHECK(r.settings.n_heads == 4);
  CHECK(r.settings.batch == 16);
  CHECK(r.settings.task == ap::train::TrainSettings{}.task);
}

TEST_CASE("training settings that fail validation keep the defaults, with the reasons") {
  const auto r = from_link("t_d_model=30&t_heads=4");  // 4 heads do not divide 30
  CHECK(!r.notes.empty());
  CHECK(r.notes[0].find("not used") != std::string::npos);
  CHECK(r.settings == ap::train::TrainSettings{});
}
