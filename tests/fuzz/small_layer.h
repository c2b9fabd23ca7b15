// The layer the fuzz targets check their parsed inputs against: causal, 3
// tokens, 2 heads of 4, small enough that a fuzzed file can have its shapes.
#pragma once
#include "config/config.h"

inline const ap::Config& small_layer() {
  static const ap::Config config = [] {
    ap::Config c;
    c.text = "the cat sat";
    c.d_model = 8;
    c.n_heads = 2;
    c.causal = true;
    return c;
  }();
  return config;
}
