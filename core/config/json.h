// Config <-> JSON, for the JS API (and later the URL). Keys are the Config
// field names; enums are strings ("zero", "top_left", ...); -inf in
// float_mask is written as the string "-inf" (JSON has no infinity).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace ap {

std::string config_to_json(const Config& cfg);

struct ConfigUpdate {
  Config config;                    // base with the changes applied (only meaningful when ok)
  std::vector<std::string> errors;  // parse, type and validation errors, one sentence each
  bool ok() const { return errors.empty(); }
};

// Applies a JSON object of some fields to `base`. All or nothing: any error
// (malformed JSON, unknown key, wrong type, invalid config) returns errors,
// and the caller keeps `base`. Without `validate_result` the config is not
// checked as a whole (a model's layer is checked against the model instead).
ConfigUpdate apply_config_json(const Config& base, std::string_view json, bool validate_result = true);

// The field names, in the order config_to_json writes them.
const std::vector<std::string>& config_fields();

}  // namespace ap
