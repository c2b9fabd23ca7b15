#!/usr/bin/env bash
# Runs every test: installs what is missing, then builds and runs
#   native: the doctest suite and the shader checks (glslangValidator)
#   wasm:   the same doctest suite under Node, and the end-to-end browser
#           tests of the web app in headless Chromium
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
"$root/scripts/setup.sh"
export NODE_PATH=/usr/share/nodejs  # Debian's em++ needs Node to find acorn

echo "== native build and tests"
cmake --preset native >/dev/null
cmake --build --preset native
ctest --preset native

echo "== wasm build and tests (Node, headless Chromium)"
cmake --preset wasm >/dev/null
cmake --build --preset wasm
ctest --preset wasm
