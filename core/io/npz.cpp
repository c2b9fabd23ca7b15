// .npz archives (zip files of .npy entries): see npz.h. The reader follows the
// zip's central directory, as Python's zipfile does, so entries written to a
// stream (sizes in a data descriptor after the data) read like any other.
#include "io/npz.h"

#include <zlib.h>

#include <algorithm>

namespace ap {
namespace {

// zlib takes lengths as uInt (32 bits): long inputs go in slices.
constexpr size_t kSlice = size_t(1) << 30;

uint32_t crc_of(std::string_view data) {
  uLong c = crc32(0L, Z_NULL, 0);
  for (size_t at = 0; at < data.size(); at += kSlice) {
    const size_t n = std::min(kSlice, data.size() - at);
    c = crc32(c, reinterpret_cast<const Bytef*>(data.data() + at), uInt(n));
  }
  return uint32_t(c);
}

void put16(std::string& s, uint32_t v) { s += char(v & 0xFF), s += char((v >> 8) & 0xFF); }
void put32(std::string& s, uint32_t v) { put16(s, v & 0xFFFF), put16(s, v >> 16); }
uint32_t get16(std::string_view s, size_t at) { return uint32_t(uint8_t(s[at])) | uint32_t(uint8_t(s[at + 1])) << 8; }
uint32_t get32(std::string_view s, size_t at) { return get16(s, at) | get16(s, at + 2) << 16; }
uint64_t get64(std::string_view s, size_t at) { return get32(s, at) | uint64_t(get32(s, at + 4)) << 32; }

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;

// Inflates the raw deflate stream of a zip entry (method 8) into out, which
// must come to exactly `declared` bytes. The output grows only as data
// arrives, and inflating stops at the first byte past the declared size: a
// bomb costs at most its (bounded) declaration. Empty on success.
std::string inflate_entry(std::string_view in, size_t declared, std::string& out) {
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return "zlib could not start inflating it";
  struct End {
    z_stream* z;
    ~End() { inflateEnd(z); }
  } end{&z};
  out.assign(std::min(declared, size_t(1) << 16), '\0');
  size_t in_at = 0, produced = 0;
  unsigned char spare;  // where output past the declared size would go
  for (;;) {
    if (z.avail_in == 0 && in_at < in.size()) {
      const size_t n = std::min(kSlice, in.size() - in_at);
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + in_at));
      z.avail_in = uInt(n);
      in_at += n;
    }
    if (produced < declared) {
      if (produced == out.size()) out.resize(std::min(declared, out.size() * 2));
      z.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
      z.avail_out = uInt(std::min(kSlice, out.size() - produced));
    } else {
      z.next_out = &spare;
      z.avail_out = 1;
    }
    const uInt room = z.avail_out;
    const int rc = inflate(&z, Z_NO_FLUSH);
    if (produced >= declared && z.avail_out == 0)
      return "it inflates to more than the " + std::to_string(declared) + " bytes its header declares";
    produced += room - z.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc == Z_MEM_ERROR) return "out of memory while inflating it";
    if (rc == Z_BUF_ERROR && z.avail_in == 0 && in_at == in.size())
      return "it is truncated (its compressed data ends before the deflate stream does)";
    if (rc != Z_OK && rc != Z_BUF_ERROR)
      return std::string("its compressed data is damaged (zlib: ") + (z.msg ? z.msg : "invalid deflate data") + ")";
  }
  if (produced != declared)
    return "it inflates to " + std::to_string(produced) + " bytes, not the " + std::to_string(declared) +
           " its header declares";
  out.resize(produced);
  return "";
}

}  // namespace

