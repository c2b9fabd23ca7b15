// libFuzzer target: the JSON config parser (the JS API's setConfig) and
// validation; a valid small config is also run, so the forward pass sees
// whatever configs the parser lets through.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/json.h"
#include "layer/attention.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ap::ConfigUpdate up = ap::apply_config_json(ap::Config{}, text);
  if (up.ok()) {
    const ap::Sequences s = ap::make_sequences(up.config);
    // Keep each run fast: the maths is covered by the differential test.
    if (size_t(s.n_q()) * size_t(s.n_kv()) * size_t(up.config.d_model) <= 200000) {
      const ap::Trace t = ap::run(up.config, ap::make_inputs(up.config));
      if (t.n_q != s.n_q() || t.n_kv != s.n_kv()) __builtin_trap();
    }
    // What getConfig prints must parse back to the same config.
    if (!(ap::apply_config_json(ap::Config{}, ap::config_to_json(up.config)).config == up.config)) __builtin_trap();
  }
  return 0;
}
