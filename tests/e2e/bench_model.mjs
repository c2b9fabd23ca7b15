// GPT-2 small in the page (a measurement, not a test: its name keeps `node
// --test tests/e2e/` off it). Writes a model.safetensors of GPT-2 small's true
// size (124M parameters, random weights in GPT-2's layout, F32: 498 MB) beside
// GPT-2's tokenizer files, serves them from a local server laid out like the
// hub, and in headless Chromium measures: the first load (download through
// hub.js, streamed into wasm and converted), the load again from the device's
// cache with the network cut, the forward at 16, 64, 256 and 1024 tokens, and an
// edit of the last layer at 64 tokens until it is on screen (in frames).
//   node tests/e2e/bench_model.mjs build/wasm/web build/wasm/gpt2_tokenizer
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve, launch, openPage, ready } from './harness.mjs';

const [web = 'build/wasm/web', tokenizer = 'build/wasm/gpt2_tokenizer'] = process.argv.slice(2);
const repo = 'bench/gpt2-small';
const C = { n_layer: 12, n_head: 12, n_embd: 768, n_positions: 1024, vocab_size: 50257 };

function fail(message) {
  console.error(`bench_model: ${message}`);
  process.exit(1);
}

// GPT-2's tensors as Hugging Face saves them (Conv1D weights [d_in, d_out]).
function tensors() {
  const d = C.n_embd, out = [['wte.weight', [C.vocab_size, d]], ['wpe.weight', [C.n_positions, d]]];
  for (let l = 0; l < C.n_layer; ++l) {
    const h = `h.${l}.`;
    out.push([h + 'ln_1.weight', [d]], [h + 'ln_1.bias', [d]], [h + 'attn.c_attn.weight', [d, 3 * d]],
             [h + 'attn.c_attn.bias', [3 * d]], [h + 'attn.c_proj.weight', [d, d]], [h + 'attn.c_proj.bias', [d]],
             [h + 'ln_2.weight', [d]], [h + 'ln_2.bias', [d]], [h + 'mlp.c_fc.weight', [d, 4 * d]],
             [h + 'mlp.c_fc.bias', [4 * d]], [h + 'mlp.c_proj.weight', [4 * d, d]], [h + 'mlp.c_proj.bias', [d]]);
  }
  out.push(['ln_f.weight', [d]], ['ln_f.bias', [d]]);
  return out;
}

// Written a tensor at a time: layer norm gains 1, everything else uniform in ±0.02 (a fixed LCG).
function writeModel(file) {
  const list = tensors();
  const header = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [name, shape] of list) {
    const bytes = 4 * shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - (text.length % 8)) % 8);
  const fd = fs.openSync(file, 'w');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(text.length));
  fs.writeSync(fd, len);
  fs.writeSync(fd, Buffer.from(text));
  let state = 12345;
  for (const [name, shape] of list) {
    const a = new Float32Array(shape.reduce((x, y) => x * y, 1));
    if (/ln_.*weight|ln_f\.weight/.test(name)) a.fill(1);
    else for (let i = 0; i < a.length; ++i) { state = (state * 1103515245 + 12345) >>> 0; a[i] = (state / 2 ** 32 - 0.5) * 0.04; }
    fs.writeSync(fd, new Uint8Array(a.buffer));
  }
  fs.closeSync(fd);
  return 8 + text.length + offset;
}

const words = (n) => Array.from({ length: n }, (_, i) => ['the', 'cat', 'sat', 'on', 'a', 'mat'][i % 6]).join(' ');

async function main() {
  for (const f of ['vocab.json', 'merges.txt'])
    if (!fs.existsSync(path.join(tokenizer, f))) fail(`${path.join(tokenizer, f)} is missing: run ctest -R gpt2_tokenizer once`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-bench-model-'));
  const dir = path.join(root, repo);
  fs.mkdirSync(dir, { recursive: true });
  const size = writeModel(path.join(dir, 'model.safetensors'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(Object.assign({ model_type: 'gpt2' }, C)));
  for (const f of ['vocab.json', 'merges.txt']) fs.copyFileSync(path.join(tokenizer, f), path.join(dir, f));
  const server = await serve(web, { hub: root });
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser, server.url);
    await ready(page);
    await page.evaluate(() => playground.hub.setBase('/hub'));
    // The whole load, and the part of it spent in wasm parsing and converting (the feeds and the finish).
    const load = () => page.evaluate(async (repo) => {
      let convert = 0;
      for (const name of ['_ap_model_feed', '_ap_model_finish']) {
        window[name](0, 0);  // Emscripten binds an export on its first call, replacing the global: bind it first
        const f = window[name];
        window[name] = (...a) => { const t = performance.now(); try { return f(...a); } finally { convert += performance.now() - t; } };
      }
      const t0 = performance.now();
      const r = await playground.loadModel(repo);
      const loaded = performance.now() - t0;
      await playground.settled();
      return { ok: r.ok, errors: r.errors, ms: performance.now() - t0, loaded, convert };
    }, repo);
    const seconds = (ms) => (ms / 1000).toFixed(2) + ' s';
    const first = await load();
    if (!first.ok) fail(`the first load failed: ${first.errors.join(' ')}`);
    console.log(`model.safetensors: ${(size / 1e6).toFixed(1)} MB (GPT-2 small's 124M parameters, F32)`);
    console.log(`first load from a local hub: ${seconds(first.loaded)} (${seconds(first.convert)} of it parsing and ` +
                `converting in wasm), then ${seconds(first.ms - first.loaded)} to the first forward on screen`);
    await page.reload();
    await ready(page);
    server.hub.offline = true;
    const cached = await load();
    server.hub.offline = false;
    if (!cached.ok) fail(`the load from the cache failed: ${cached.errors.join(' ')}`);
    console.log(`load from the device's cache, network cut: ${seconds(cached.loaded)} (${seconds(cached.convert)} of it ` +
                `parsing and converting in wasm, the rest reading Cache Storage), then ${seconds(cached.ms - cached.loaded)} ` +
                'to the first forward on screen');
    console.log('\n    n  forward ms (page, summed over its frames)  wall ms');
    for (const n of [16, 64, 256, 1024]) {
      const r = await page.evaluate(async (text) => {
        playground.setConfig({ text, layer: 0 });
        const t0 = performance.now();
        await playground.settled();
        return { wall: performance.now() - t0, info: playground.model() };
      }, words(n));
      console.log(`${String(r.info.tokens).padStart(5)}  ${r.info.forwardMs.toFixed(0).padStart(10)}  ${r.wall.toFixed(0).padStart(30)}`);
    }
    const edit = await page.evaluate(async (text) => {
      playground.setConfig({ text });
      await playground.settled();
      const frames = () => new Promise((r) => requestAnimationFrame(() => r()));
      await frames();
      const t0 = performance.now();
      const r = playground.setConfig({ layers: { 11: { window: 4 } } });
      let n = 0;
      while (playground.computing().busy) { await frames(); ++n; }
      return { ok: r.ok, pending: r.pending, frames: n, ms: performance.now() - t0, forwardMs: playground.model().forwardMs };
    }, words(64));
    console.log(`\nan edit of the last layer at 64 tokens: computed in ${edit.forwardMs.toFixed(1)} ms, ` +
                `${edit.pending ? `shown after ${edit.frames} frame(s)` : 'shown on the next frame (computed at once)'}`);
    if (errors.length) console.log(errors.join('\n'));
  } finally {
    await browser.close();
    await server.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e) => fail(e.stack || String(e)));
