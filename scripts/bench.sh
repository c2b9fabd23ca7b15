#!/usr/bin/env bash
# Benchmark of one multi-head attention forward (tests/bench/bench.cpp) natively,
# as wasm under Node and as wasm in headless Chromium, one after the other in
# one run so that the ratios compare like with like on a noisy machine; then
# the web page's weight, time to its first frame, and how fast an edit that
# leaves the projections alone shows new weights; then GPT-2 small's load and
# forward (tests/bench/bench_gpt2.cpp) natively and under Node, and in the page
# (tests/e2e/bench_model.mjs: loaded through a local hub, from the cache, a forward, an edit); last, the
# layer against ONNX Runtime Web in the same page at 1 and N threads (tests/e2e/bench_ort.mjs; the npm
# packages onnxruntime-web and onnx-proto, pinned below, go into .deps/bench-npm).
#   scripts/bench.sh          (installs what is missing, builds what it needs)
#   AP_BENCH_NATIVE_DIR=build/x AP_BENCH_WASM_DIR=build/y scripts/bench.sh
#                             (other build folders than build/native and build/wasm)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
native_dir=${AP_BENCH_NATIVE_DIR:-build/native}
wasm_dir=${AP_BENCH_WASM_DIR:-build/wasm}
export NODE_PATH=/usr/share/nodejs  # Debian's em++ needs Node to find acorn

"$root/scripts/setup.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Runs a build step quietly; on failure shows its last lines and stops.
quiet() {
  if ! "$@" >"$out/build.log" 2>&1; then
    tail -n 40 "$out/build.log" >&2
    echo "bench.sh: this step failed: $*" >&2
    exit 1
  fi
}
quiet cmake --preset native -B "$native_dir"
quiet cmake --build "$native_dir" --target ap_bench ap_bench_gpt2
quiet cmake --preset wasm -B "$wasm_dir"
quiet cmake --build "$wasm_dir" --target ap_bench ap_bench_web ap_bench_gpt2 ap_bench_peer ap_bench_peer_single
ort_dir="$root/.deps/bench-npm"
ort_version=1.30.0
if ! grep -qs "\"version\": \"$ort_version\"" "$ort_dir/node_modules/onnxruntime-web/package.json" ||
   [ ! -d "$ort_dir/node_modules/onnx-proto" ]; then
  mkdir -p "$ort_dir"
  quiet npm install --prefix "$ort_dir" --no-audit --no-fund --save-exact onnxruntime-web@$ort_version onnx-proto@8.0.1
fi

echo "== native"
"$native_dir/ap_bench" | tee "$out/native.txt" || { echo "bench.sh: the native run failed" >&2; exit 1; }
echo
echo "== wasm under Node $(node --version)"
node "$wasm_dir/ap_bench.js" | tee "$out/node.txt" || { echo "bench.sh: the run under Node failed" >&2; exit 1; }
echo
echo "== wasm in headless Chromium"
node tests/e2e/bench_chromium.mjs "$wasm_dir/bench" | tee "$out/chromium.txt" ||
  { echo "bench.sh: the run in headless Chromium failed" >&2; exit 1; }
echo

# Every run must have printed both tables whole, or the ratios would be wrong.
for run in native node chromium; do
  forward=$(grep -cE '^ +[0-9]+,' "$out/$run.txt" || true)
  heads=$(grep -cE '^head ' "$out/$run.txt" || true)
  if [ "$forward" -ne 8 ] || [ "$heads" -ne 4 ]; then
    echo "bench.sh: the $run run printed $forward forward rows and $heads head rows, not 8 and 4" >&2
    exit 1
  fi
done

