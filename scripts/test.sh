#!/usr/bin/env bash
# Runs every test: installs what is missing, then builds and runs
#   format: the C++ against .clang-format (scripts/format.sh --check)
#   native: the doctest suite (core and the session layer) and the shader checks (glslangValidator)
#   sanitize: the same suite under ASan + UBSan
#   fuzz: each libFuzzer target for AP_FUZZ_SECONDS (default 10)
#   wasm:   the same doctest suite under Node, and the end-to-end browser
#           tests of the web app in headless Chromium
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
"$root/scripts/setup.sh"
export NODE_PATH=/usr/share/nodejs  # Debian's em++ needs Node to find acorn
# Each stage says when it starts, so a slow one shows in the log.
stage() { echo "== $* (at $((SECONDS / 60)) min $((SECONDS % 60)) s)"; }

stage "format"
"$root/scripts/format.sh" --check

stage "native build and tests"
cmake --preset native >/dev/null
cmake --build --preset native
ctest --preset native

stage "native suite under AddressSanitizer + UndefinedBehaviorSanitizer (clang-14)"
cmake --preset sanitize -DAP_FUZZ_SECONDS="${AP_FUZZ_SECONDS:-10}" >/dev/null
cmake --build --preset sanitize
ctest --preset sanitize

stage "fuzzing every parser of outside input (${AP_FUZZ_SECONDS:-10} s per target, the same sanitized core)"
cmake --build --preset fuzz
ctest --preset fuzz | grep -E "Done [0-9]+ runs|tests passed|Failed|Test +#"

stage "wasm build and tests (Node, headless Chromium)"
cmake --preset wasm >/dev/null
cmake --build --preset wasm
ctest --preset wasm
stage "done"
