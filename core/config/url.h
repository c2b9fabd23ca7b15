// Config <-> the URL fragment ("text=The%20cat%20sat&d_model=64&causal=1"),
// so a link restores exactly what its sender saw. Malformed, unknown or
// out-of-range parameters are ignored one by one, each with a note saying
// why; the rest still load.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"

namespace ap {

std::string percent_encode(std::string_view s);                 // all but A-Z a-z 0-9 - _ . ~
std::optional<std::string> percent_decode(std::string_view s);  // '+' is a space; nullopt if malformed

// Every scalar field, and the masks when set, in config_fields() order.
std::string config_to_query(const Config& c);

struct QueryApplied {
  Config config;                                           // base with every acceptable parameter applied
  std::vector<std::string> notes;                          // one sentence per ignored parameter
  std::vector<std::pair<std::string, std::string>> other;  // decoded parameters listed in `other_keys`
};

// `query` may start with '#' or '?'. Keys in `other_keys` (the page's own,
// such as "panel") are handed back, not applied. The longest accepted query
// is 64 KiB; past that the whole query is ignored with a note.
QueryApplied apply_query(const Config& base, std::string_view query, const std::vector<std::string>& other_keys);

}  // namespace ap
