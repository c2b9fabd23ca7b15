#!/usr/bin/env bash
# Installs everything the build and the tests need on a Debian 12 machine, and
# nothing twice: each step checks first, so running it again is cheap and safe.
#   Debian packages  -> apt-get (only the missing ones)
#   Dear ImGui 1.86  -> Debian's source package, unpacked into .deps/ (git-ignored)
#   zlib 1.2.13      -> Debian's source package too, for the wasm build (natively: zlib1g-dev)
#   npm packages     -> tests/e2e/node_modules (git-ignored): playwright-core drives Chromium,
#                       gpt-3-encoder is the reference of GPT-2's tokenizer
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deps="$root/.deps"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# [SECTION] Debian packages
packages=(
  cmake ninja-build g++ pkg-config xz-utils ca-certificates
  emscripten                     # wasm toolchain: clang-14, lld, binaryen, node-acorn
  libeigen3-dev doctest-dev nlohmann-json3-dev libcli11-dev
  glslang-tools                  # glslangValidator checks shaders/ in the tests
  clang-format-14                # scripts/format.sh, checked by the test command
  chromium                       # end-to-end tests (headless, SwiftShader WebGL2)
  fonts-dejavu-core              # the UI font, embedded at build time
  libharfbuzz-bin                # hb-subset cuts the embedded UI font to the ranges drawn at first
  # Fetched by the page when a text needs them: CJK, Hangul, emoji; Indic, Thai, Ethiopic; Telugu, Kannada; Khmer;
  # Myanmar; Tibetan
  fonts-droid-fallback fonts-nanum fonts-symbola fonts-freefont-ttf fonts-lohit-telu fonts-lohit-knda fonts-khmeros
  fonts-sil-padauk fonts-tibetan-machine
  python3-numpy                  # test helpers read/write .npy with /usr/bin/python3
  unicode-data                   # Unicode 15.0 classes of GPT-2's pre-tokenizer (scripts/unicode_classes.py)
  zlib1g-dev                     # inflates np.savez_compressed archives (native builds)
  clang-14 libclang-rt-14-dev libfuzzer-14-dev   # fuzz targets and sanitizer runs
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
# Node and npm may already come from elsewhere on PATH; Debian's only if not.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  say "Debian packages: all present"
fi

# [SECTION] deb-src entries, derived from the machine's own apt sources
# Debian source packages (Dear ImGui, zlib) are unpacked into .deps/, never
# committed; apt-get source needs deb-src entries. Each configured deb entry is copied
# as deb-src (same URIs, suites, components and keys), so mirrors, proxies
# and snapshots keep working; no address is written by hand.
src_file=/etc/apt/sources.list.d/attention-playground-src
derive_deb_src() {  # $1: sources (deb822) or list (one-line)
  local f
  if [ "$1" = sources ]; then
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] && [ "$f" != "$src_file.sources" ] || continue
      # One stanza per paragraph: keep the deb ones, as deb-src, without comments.
      awk 'BEGIN { RS = ""; ORS = "\n\n" }
           /(^|\n)Types:([^\n]*[ \t])?deb([ \t\n]|$)/ {
             out = ""; n = split($0, lines, "\n")
             for (i = 1; i <= n; i++) {
               if (lines[i] ~ /^#/) continue
               if (lines[i] ~ /^Types:/) lines[i] = "Types: deb-src"
               out = out lines[i] "\n"
             }
             printf "%s\n", out
           }' "$f"
    done
  else
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -f "$f" ] && [ "$f" != "$src_file.list" ] || continue
      sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f"
    done
  fi
}
ensure_deb_src() {
  local others kind derived changed=0
  others=$(grep -rlsE '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/ \
           | grep -v "^$src_file\." || true)
  [ -z "$others" ] || return 0
  for kind in sources list; do
    derived=$(derive_deb_src "$kind")
    if [ -z "$derived" ]; then
      [ ! -f "$src_file.$kind" ] || { $sudo rm -f "$src_file.$kind"; changed=1; }
    elif [ ! -f "$src_file.$kind" ] || [ "$(cat "$src_file.$kind")" != "$derived" ]; then
      printf '%s\n' "$derived" | $sudo tee "$src_file.$kind" >/dev/null
      changed=1
    fi
  done
  [ -f "$src_file.sources" ] || [ -f "$src_file.list" ] ||
    { echo "setup: no apt source to derive a deb-src entry from (see /etc/apt/sources.list*)" >&2; exit 1; }
  [ "$changed" -eq 0 ] || $sudo apt-get update -qq
}

# [SECTION] third-party sources from Debian's source packages, into .deps/
# fetch_source NAME DIR FILE SPEC: unpacks SPEC's orig tarball into DIR unless
# DIR/FILE is there already (the tarball is kept in .deps/src).
fetch_source() {
  local name=$1 dir=$2 file=$3 spec=$4
  if [ -f "$dir/$file" ]; then
    say "$name: present in $dir"
    return
  fi
  say "fetching $name from Debian's source package"
  ensure_deb_src
  mkdir -p "$deps/src"
  (cd "$deps/src" && { ls "${spec%%=*}"_*.orig.tar.* >/dev/null 2>&1 || apt-get source --download-only "$spec" >/dev/null; })
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  tar -xf "$deps/src/${spec%%=*}"_*.orig.tar.* -C "$dir.tmp" --strip-components=1
  [ -f "$dir.tmp/$file" ] || { echo "$file missing from $name's source package" >&2; exit 1; }
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
}
# Dear ImGui 1.86: libimgui-dev has headers only, no imgui.cpp.
fetch_source "Dear ImGui 1.86" "$deps/imgui-1.86" imgui.cpp imgui
# zlib 1.2.13, the inflater of .npz archives: Emscripten's own zlib port downloads
# from GitHub, so the wasm build compiles Debian's, at the version of the
# zlib1g-dev the native build links (and a suite whose sources a mirror lacks
# is not asked).
fetch_source "zlib 1.2.13" "$deps/zlib-1.2.13" inflate.c "zlib=$(dpkg-query -W -f='${Version}' zlib1g-dev)"

# [SECTION] npm packages for the tests (versions pinned by the lockfile)
# npm ls fails when a package of package.json is missing or at another version.
if ! (cd "$root/tests/e2e" && npm ls --depth=0 >/dev/null 2>&1); then
  say "installing the npm packages of tests/e2e"
  (cd "$root/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
else
  say "npm packages: present"
fi
say "done"
