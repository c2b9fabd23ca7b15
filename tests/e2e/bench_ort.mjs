// The project against ONNX Runtime Web, side by side in Debian's headless
// Chromium (a measurement, not a test: its name keeps `node --test` off it).
// For each size it writes one multi-head self-attention layer as an ONNX
// graph (MatMul + Add projections, Reshape/Transpose into heads, scaled
// Q·Kᵀ, the causal mask as an additive bias, Softmax, ·V, merge, output
// projection; weights as initializers, so ORT can pre-pack them) and the same
// x and weights for the project; serves both with tests/bench/ort.html
// cross-origin isolated; opens one page per thread count (ORT fixes its
// threads at start); checks that the two outputs agree; then times both over
// several rounds, alternating page by page and size by size, and prints the
// best of each with the ratios.
//   node tests/e2e/bench_ort.mjs <ap_bench_peer folder> <npm folder with onnxruntime-web and onnx-proto> [rounds]
//   AP_BENCH_TOKENS=256,1024 node tests/e2e/bench_ort.mjs ...   (only those sizes)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { launch, serve } from './harness.mjs';

const [peerDir, npmDir, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg || 5);
const require = createRequire(path.resolve(npmDir || '.', 'package.json'));
const { onnx } = require('onnx-proto');
const ortRoot = path.resolve(npmDir || '.', 'node_modules', 'onnxruntime-web');
const ortDist = path.join(ortRoot, 'dist');
const ortVersion = JSON.parse(fs.readFileSync(path.join(ortRoot, 'package.json'), 'utf8')).version;

const only = (process.env.AP_BENCH_TOKENS || '').split(',').filter(Boolean).map(Number);
const SIZES = [[16, 64, 4], [64, 768, 12], [256, 768, 12], [1024, 768, 12]].filter(([n]) => !only.length || only.includes(n));
const CASES = SIZES.flatMap(([n, d, heads]) => [false, true].map((causal) => ({
  name: `${n}-${d}-${heads}-${causal ? 'causal' : 'nomask'}`, n, d, heads, causal })));
const cores = os.cpus().length;
// The page's single-threaded build (as a first visit runs it), then the threaded build at 1 and at N threads.
const SETUPS = [{ key: '1 (single build)', threads: 1, build: 'single' }, { key: '1', threads: 1 },
                ...(cores > 1 ? [{ key: String(Math.min(cores, 8)), threads: Math.min(cores, 8) }] : [])];

// Deterministic uniform floats in [-a, a) (mulberry32), PyTorch nn.Linear's range for weights.
function uniform(count, a, seed) {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; ++i) {
    s = (s + 0x6D2B79F5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296 * 2 - 1) * a;
  }
  return out;
}

const transpose = (w, rows, cols) => {
  const t = new Float32Array(w.length);
  for (let r = 0; r < rows; ++r) for (let c = 0; c < cols; ++c) t[c * rows + r] = w[r * cols + c];
  return t;
};
const FLOAT = onnx.TensorProto.DataType.FLOAT, INT64 = onnx.TensorProto.DataType.INT64;
const floatInit = (name, dims, values) =>
  ({ name, dims, dataType: FLOAT, rawData: new Uint8Array(values.buffer.slice(0)) });
const intInit = (name, values) =>
  ({ name, dims: [values.length], dataType: INT64, rawData: new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer) });
const node = (opType, input, output, attribute = []) => ({ opType, input, output, name: output[0], attribute });
const ints = (name, values) => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
const int = (name, value) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: value });
const valueInfo = (name, dims) => ({ name, type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((v) => ({ dimValue: v })) } } } });

