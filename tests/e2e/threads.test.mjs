// The two builds of the page in Debian's headless Chromium: the first visit
// runs the single-threaded build and says why; once the service worker
// controls the page it is cross-origin isolated and runs the threaded build,
// whose tensors have the same bits on any thread count and as the
// single-threaded build's; a host that sends the headers itself (as
// scripts/serve.sh does) is isolated at once; a page whose worker is blocked
// still works, on one thread. Each load fetches one build only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openPage, ready, serve, setup } from './harness.mjs';

const env = setup();
const api = (page, fn, arg) => page.evaluate(fn, arg);
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

// Collects the wasm files a page fetches (through its worker or not).
const builds = (seen) => (page) =>
  page.on('request', (r) => { const f = path.basename(new URL(r.url()).pathname); if (f.endsWith('.wasm')) seen.push(f); });

// A config large enough that every loop is shared (each crosses the pool's threshold).
const LARGE = { d_model: 256, n_heads: 4, causal: true, pad_to: 160, mask_pad_keys: false, dropout: 0.1 };

// Every head's weights, the context and the output, as arrays of floats.
async function tensors(page) {
  await api(page, (c) => playground.setConfig(c), LARGE);
  await api(page, () => playground.settled());
  return api(page, () => {
    const out = {};
    for (let h = 0; h < 4; ++h) out['weights ' + h] = Array.from(playground.tensor('weights', h).data);
    for (const name of ['q_proj', 'context', 'output']) out[name] = Array.from(playground.tensor(name).data);
    return out;
  });
}

function sameBits(a, b, what) {
  for (const key of Object.keys(a)) {
    const x = new Uint32Array(new Float32Array(a[key]).buffer), y = new Uint32Array(new Float32Array(b[key]).buffer);
    assert.equal(x.length, y.length, `${what}: ${key} has another size`);
    const at = x.findIndex((v, i) => v !== y[i]);
    assert.equal(at, -1, `${what}: ${key} differs at ${at} (${a[key][at]} vs ${b[key][at]})`);
  }
}

let single;  // the single-threaded build's tensors, from the first visit

