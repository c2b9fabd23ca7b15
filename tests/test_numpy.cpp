// NumPy as the reference for the readers: Debian's NumPy writes .npy files of
// every dtype in C and Fortran order and both byte orders, in format versions
// 1.0 to 3.0, 0-d and empty, and the same arrays as np.savez and
// np.savez_compressed archives; each must read to exactly the values np.load
// gives (written by Python as text, shortest round-trip reprs).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>
#include <variant>

#include "io/npy.h"
#include "io/npz.h"
#include "numpy_helpers.h"

namespace fs = std::filesystem;
using namespace testing_numpy;

namespace {

// argv[1]: the folder. Writes <name>.npy, all_stored.npz, all_deflated.npz and
// expected.txt: name, dtype, shape and the C-order values of np.load(file).
const char* const kWriteEverything = R"PY(
import sys, numpy as np
out = sys.argv[1]
rng = np.random.default_rng(13)
arrays, lines = {}, []

def values(dt, shape):
    dt = np.dtype(dt)
    n = int(np.prod(shape))
    if dt.kind == "b":
        v = rng.integers(0, 2, n).astype(bool)
    elif dt.kind in "iu":
        info = np.iinfo(dt)
        lo, hi = max(int(info.min), -2**53), min(int(info.max), 2**53)
        v = rng.integers(lo, hi, n, endpoint=True, dtype=np.int64)
        v[:3] = [lo, hi, 0][:n]
    else:
        v = rng.standard_normal(n) * 10.0 ** rng.integers(-3, 4, n)
        special = [0.0, -0.0, np.inf, -np.inf, np.nan, 6e-8 if dt.itemsize == 2 else 1e-300]
        v[:len(special)] = special[:n]
    return v.astype(dt).reshape(shape)

def emit(name, a, version=None, fortran=None, descr=None):
    path = f"{out}/{name}.npy"
    with open(path, "wb") as f:
        np.lib.format.write_array(f, a, version=version, allow_pickle=False)
    head = open(path, "rb").read(256)
    # The file is what this test says it is.
    if version: assert head[6] == version[0], (name, head[6])
    if fortran is not None: assert (b"'fortran_order': True" in head) == fortran, (name, head)
    if descr: assert f"'descr': '{descr}'".encode() in head, (name, head)
    back = np.load(path)
    arrays[name] = a
    lines.append("\t".join([name, back.dtype.name, ",".join(map(str, back.shape)),
                            " ".join(repr(float(x)) for x in back.ravel(order="C"))]))

for dt in ["b1", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8"]:
    for order in "CF":
        for bo in "<>":
            t = np.dtype(dt).newbyteorder(bo)
            if t.itemsize == 1 and bo == ">":
                continue  # one-byte dtypes have no byte order: '|'
            a = values(t, (2, 3, 4))
            if order == "F":
                a = np.asfortranarray(a)
            emit(f"{dt}_{order}_{'none' if t.itemsize == 1 else 'big' if bo == '>' else 'little'}", a,
                 fortran=order == "F", descr=t.str)
for major in (1, 2, 3):
    emit(f"v{major}_f4_F_big", np.asfortranarray(values(">f4", (3, 5))), version=(major, 0), fortran=True)
emit("scalar_f8_big", np.array(-2.5, dtype=">f8"), descr=">f8")
emit("scalar_b1", np.array(True))
emit("empty_i2_F", np.asfortranarray(np.zeros((0, 3), dtype="<i2")))
emit("empty_u4_big", np.zeros((2, 0, 4), dtype=">u4"))
emit("column_f2_F_big", np.asfortranarray(values(">f2", (7, 1))))
np.savez(f"{out}/all_stored.npz", **arrays)
np.savez_compressed(f"{out}/all_deflated.npz", **arrays)
with open(f"{out}/expected.txt", "w") as f:
    f.write("\n".join(lines) + "\n")
)PY";

struct Expected {
  std::string name, dtype;
  std::vector<int64_t> shape;
  std::vector<double> values;
};

std::vector<Expected> read_expected(const fs::path& file) {
  std::vector<Expected> out;
  std::istringstream in(read_file(file));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    Expected e;
    std::string shape, values;
    std::getline(fields, e.name, '\t');
    std::getline(fields, e.dtype, '\t');
    std::getline(fields, shape, '\t');
    std::getline(fields, values, '\t');
    std::istringstream dims(shape);
    for (std::string d; std::getline(dims, d, ',');) e.shape.push_back(std::stoll(d));
    std::istringstream vs(values);
    for (std::string v; vs >> v;) e.values.push_back(std::strtod(v.c_str(), nullptr));
    out.push_back(std::move(e));
  }
  return out;
}