// The layer as an ONNX model and the project's data: x, then W and b of q, k, v, o (W: [d_out x d_in]).
function layer({ n, d, heads, causal }, seed) {
  const dh = d / heads, bound = 1 / Math.sqrt(d);
  const x = uniform(n * d, 1, seed);
  const parts = [x];
  const inits = [];
  for (const [i, p] of ['q', 'k', 'v', 'o'].entries()) {
    const w = uniform(d * d, bound, seed + 1 + 2 * i), b = uniform(d, bound, seed + 2 + 2 * i);
    parts.push(w, b);
    inits.push(floatInit(`W_${p}`, [d, d], transpose(w, d, d)), floatInit(`b_${p}`, [d], b));
  }
  inits.push(intInit('split_shape', [1, n, heads, dh]), intInit('merge_shape', [1, n, d]),
             floatInit('scale', [], new Float32Array([1 / Math.sqrt(dh)])));
  const nodes = [];
  for (const p of ['q', 'k', 'v']) {
    nodes.push(node('MatMul', ['x', `W_${p}`], [`${p}_mm`]), node('Add', [`${p}_mm`, `b_${p}`], [`${p}_proj`]),
               node('Reshape', [`${p}_proj`, 'split_shape'], [`${p}_split`]),
               node('Transpose', [`${p}_split`], [`${p}_heads`], [ints('perm', p === 'k' ? [0, 2, 3, 1] : [0, 2, 1, 3])]));
  }
  nodes.push(node('MatMul', ['q_heads', 'k_heads'], ['scores']), node('Mul', ['scores', 'scale'], ['scaled']));
  let logits = 'scaled';
  if (causal) {
    const mask = new Float32Array(n * n);
    for (let r = 0; r < n; ++r) for (let c = r + 1; c < n; ++c) mask[r * n + c] = -Infinity;
    inits.push(floatInit('causal_bias', [n, n], mask));
    nodes.push(node('Add', ['scaled', 'causal_bias'], ['masked']));
    logits = 'masked';
  }
  nodes.push(node('Softmax', [logits], ['weights'], [int('axis', -1)]), node('MatMul', ['weights', 'v_heads'], ['context']),
             node('Transpose', ['context'], ['context_t'], [ints('perm', [0, 2, 1, 3])]),
             node('Reshape', ['context_t', 'merge_shape'], ['concat']), node('MatMul', ['concat', 'W_o'], ['o_mm']),
             node('Add', ['o_mm', 'b_o'], ['y']));
  const model = onnx.ModelProto.create({
    irVersion: 8, producerName: 'attention-playground bench', opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'mha', node: nodes, initializer: inits, input: [valueInfo('x', [1, n, d])], output: [valueInfo('y', [1, n, d])] },
  });
  const data = new Float32Array(parts.reduce((k, p) => k + p.length, 0));
  let at = 0;
  for (const p of parts) { data.set(p, at); at += p.length; }
  return { model: onnx.ModelProto.encode(model).finish(), data };
}

function fail(message) {
  console.error(`bench_ort: ${message}`);
  process.exit(1);
}

