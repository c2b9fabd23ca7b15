// Test helpers for the .npy/.npz readers: NumPy as the reference (Debian's
// /usr/bin/python3, run at test time natively and, through Node's
// child_process, in the wasm build), and zip archives with deflated entries
// made by zlib's deflate, independently of the reader's inflate path.
#pragma once
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#else
#include <sys/wait.h>
#endif

#include "io/npy.h"

namespace testing_numpy {

inline const char* const kPython = "/usr/bin/python3";

// Runs `python3 -c code args...`; returns its exit status (-1 if it could not run).
inline int run_python(const std::string& code, const std::vector<std::string>& args) {
#ifdef __EMSCRIPTEN__
  // Under Node (NODERAWFS) the files are the real ones, so NumPy writes where the test reads.
  // The arguments travel joined by \x1f (spelt fromCharCode in the JS, which emcc keeps as JSON).
  std::string joined;
  for (const auto& a : args) joined += a + '\x1f';
  return EM_ASM_INT(
      {
        const args = UTF8ToString($2).split(String.fromCharCode(31)).slice(0, -1);
        const r = require('child_process').spawnSync(UTF8ToString($0), [ '-c', UTF8ToString($1) ].concat(args), {
          stdio : [ 'ignore', 'inherit', 'inherit' ]
        });
        return r.error ? -1 : r.status;
      },
      kPython, code.c_str(), joined.c_str());
#else
  std::string cmd = std::string(kPython) + " -c '";
  for (char c : code) cmd += c == '\'' ? std::string("'\\''") : std::string(1, c);
  cmd += "'";
  for (const auto& a : args) cmd += " '" + a + "'";
  const int status = std::system(cmd.c_str());
  return status == -1 ? -1 : WEXITSTATUS(status);
#endif
}

// Whether /usr/bin/python3 with NumPy is there (else the tests that need it say SKIPPED).
inline bool have_numpy() {
  static const int status = std::filesystem::exists(kPython) ? run_python("import numpy", {}) : -1;
  return status == 0;
}

inline std::filesystem::path temp_dir(const std::string& stem) {
  const auto d = std::filesystem::temp_directory_path() / (stem + "-" + std::to_string(std::rand()));
  std::filesystem::create_directories(d);
  return d;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// Raw deflate (zip method 8) of data at zlib's default level.
inline std::string deflate_raw(const std::string& data) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, uLong(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = uInt(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = uInt(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

struct ZipEntry {
  std::string name;     // "a.npy"
  std::string payload;  // the bytes as stored in the archive
  uint16_t method = 8;  // 0 stored, 8 deflated
  uint32_t crc = 0;     // of the uncompressed data
  uint32_t size = 0;    // the declared uncompressed size
};

inline ZipEntry deflated(const std::string& name, const std::string& data) {
  return {name, deflate_raw(data), 8,
          uint32_t(crc32(0L, reinterpret_cast<const Bytef*>(data.data()), uInt(data.size()))), uint32_t(data.size())};
}

// A zip archive of the entries, with whatever sizes and checksums they declare.
inline std::string zip(const std::vector<ZipEntry>& entries) {
  const auto put16 = [](std::string& s, uint32_t v) { s += char(v & 0xFF), s += char((v >> 8) & 0xFF); };
  const auto put32 = [&](std::string& s, uint32_t v) { put16(s, v & 0xFFFF), put16(s, v >> 16); };
  std::string out, central;
  for (const auto& e : entries) {
    const uint32_t offset = uint32_t(out.size());
    for (bool c : {false, true}) {
      std::string& s = c ? central : out;
      put32(s, c ? 0x02014b50 : 0x04034b50);
      if (c) put16(s, 20);
      put16(s, 20), put16(s, 0), put16(s, e.method), put16(s, 0), put16(s, 0x21);
      put32(s, e.crc), put32(s, uint32_t(e.payload.size())), put32(s, e.size);
      put16(s, uint32_t(e.name.size())), put16(s, 0);
      if (c) put16(s, 0), put16(s, 0), put16(s, 0), put32(s, 0), put32(s, offset);
      s += e.name;
      if (!c) s += e.payload;
    }
  }
  const uint32_t central_at = uint32_t(out.size());
  out += central;
  put32(out, 0x06054b50), put16(out, 0), put16(out, 0), put16(out, uint32_t(entries.size()));
  put16(out, uint32_t(entries.size())), put32(out, uint32_t(central.size())), put32(out, central_at), put16(out, 0);
  return out;
}

}  // namespace testing_numpy
