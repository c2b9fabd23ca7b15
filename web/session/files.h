// Files in and out of the page: imported .npy tensors and trained weights,
// and every export (tensors as .npy or CSV, the config, a PyTorch script
// with its .npz, the training lab's weights).
#pragma once
#include <string>

#include "session/session.h"

namespace web {

// Imports an .npy file's bytes for role "x", "q", "k" or "v", or a .npz of
// trained weights for role "npz" (the training lab). Returns "" or the
// reason it was refused; a refused file changes nothing.
std::string import_file(Session& s, const std::string& role, const std::string& bytes);

struct ExportFile {
  std::string name, mime, bytes, error;
};
// The kinds export_file() knows, in the order the page offers them.
const std::vector<std::string>& export_kinds();
// A file to download: kind "npy" or "csv" (of tensor/head), "config",
// "pytorch", "npz", "homework" (the .npz's inputs without the page's
// results, for the homework check) or "weights" (the training lab's
// parameters as .npz).
ExportFile export_file(const Session& s, const std::string& kind, const std::string& tensor, int head);

}  // namespace web
