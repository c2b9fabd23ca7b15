// .npz archives (zip files of .npy entries): see npz.h.
#include "io/npz.h"

namespace ap {
namespace {

uint32_t crc32(const std::string& data) {
  static uint32_t table[256];
  static bool ready = false;
  if (!ready) {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
    ready = true;
  }
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : data) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

void put16(std::string& s, uint32_t v) { s += char(v & 0xFF), s += char((v >> 8) & 0xFF); }
void put32(std::string& s, uint32_t v) { put16(s, v & 0xFFFF), put16(s, v >> 16); }
uint32_t get16(std::string_view s, size_t at) { return uint32_t(uint8_t(s[at])) | uint32_t(uint8_t(s[at + 1])) << 8; }
uint32_t get32(std::string_view s, size_t at) { return get16(s, at) | get16(s, at + 2) << 16; }

}  // namespace

std::string npz_bytes(const std::vector<std::pair<std::string, Array>>& arrays) {
  std::string out, central;
  for (const auto& [name, a] : arrays) {
    const std::string file = name + ".npy", data = npy_bytes(a);
    const uint32_t crc = crc32(data), offset = uint32_t(out.size());
    const auto header = [&](std::string& s, bool central_entry) {
      put32(s, central_entry ? 0x02014b50 : 0x04034b50);
      if (central_entry) put16(s, 20);  // made by
      put16(s, 20);                     // version needed
      put16(s, 0);                      // flags
      put16(s, 0);                      // stored, no compression
      put16(s, 0), put16(s, 0x21);      // time, date (1980-01-01)
      put32(s, crc), put32(s, uint32_t(data.size())), put32(s, uint32_t(data.size()));
      put16(s, uint32_t(file.size())), put16(s, 0);
      if (central_entry) put16(s, 0), put16(s, 0), put16(s, 0), put32(s, 0), put32(s, offset);
      s += file;
    };
    header(out, false);
    out += data;
    header(central, true);
  }
  const uint32_t central_at = uint32_t(out.size());
  out += central;
  put32(out, 0x06054b50), put16(out, 0), put16(out, 0);
  put16(out, uint32_t(arrays.size())), put16(out, uint32_t(arrays.size()));
  put32(out, uint32_t(central.size())), put32(out, central_at), put16(out, 0);
  return out;
}

std::variant<std::vector<std::pair<std::string, Array>>, std::string> parse_npz(std::string_view bytes) {
  // Walks the local file headers in order: enough for archives of stored
  // entries, where every size is in the header (no data descriptors).
  std::vector<std::pair<std::string, Array>> out;
  size_t at = 0;
  while (at + 4 <= bytes.size() && get32(bytes, at) == 0x04034b50) {
    if (at + 30 > bytes.size()) return std::string("the .npz ends inside a file header");
    const uint32_t flags = get16(bytes, at + 6), method = get16(bytes, at + 8), crc = get32(bytes, at + 14);
    const uint32_t size = get32(bytes, at + 18), stored = get32(bytes, at + 22);
    const uint32_t name_len = get16(bytes, at + 26), extra_len = get16(bytes, at + 28);
    const size_t data_at = at + 30 + name_len + extra_len;
    if (data_at > bytes.size()) return std::string("the .npz ends inside a file header");
    std::string name(bytes.substr(at + 30, name_len));
    if (method != 0)
      return "'" + name +
             "' is compressed (np.savez_compressed); save with np.savez, which stores the arrays as they are";
    if ((flags & 8) || size != stored || data_at + size > bytes.size())
      return "'" + name + "': its size is missing or runs past the end of the file";
    const std::string data(bytes.substr(data_at, size));
    if (crc32(data) != crc) return "'" + name + "' is damaged (its checksum does not match)";
    auto parsed = parse_npy(data);
    if (auto* e = std::get_if<std::string>(&parsed)) return "'" + name + "': " + *e;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0) name.resize(name.size() - 4);
    out.emplace_back(std::move(name), std::move(std::get<Array>(parsed)));
    at = data_at + size;
  }
  if (out.empty()) return std::string("not a .npz archive (no zip entries found)");
  return out;
}

}  // namespace ap
