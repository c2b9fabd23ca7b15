// What the attention layer is fed: token vectors X and the four projections.
// Everything is a deterministic function of the Config, so a seed names a
// whole experiment: the same token text gives the same embedding row, and the
// weights depend only on (seed, d_model, bias), not on the text.
#pragma once
#include <string>
#include <vector>

#include "config.h"
#include "tensor.h"

namespace ap {

// nn.Linear's layout and convention: y = x · weightᵀ + bias.
struct Linear {
  Mat weight;   // [d_out x d_in]
  RowVec bias;  // [d_out], zeros when the config has no bias
};

struct Inputs {
  std::vector<std::string> tokens;  // n tokens: text, then [PAD]
  int n_text = 0;
  Mat embedding;   // [n x d_model] token embedding, N(0, 1) like nn.Embedding
  Mat positional;  // [n x d_model] sinusoidal encoding (zeros when turned off)
  Mat x;           // [n x d_model] embedding + positional
  Linear w_q, w_k, w_v, w_o;  // each [d_model x d_model]
};

// Precondition: validate(cfg) is empty.
Inputs make_inputs(const Config& cfg);

// PE[pos, 2i] = sin(pos / 10000^(2i/d_model)), PE[pos, 2i+1] = cos(same angle).
// out: [n x d_model]
Mat sinusoidal_encoding(int n, int d_model);

}  // namespace ap
