// NumPy .npz archives: a zip of .npy files. Written with stored entries;
// read with stored or deflated ones (np.savez and np.savez_compressed), the
// inflating done by zlib.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "io/npy.h"

namespace ap {

// All the entries of an archive together never inflate to more than one .npy
// file may hold (read_npy's bound: kMaxNpyElements float64 values and a header),
// so a small archive that claims or inflates to gigabytes is refused early.
inline constexpr uint64_t kMaxNpzInflatedBytes = uint64_t(kMaxNpyElements) * 8 + (1 << 20);

// A .npz archive (a zip of .npy files, stored uncompressed), as np.load reads it.
std::string npz_bytes(const std::vector<std::pair<std::string, Array>>& arrays);
// Reads a .npz written by npz_bytes, np.savez or np.savez_compressed (stored or
// deflated entries, found through the zip's central directory; zip64 size
// fields are understood). Names lose ".npy". Every entry is checked (sizes,
// CRC, .npy parse); the first problem is returned as one sentence.
std::variant<std::vector<std::pair<std::string, Array>>, std::string> parse_npz(std::string_view bytes);

}  // namespace ap
