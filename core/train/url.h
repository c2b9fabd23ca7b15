// TrainSettings <-> parameters of the URL fragment, so a link reopens the
// training lab with the sender's task and model ("t_task=reverse&t_heads=2").
// The "t_" prefix keeps them apart from the playground's own Config keys.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "train/settings.h"

namespace ap::train {

// Every field, "t_task=reverse&t_len=6&...", values already percent-safe.
std::string settings_to_query(const TrainSettings& s);

// The keys settings_to_query() writes, for apply_query's `other_keys`.
const std::vector<std::string>& settings_keys();

struct SettingsApplied {
  TrainSettings settings;
  std::vector<std::string> notes;  // one sentence per parameter that was not used
};
// Applies decoded (key, value) pairs to `base`: a malformed value is skipped
// with a note; if the result fails validate(), `base` is kept and the
// validation messages become notes.
SettingsApplied apply_settings(const TrainSettings& base,
                               const std::vector<std::pair<std::string, std::string>>& pairs);

}  // namespace ap::train
