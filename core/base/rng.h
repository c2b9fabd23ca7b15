// Deterministic random numbers that are the same natively and in wasm.
// std::mt19937 is portable but std::*_distribution is not (each standard
// library maps bits to values its own way), so the mapping is written here.
#pragma once
#include <cmath>
#include <cstdint>
#include <string_view>

namespace ap {

// SplitMix64: tiny, fast, and passes BigCrush; plenty for initial weights.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // As if next() had been called n times: each call only adds the constant to
  // the state, so a stream can be entered anywhere (a slice of a weight's rows).
  void skip(uint64_t n) { state_ += n * 0x9E3779B97F4A7C15ull; }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in [-bound, bound).
  double uniform(double bound) { return (2.0 * uniform() - 1.0) * bound; }
  // Standard normal by Box-Muller; 1 - u keeps the log's argument in (0, 1].
  double normal() {
    const double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  uint64_t state_;
};

// FNV-1a over bytes: a stable hash for token text and stream names.
inline uint64_t hash_bytes(std::string_view s, uint64_t h = 0xCBF29CE484222325ull) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001B3ull;
  return h;
}

// Derives an independent stream from the user's seed and a label, so that
// e.g. W_q does not change when the text does.
inline Rng stream(uint32_t seed, std::string_view label) {
  Rng mix(hash_bytes(label) ^ (static_cast<uint64_t>(seed) * 0x9E3779B97F4A7C15ull));
  return Rng(mix.next());
}

}  // namespace ap