// Exactly the same numbers: NaN where NumPy has NaN, the sign of zero included.
bool same(const ap::Array& a, const Expected& e) {
  if (e.dtype != ap::dtype_name(a.dtype)) return false;
  if (a.shape != e.shape || a.values.size() != e.values.size()) return false;
  for (size_t i = 0; i < a.values.size(); ++i) {
    const double x = a.values[i], y = e.values[i];
    if (std::isnan(x) != std::isnan(y) || (!std::isnan(x) && (x != y || std::signbit(x) != std::signbit(y))))
      return false;
  }
  return true;
}

}  // namespace

TEST_CASE("NumPy's files: every dtype, C and Fortran order, both byte orders, versions 1-3, in .npy and .npz") {
  if (!have_numpy()) {
    MESSAGE("SKIPPED NumPy's files: no " << kPython << " with NumPy");
    return;
  }
  const fs::path dir = temp_dir("ap-numpy");
  REQUIRE(run_python(kWriteEverything, {dir.string()}) == 0);
  const std::vector<Expected> expected = read_expected(dir / "expected.txt");
  REQUIRE(expected.size() == 50);  // 42 dtype x order x byte order, 3 versions, 5 shapes

  std::map<std::string, std::map<std::string, ap::Array>> archives;
  for (const char* name : {"all_stored.npz", "all_deflated.npz"}) {
    auto r = ap::parse_npz(read_file(dir / name));
    if (auto* e = std::get_if<std::string>(&r)) FAIL(name << ": " << *e);
    for (auto& [key, a] : std::get<0>(r)) archives[name][key] = std::move(a);
    CHECK(archives[name].size() == expected.size());
  }
  int files = 0, entries = 0;
  for (const Expected& e : expected) {
    CAPTURE(e.name);
    auto r = ap::read_npy((dir / (e.name + ".npy")).string());
    if (auto* err = std::get_if<std::string>(&r)) FAIL(*err);
    CHECK(same(std::get<ap::Array>(r), e));
    ++files;
    for (const auto& entry : archives) {  // a named pair, not a structured binding: CAPTURE takes it in a lambda
      CAPTURE(entry.first);
      const auto it = entry.second.find(e.name);
      REQUIRE(it != entry.second.end());
      CHECK(same(it->second, e));
      ++entries;
    }
  }
  MESSAGE(files << " .npy files and " << entries << " .npz entries written by NumPy read to np.load's values");
  fs::remove_all(dir);
}

TEST_CASE("NumPy's files: what cannot be read is refused with one sentence") {
  if (!have_numpy()) {
    MESSAGE("SKIPPED NumPy's refused files: no " << kPython << " with NumPy");
    return;
  }
  const fs::path dir = temp_dir("ap-numpy-refused");
  REQUIRE(run_python(R"PY(
import sys, numpy as np
out = sys.argv[1]
np.save(f"{out}/complex.npy", np.ones(3, dtype="<c8"))
np.save(f"{out}/object.npy", np.array([1, "a"], dtype=object), allow_pickle=True)
np.save(f"{out}/strings.npy", np.array(["ab", "c"]))
np.save(f"{out}/structured.npy", np.zeros(2, dtype=[("a", "<f4"), ("b", "<i2")]))
np.save(f"{out}/big_int.npy", np.array([2**53 + 1], dtype=">i8"))
np.save(f"{out}/big_uint.npy", np.array([2**64 - 1], dtype="<u8"))
)PY",
                     {dir.string()}) == 0);
  const auto error = [&](const char* name) {
    auto r = ap::read_npy((dir / name).string());
    REQUIRE(std::holds_alternative<std::string>(r));
    return std::get<std::string>(r).substr((dir / name).string().size() + 2);
  };
  CHECK(error("complex.npy") ==
        "dtype '<c8' is complex, which is not supported: save the real and imaginary parts apart");
  CHECK(error("object.npy") == "dtype '|O' holds Python objects, which cannot be read without running Python");
  CHECK(error("strings.npy") == "dtype '<U2' holds strings, which are not supported: save numbers");
  CHECK(error("structured.npy") == "the array has a structured dtype (named fields): save each field as its own array");
  CHECK(error("big_int.npy") == "int64 element 0 is beyond ±2^53, which this reader does not keep exactly");
  CHECK(error("big_uint.npy") == "uint64 element 0 is beyond 2^53, which this reader does not keep exactly");
  fs::remove_all(dir);
}