async function main() {
  if (!peerDir || !fs.existsSync(path.join(peerDir, 'ap_bench_peer.js')))
    fail(`no ap_bench_peer.js in ${peerDir}: build the target ap_bench_peer of the wasm preset`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-bench-ort-'));
  try {
    fs.mkdirSync(path.join(dir, 'ort'));
    for (const f of ['ort.wasm.min.js', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'])
      fs.copyFileSync(path.join(ortDist, f), path.join(dir, 'ort', f));
    for (const f of fs.readdirSync(peerDir)) if (f.startsWith('ap_bench_peer')) fs.copyFileSync(path.join(peerDir, f), path.join(dir, f));
    fs.copyFileSync(new URL('../bench/ort.html', import.meta.url), path.join(dir, 'index.html'));
    CASES.forEach((c, i) => {
      const { model, data } = layer(c, 1000 * (i + 1));
      fs.mkdirSync(path.join(dir, 'data', c.name), { recursive: true });
      fs.writeFileSync(path.join(dir, 'data', c.name, 'model.onnx'), model);
      fs.writeFileSync(path.join(dir, 'data', c.name, 'data.bin'), data);
    });

    const server = await serve(dir, { headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } });
    const browser = await launch();
    try {
      // One page at a time, so that no other page's threads (ORT's spin after a run) share the cores.
      const open = async (setup) => {
        const page = await browser.newPage();
        page.on('pageerror', (e) => fail(`page (${setup.key} threads): ${e.message}`));
        page.on('console', (m) => { if (m.type() === 'error') fail(`page (${setup.key} threads): ${m.text()}`); });
        await page.goto(`${server.url}?threads=${setup.threads}${setup.build ? '&build=' + setup.build : ''}`);
        const r = await page.evaluate(() => window.peer.ready);
        if (!r.isolated) fail('the page is not cross-origin isolated');
        return page;
      };
      let page = await open(SETUPS[1]);
      const ua = await page.evaluate(() => navigator.userAgent.match(/Chrom(e|ium)\/[0-9.]+/)?.[0]);
      console.log(`(${ua}, headless; onnxruntime-web ${ortVersion}, wasm backend; ${cores} cores; best of ${rounds} rounds)`);

      // The same computation: the outputs agree (float32 sums of 768 terms in either order).
      for (const c of CASES) {
        const { diff, size } = await page.evaluate((k) => window.peer.check(k), c);
        if (!(diff <= 1e-4 * Math.max(1, size))) fail(`${c.name}: the project and ORT differ by ${diff} (outputs up to ${size})`);
      }
      console.log('outputs agree on every size: largest difference within 1e-4 of the largest output');
      await page.close();

      // Each round opens a page per thread count in turn; in it, every size is timed twice, the
      // project and ORT alternating: the first pass is not counted, for V8 runs new wasm code from
      // its baseline compiler until the hot functions are optimised in the background.
      const best = {};
      for (let r = 0; r < rounds; ++r)
        for (const setup of SETUPS) {
          page = await open(setup);
          for (const pass of [0, 1])
            for (const c of CASES) {
              const reps = c.n >= 1024 ? 2 : c.n >= 256 ? 3 : 10;
              const [row] = await page.evaluate(([k, n]) => window.peer.round([k], n), [c, reps]);
              if (pass === 0) continue;
              const key = `${c.name}@${setup.key}`;
              best[key] = { project: Math.min(best[key]?.project ?? Infinity, row.project), ort: Math.min(best[key]?.ort ?? Infinity, row.ort) };
            }
          await page.close();
        }

      const ms = (v) => (v < 1 ? v.toFixed(3) : v.toFixed(1)).padStart(9);
      const at = (c, setup) => best[`${c.name}@${setup.key}`];
      for (const setup of SETUPS) {
        console.log();
        console.log(`== ${setup.key} thread${setup.threads > 1 ? 's' : ''}: ms per forward, ratio = project / ORT (below 1: the project is faster)`);
        console.log(`${'n, d_model, heads'.padEnd(18)} ${'mask'.padEnd(7)} ${'project'.padStart(9)} ${'ORT'.padStart(9)} ${'ratio'.padStart(6)}`);
        for (const c of CASES) {
          const b = at(c, setup);
          console.log(`${`${c.n}, ${c.d}, ${c.heads}`.padEnd(18)} ${(c.causal ? 'causal' : 'none').padEnd(7)} ${ms(b.project)} ${ms(b.ort)} ${(b.project / b.ort).toFixed(2).padStart(6)}`);
        }
      }
      if (SETUPS.length > 2) {
        const [single, one, many] = SETUPS;
        console.log();
        console.log(`== the project's speed-up: 1 -> ${many.threads} threads (threaded build), and the threaded build at 1 thread / the single-threaded build`);
        for (const c of CASES)
          console.log(`${`${c.n}, ${c.d}, ${c.heads}`.padEnd(18)} ${(c.causal ? 'causal' : 'none').padEnd(7)} ${(at(c, one).project / at(c, many).project).toFixed(2).padStart(6)}x ${(at(c, one).project / at(c, single).project).toFixed(2).padStart(8)}`);
      }
    } finally {
      await browser.close();
      await server.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => fail(e.stack || String(e)));
