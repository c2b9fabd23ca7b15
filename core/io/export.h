// What the page exports and imports: CSV of a tensor, a NumPy .npz archive,
// a PyTorch script that rebuilds the layer from that archive and checks it
// against the playground's numbers, and the shape checks of imported .npy.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "config/config.h"
#include "io/npy.h"
#include "io/npz.h"
#include "layer/inputs.h"
#include "layer/trace.h"

namespace ap {

// Rows of comma-separated values (%.9g, enough to round-trip a float32);
// a 3D tensor is written head after head with a blank line between.
std::string tensor_csv(const TensorData& t);

Array to_array(const TensorData& t);

// The arrays the PyTorch script needs: inputs, weights, the additive mask,
// the dropout pattern, and the playground's weights and output to compare with.
std::vector<std::pair<std::string, Array>> export_arrays(const Inputs& in, const Trace& t);
// The script; it loads `npz_name` from the working directory.
std::string pytorch_script(const Config& cfg, const Trace& t, const std::string& npz_name);

// [SECTION] import

enum class ImportRole { X, Q, K, V };
std::optional<ImportRole> import_role(const std::string& name);  // "x", "q", "k", "v"

struct Imported {
  std::optional<Mat> x;        // [n_q x d_model] replaces the token vectors (self-attention: keys too)
  std::optional<Mat> q, k, v;  // replace the projections: [n_q x d_model], [n_kv x n_kv_heads·d_head]
  bool empty() const { return !x && !q && !k && !v; }
};

// Checks an imported array against the current config and turns it into the
// matrix `role` replaces. Accepts (rows, cols), (1, rows, cols) and, for Q/K/V,
// (1, heads, seq, d_head). On error, one sentence.
std::optional<Mat> import_matrix(ImportRole role, const Array& a, const Config& cfg, std::string* error);

// Applies imports to freshly made inputs; returns a note per import that no
// longer fits (the config changed) and was dropped.
std::vector<std::string> apply_imports(Imported& imp, const Config& cfg, Inputs& in);

}  // namespace ap