# Columns of the forward table: $1-$3 n, d_model, heads; $4 causal; $5 ms;
# $7 Eigen-only ms; $10 proj/peak. Of the head table: $2-$3 n, d_head;
# $6 q.kT/peak; $9 w.v/peak. Files: 1 native, 2 Node, 3 Chromium.
awk '
  function ratio(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "n/a" }
  FNR == 1 { f++ }
  /^ +[0-9]+,/ {
    size = $1 " " $2 " " $3; row = size "  " $4
    d = $2; sub(/,/, "", d)
    if (f == 1) { rows[++nrows] = row; if ($4 == "no") { sizes[++nsizes] = size; label[size] = $1 " " d } }
    ms[f, row] = $5; plain[f, row] = $7; proj[f, size] = $10
  }
  /^head / {
    head = $2 " " $3
    if (f == 1) heads[++nheads] = head
    qk[f, head] = $6; wv[f, head] = $9
  }
  END {
    print "== ratios: time per forward, wasm / native; speed-up = Eigen-only wasm forward / wasm forward"
    printf "%-22s %12s %16s %14s %14s %18s\n", "n, d_model, heads, mask", "Node/native", "Chromium/native",
           "Chromium/Node", "Node speed-up", "Chromium speed-up"
    for (i = 1; i <= nrows; i++) {
      r = rows[i]
      printf "%-22s %12s %16s %14s %14s %18s\n", r, ratio(ms[2, r], ms[1, r]), ratio(ms[3, r], ms[1, r]),
             ratio(ms[3, r], ms[2, r]), ratio(plain[2, r], ms[2, r]), ratio(plain[3, r], ms[3, r])
    }
    print ""
    print "== each kernel / the multiply-add peak measured in the same run (native: Eigen, wasm: SIMD128 kernel)"
    printf "%-38s %8s %8s %9s\n", "kernel", "native", "Node", "Chromium"
    for (i = 1; i <= nsizes; i++) {
      s = sizes[i]
      printf "%-38s %8s %8s %9s\n", "projection (n, d_model) = (" label[s] ")", proj[1, s], proj[2, s], proj[3, s]
    }
    for (i = 1; i <= nheads; i++) {
      h = heads[i]
      printf "%-38s %8s %8s %9s\n", "q.kT (n, d_head) = (" h ")", qk[1, h], qk[2, h], qk[3, h]
    }
    for (i = 1; i <= nheads; i++) {
      h = heads[i]
      printf "%-38s %8s %8s %9s\n", "w.v  (n, d_head) = (" h ")", wv[1, h], wv[2, h], wv[3, h]
    }
  }' "$out/native.txt" "$out/node.txt" "$out/chromium.txt"
echo
echo "== the page: transferred size and time to the first frame (headless Chromium)"
quiet cmake --build "$wasm_dir" --target playground
node tests/e2e/pageweight.mjs "$wasm_dir/web"
echo
echo "== live edits in the page (headless Chromium)"
node tests/e2e/edits.mjs "$wasm_dir/web"
echo
echo "== GPT-2 small (124M parameters, random weights): load and forward, native"
"$native_dir/ap_bench_gpt2" || { echo "bench.sh: the native GPT-2 run failed" >&2; exit 1; }
echo
echo "== GPT-2 small: load and forward, wasm under Node $(node --version)"
node "$wasm_dir/ap_bench_gpt2.js" || { echo "bench.sh: the GPT-2 run under Node failed" >&2; exit 1; }
echo
echo "== GPT-2 small in the page: load through a local hub, from the cache, forward, an edit (headless Chromium)"
quiet ctest --test-dir "$wasm_dir" -R gpt2_tokenizer_reference  # GPT-2's vocab.json and merges.txt
node tests/e2e/bench_model.mjs "$wasm_dir/web" "$wasm_dir/gpt2_tokenizer" ||
  { echo "bench.sh: the GPT-2 run in the page failed" >&2; exit 1; }
echo
echo "== the layer against ONNX Runtime Web, the same graph and data, side by side in headless Chromium"
node tests/e2e/bench_ort.mjs "$wasm_dir/bench_peer" "$ort_dir" ||
  { echo "bench.sh: the run against ONNX Runtime Web failed" >&2; exit 1; }
