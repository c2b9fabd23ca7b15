// NumPy .npz archives: a zip of .npy files, written and read without any
// other library (stored entries).
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "io/npy.h"

namespace ap {

// A .npz archive (a zip of .npy files, stored uncompressed), as np.load reads it.
std::string npz_bytes(const std::vector<std::pair<std::string, Array>>& arrays);
// Reads a .npz written by npz_bytes or np.savez (stored entries; np.savez_compressed's
// deflated ones are refused with a message saying so). Names lose ".npy".
// Every entry is checked (sizes, CRC, .npy parse); the first problem is returned.
std::variant<std::vector<std::pair<std::string, Array>>, std::string> parse_npz(std::string_view bytes);

}  // namespace ap