test('first visit: the single-threaded build, saying why; after a reload the worker isolates the page and threads run', async () => {
  const seen = [];
  const { page, errors, context } = await openPage(env.browser, env.server.url, { beforeLoad: builds(seen) });
  try {
    await ready(page);
    let r = await api(page, () => playground.runtime());
    assert.equal(r.threaded, false);
    assert.equal(r.isolated, false);
    assert.equal(r.threads, 1);
    assert.equal(r.build, 'playground.js');
    assert.match(r.reason, /not cross-origin isolated/);
    assert.deepEqual(seen, ['playground.wasm']);
    single = await tensors(page);

    await api(page, () => navigator.serviceWorker.ready.then(() => true));
    seen.length = 0;
    await page.reload();
    await ready(page);
    assert.equal(await api(page, () => self.crossOriginIsolated), true);
    r = await api(page, () => playground.runtime());
    assert.equal(r.threaded, true, JSON.stringify(r));
    assert.equal(r.build, 'playground-threads.js');
    const cores = await api(page, () => navigator.hardwareConcurrency);
    assert.equal(r.threads, Math.min(cores, 8));
    assert.equal(r.maxThreads, r.threads);
    assert.equal(r.reason, '');
    assert.deepEqual(seen, ['playground-threads.wasm'], 'only the threaded build is fetched');
    const threaded = await tensors(page);
    sameBits(single, threaded, `${r.threads} threads against the single-threaded build`);
    await page.waitForTimeout(200);
    await page.screenshot({ path: path.join(env.shots, 'threads-isolated.png') });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('threaded: the same bits on 1, 2, 3 and 8 threads (?threads=8 asks for eight workers)', async () => {
  const server = await serve(env.dir, { headers: ISOLATION });
  const { page, errors, context } = await openPage(env.browser, server.url + '?threads=8', { serviceWorkers: 'block' });
  try {
    await ready(page);
    const r = await api(page, () => playground.runtime());
    assert.equal(r.threaded, true, 'a host that sends COOP/COEP is isolated on the first visit');
    assert.equal(r.maxThreads, 8);
    const reference = single || await tensors(page);
    for (const n of [1, 2, 3, 8]) {
      assert.deepEqual(await api(page, (k) => playground.setThreads(k), n), { ok: true, threads: n });
      // A new seed remakes everything, then the same config again: computed afresh on n threads.
      await api(page, () => playground.setConfig({ seed: 7 }));
      await api(page, () => playground.settled());
      await api(page, () => playground.setConfig({ seed: 42 }));
      sameBits(reference, await tensors(page), `${n} threads`);
    }
    assert.deepEqual(await api(page, () => playground.setThreads(0)),
                     { ok: false, errors: ['threads must be a whole number from 1 up'] });
    assert.equal((await api(page, () => playground.setThreads(99))).threads, 8, 'clamped to the workers made');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    await server.close();
  }
});

test('with the service worker blocked the page runs on one thread, says so, and works', async () => {
  const { page, errors, context } = await openPage(env.browser, env.server.url, { serviceWorkers: 'block' });
  try {
    await ready(page);
    await page.reload();
    await ready(page);
    const r = await api(page, () => playground.runtime());
    assert.equal(r.threaded, false);
    assert.match(r.reason, /not cross-origin isolated/);
    const t = await tensors(page);
    if (single) sameBits(single, t, 'the single-threaded build again');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

// GPT-2 from https://huggingface.co itself, answered by Playwright from the reference fixture's tiny_vocab model with
// the hub's CORS headers: under COEP an isolated page may read only CORS (or CORP) responses from another origin.
const fixture = path.join(process.env.GPT2_REFERENCE_DIR || '', 'tiny_vocab');
const repo = 'test-org/tiny-gpt2';
async function hubRoute(context) {
  await context.route('https://huggingface.co/**', async (route) => {
    const req = route.request();
    const m = new URL(req.url()).pathname.match(/^\/(.+)\/resolve\/main\/([^/]+)$/);
    const file = m && m[1] === repo ? path.join(fixture, m[2]) : null;
    const cors = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'Content-Length, Content-Range, Accept-Ranges' };
    if (req.method() === 'OPTIONS')
      return route.fulfill({ status: 204, headers: { ...cors, 'Access-Control-Allow-Headers': 'Range', 'Access-Control-Allow-Methods': 'GET, HEAD' } });
    if (!file || !fs.existsSync(file)) return route.fulfill({ status: 404, headers: cors, body: 'not found' });
    const body = fs.readFileSync(file);
    const range = (req.headers().range || '').match(/^bytes=(\d+)-(\d*)$/);
    const from = range ? Number(range[1]) : 0, to = range && range[2] ? Math.min(Number(range[2]) + 1, body.length) : body.length;
    const headers = { ...cors, 'Content-Length': String(to - from), 'Accept-Ranges': 'bytes' };
    if (range) headers['Content-Range'] = `bytes ${from}-${to - 1}/${body.length}`;
    return route.fulfill({ status: range ? 206 : 200, headers, body: req.method() === 'HEAD' ? '' : body.subarray(from, to) });
  });
}

// Every layer's weights of every head and the prediction, after loading the model by repo id.
async function modelOutputs(page) {
  await api(page, () => playground.setConfig({ text: 'The cat sat on the mat because it was' }));
  const r = await api(page, (id) => playground.loadModel(id), repo);
  assert.equal(r.ok, true, JSON.stringify(r.errors));
  await api(page, () => playground.settled());
  return api(page, () => {
    const m = playground.model(), p = playground.prediction(), out = {};
    out.prediction = { ids: p.ids, probs: p.probs, logprobs: p.logprobs };
    for (let l = 0; l < m.layers; ++l)
      for (let h = 0; h < m.heads; ++h) out[`weights ${l}.${h}`] = Array.from(playground.tensor('weights', h, l).data);
    return out;
  });
}

test('under COEP a GPT-2 downloads from the hub (CORS) and runs threaded, with the single-threaded build\'s bits', async () => {
  assert.ok(fs.existsSync(path.join(fixture, 'model.safetensors')), `${fixture} is missing: the gpt2_reference fixture (ctest) writes it`);
  const server = await serve(env.dir, { headers: ISOLATION });
  const threaded = await openPage(env.browser, server.url, { serviceWorkers: 'block' });
  const single = await openPage(env.browser, env.server.url, { serviceWorkers: 'block' });
  try {
    for (const { context } of [threaded, single]) await hubRoute(context);
    await ready(threaded.page);
    await ready(single.page);
    assert.equal((await api(threaded.page, () => playground.runtime())).threaded, true);
    assert.equal((await api(single.page, () => playground.runtime())).threaded, false);
    const a = await modelOutputs(threaded.page), b = await modelOutputs(single.page);
    assert.equal(Object.keys(a).length, 1 + 2 * 4);
    assert.deepEqual(a.prediction, b.prediction, 'the same next tokens and probabilities to the last bit');
    delete a.prediction;
    delete b.prediction;
    sameBits(b, a, 'GPT-2 on 2 threads against the single-threaded build');
    assert.deepEqual(threaded.errors, []);
    assert.deepEqual(single.errors, []);
  } finally {
    await threaded.context.close();
    await single.context.close();
    await server.close();
  }
});