std::string npz_bytes(const std::vector<std::pair<std::string, Array>>& arrays) {
  std::string out, central;
  for (const auto& [name, a] : arrays) {
    const std::string file = name + ".npy", data = npy_bytes(a);
    const uint32_t crc = crc_of(data), offset = uint32_t(out.size());
    const auto header = [&](std::string& s, bool central_entry) {
      put32(s, central_entry ? kCentralSig : kLocalSig);
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
  put32(out, kEndSig), put16(out, 0), put16(out, 0);
  put16(out, uint32_t(arrays.size())), put16(out, uint32_t(arrays.size()));
  put32(out, uint32_t(central.size())), put32(out, central_at), put16(out, 0);
  return out;
}

std::variant<std::vector<std::pair<std::string, Array>>, std::string> parse_npz(std::string_view bytes) {
  using Result = std::variant<std::vector<std::pair<std::string, Array>>, std::string>;
  // The end-of-central-directory record: the last 22 bytes, or earlier by the
  // length of an archive comment (at most 65535 bytes).
  size_t end = std::string_view::npos;
  if (bytes.size() >= 22)
    for (size_t at = bytes.size() - 22, stop = at > 65535 ? at - 65535 : 0;; --at) {
      if (get32(bytes, at) == kEndSig && at + 22 + get16(bytes, at + 20) == bytes.size()) {
        end = at;
        break;
      }
      if (at == stop) break;
    }
  if (end == std::string_view::npos) {
    if (bytes.size() >= 4 && get32(bytes, 0) == kLocalSig)
      return std::string("the .npz is truncated (its zip directory, at the end of the file, is missing)");
    return std::string("not a .npz archive (no zip directory found)");
  }
  if (get16(bytes, end + 4) != 0 || get16(bytes, end + 6) != 0)
    return std::string("the .npz archive spans several disks, which is not supported");
  const uint32_t entries = get16(bytes, end + 10), dir_size = get32(bytes, end + 12), dir_at = get32(bytes, end + 16);
  if (entries == 0xFFFF || dir_size == 0xFFFFFFFFu || dir_at == 0xFFFFFFFFu)
    return std::string("the .npz needs zip64 end records (over 65535 entries or 4 GiB), more than this reader takes");
  if (uint64_t(dir_at) + dir_size > end) return std::string("the .npz zip directory runs past the end of the file");
  if (entries == 0) return std::string("the .npz archive holds no arrays");

  // First the whole directory, so that what the entries declare together is
  // known (and refused if too much) before anything is inflated.
  struct Entry {
    std::string name;
    uint32_t method, crc;
    uint64_t packed, size, data_at;
  };
  std::vector<Entry> list;
  uint64_t declared = 0;
  size_t at = dir_at;
  for (uint32_t e = 0; e < entries; ++e) {
    if (at + 46 > uint64_t(dir_at) + dir_size || get32(bytes, at) != kCentralSig)
      return "the .npz zip directory is damaged at entry " + std::to_string(e);
    const uint32_t flags = get16(bytes, at + 8), method = get16(bytes, at + 10), crc = get32(bytes, at + 16);
    uint64_t packed = get32(bytes, at + 20), size = get32(bytes, at + 24), local = get32(bytes, at + 42);
    const uint32_t name_len = get16(bytes, at + 28), extra_len = get16(bytes, at + 30),
                   comment_len = get16(bytes, at + 32);
    const size_t next = at + 46 + name_len + extra_len + comment_len;
    if (next > uint64_t(dir_at) + dir_size) return "the .npz zip directory is damaged at entry " + std::to_string(e);
    std::string name(bytes.substr(at + 46, name_len));
    // zip64: a 32-bit field of all ones is given in full, in this order, in the extra field 0x0001.
    for (size_t x = at + 46 + name_len, x_end = x + extra_len; x + 4 <= x_end;) {
      const uint32_t id = get16(bytes, x), len = get16(bytes, x + 2);
      if (x + 4 + len > x_end) break;
      if (id == 1) {
        size_t f = x + 4;
        for (uint64_t* field : {&size, &packed, &local}) {
          if (*field != 0xFFFFFFFFu) continue;
          if (f + 8 > x + 4 + len) return "'" + name + "': its zip64 sizes are missing";
          *field = get64(bytes, f);
          f += 8;
        }
      }
      x += 4 + len;
    }
    at = next;
    if (flags & 1) return "'" + name + "' is encrypted, which is not supported";
    if (method != 0 && method != 8)
      return "'" + name + "' is compressed with zip method " + std::to_string(method) +
             "; only stored (np.savez) and deflated (np.savez_compressed) entries are read";
    if (local > dir_at || dir_at - local < 30 || get32(bytes, size_t(local)) != kLocalSig)
      return "'" + name + "': its file header is missing or runs past the end of the file";
    const uint64_t data_at = local + 30 + get16(bytes, size_t(local) + 26) + get16(bytes, size_t(local) + 28);
    if (data_at > dir_at || packed > dir_at - data_at)
      return "'" + name + "': its size is missing or runs past the end of the file";
    if (method == 0 && packed != size) return "'" + name + "' is stored with two different sizes in the archive";
    if (size > kMaxNpzInflatedBytes - declared)
      return "the .npz declares more than the " + std::to_string(kMaxNpzInflatedBytes) +
             " bytes (2^26 float64 values and a header) an archive may inflate to, from '" + name + "' on";
    declared += size;
    list.push_back({std::move(name), method, crc, packed, size, data_at});
  }

  std::vector<std::pair<std::string, Array>> out;
  for (Entry& e : list) {
    const std::string_view raw = bytes.substr(size_t(e.data_at), size_t(e.packed));
    std::string data;
    if (e.method == 0) data = std::string(raw);
    else if (std::string err = inflate_entry(raw, size_t(e.size), data); !err.empty())
      return "'" + e.name + "': " + err;
    if (crc_of(data) != e.crc) return "'" + e.name + "' is damaged (its checksum does not match)";
    auto parsed = parse_npy(data);
    if (auto* err = std::get_if<std::string>(&parsed)) return "'" + e.name + "': " + *err;
    // As np.load names them: a ".npy" suffix dropped (an entry named ".npy" is "").
    if (e.name.size() >= 4 && e.name.compare(e.name.size() - 4, 4, ".npy") == 0) e.name.resize(e.name.size() - 4);
    out.emplace_back(std::move(e.name), std::move(std::get<Array>(parsed)));
  }
  return Result(std::move(out));
}

}  // namespace ap
