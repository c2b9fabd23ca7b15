#!/usr/bin/env bash
# Benchmark of one multi-head attention forward (tests/bench/bench.cpp),
# natively and as wasm under Node, in one run so the ratios compare like with like.
#   scripts/bench.sh          (after scripts/test.sh, or it builds what it needs)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export NODE_PATH=/usr/share/nodejs
cmake --preset native >/dev/null && cmake --build --preset native --target ap_bench >/dev/null
cmake --preset wasm >/dev/null && cmake --build --preset wasm --target ap_bench >/dev/null
echo "== native"
build/native/ap_bench | tee /tmp/ap_bench_native.txt
echo
echo "== wasm under Node $(node --version)"
node build/wasm/ap_bench.js | tee /tmp/ap_bench_wasm.txt
echo
echo "== ratios: wasm / native time per forward; wasm speed-up over the Eigen-only wasm forward"
paste <(grep -E '^ +[0-9]+,' /tmp/ap_bench_native.txt) <(grep -E '^ +[0-9]+,' /tmp/ap_bench_wasm.txt) |
  awk '{ printf "%s %s %s causal=%-4s wasm/native %.2fx   Eigen-only/kernels %.2fx\n", $1, $2, $3, $4, $15 / $5, $17 / $15 }'
echo
echo "== the page: transferred size and time to the first frame (headless Chromium)"
cmake --build --preset wasm --target playground >/dev/null
node tests/e2e/pageweight.mjs build/wasm/web
