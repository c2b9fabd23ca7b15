// A real GPT-2 in the page, through the same code as the Hugging Face hub: the
// reference fixture's tiny_vocab model (GPT-2's real vocabulary, random
// weights; tests/reference/gpt2_numpy.py) served by a local server laid out
// like the hub. The download with its progress, the model view and a click on
// a head, the prediction against NumPy's float64 forward, an ablation that
// changes it, the cache with the network cut, an interrupted download resumed,
// refused models and files, a link that asks before downloading; screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve, launch, openPage, ready, frames, click } from './harness.mjs';

const fixture = path.join(process.env.GPT2_REFERENCE_DIR || '', 'tiny_vocab');
const repo = 'test-org/tiny-gpt2';
const env = { shots: path.join(path.dirname(new URL(import.meta.url).pathname), 'screenshots') };

// A float64 or int64 .npy's shape and values (the fixture writes '<f8' and '<i8', C order).
function npy(file) {
  const b = fs.readFileSync(file);
  const headerLen = b.readUInt16LE(8);
  const header = b.toString('latin1', 10, 10 + headerLen);
  const descr = header.match(/'descr': '(<f8|<i8)'/);
  assert.ok(descr, header);
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').filter((s) => s.trim()).map(Number);
  const raw = b.buffer.slice(b.byteOffset + 10 + headerLen, b.byteOffset + b.length);
  const data = descr[1] === '<f8' ? new Float64Array(raw) : Float64Array.from(new BigInt64Array(raw), Number);
  return { shape, data };
}

before(async () => {
  assert.ok(fs.existsSync(path.join(fixture, 'model.safetensors')),
            `${fixture} is missing: the gpt2_reference fixture (ctest) writes it`);
  env.root = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-model-'));
  const dir = path.join(env.root, repo);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt']) fs.copyFileSync(path.join(fixture, f), path.join(dir, f));
  // gpt2-large's sizes: refused before its (absent) weights are asked for.
  const large = path.join(env.root, 'test-org/too-large');
  fs.mkdirSync(large, { recursive: true });
  fs.writeFileSync(path.join(large, 'config.json'), JSON.stringify({ model_type: 'gpt2', n_layer: 36, n_head: 20, n_embd: 1280, vocab_size: 50257, n_positions: 1024 }));
  fs.writeFileSync(path.join(large, 'model.safetensors'), 'not read');
  fs.copyFileSync(path.join(fixture, 'vocab.json'), path.join(large, 'vocab.json'));
  fs.copyFileSync(path.join(fixture, 'merges.txt'), path.join(large, 'merges.txt'));
  env.server = await serve(process.env.PLAYGROUND_DIR, { hub: env.root });
  env.browser = await launch();
  fs.mkdirSync(env.shots, { recursive: true });
});
after(async () => {
  await env.browser?.close();
  await env.server?.close();
  if (env.root) fs.rmSync(env.root, { recursive: true, force: true });
});

// A page whose hub is the local one; its context (and so its cache) is shared by the tests below.
async function page(options = {}, hash = '') {
  if (!env.context || options.fresh) {
    const opened = await openPage(env.browser, env.server.url + hash, options);
    if (!options.fresh) Object.assign(env, opened);
    await ready(opened.page);
    await opened.page.evaluate(() => playground.hub.setBase('/hub'));
    return opened.page;
  }
  return env.page;
}
const gets = (file) => env.server.hub.requests.filter((r) => r[0] === 'GET' && r[1].endsWith('/' + file));
const widget = async (p, name) => {
  const w = (await p.evaluate(() => playground.layout())).widgets[name];
  assert.ok(w, `no widget "${name}" in layout()`);
  return w;
};

test('loading by repo id: sizes first, progress, then every layer x head in the model view', async () => {
  const p = await page();
  await p.evaluate(() => playground.setConfig({ text: 'The cat sat on the mat because it was' }));
  // Every status the page's side reports, recorded as it comes.
  await p.evaluate(() => {
    window.__status = [];
    window._ap_model_fetch(0);  // Emscripten binds the export on its first call, replacing the global: bind it first
    const report = window._ap_model_fetch;
    window._ap_model_fetch = (ptr) => { window.__status.push(JSON.parse(UTF8ToString(ptr))); return report(ptr); };
  });
  env.server.hub.requests.length = 0;
  const r = await p.evaluate((repo) => playground.loadModel(repo), repo);
  assert.equal(r.ok, true, JSON.stringify(r.errors));
  assert.equal(r.info.layers, 2);
  assert.equal(r.info.heads, 4);
  assert.equal(r.info.n_positions, 64);
  // HEAD requests (the sizes) before any byte of the weights.
  const first = env.server.hub.requests.findIndex((q) => q[0] === 'GET' && q[1].endsWith('model.safetensors'));
  assert.ok(first > 0 && env.server.hub.requests.slice(0, first).some((q) => q[0] === 'HEAD' && q[1].endsWith('model.safetensors')));
  const status = await p.evaluate(() => window.__status);
  const phases = status.map((s) => s.phase);
  assert.ok(phases.includes('sizing') && phases.includes('converting') && phases.at(-1) === 'done', phases.join(','));
  const total = fs.statSync(path.join(fixture, 'model.safetensors')).size;
  const progress = status.filter((s) => s.phase === 'downloading');
  assert.ok(progress.some((s) => s.done < s.total) && progress.at(-1).done === progress.at(-1).total, 'progress up to the total');
  assert.ok(progress.at(-1).total > total, 'the total counts the tokenizer files too');

  await p.evaluate(() => playground.openPanel('model'));
  await p.evaluate(() => playground.settled());
  await frames(p);
  const maps = (await p.evaluate(() => playground.layout())).heatmaps.filter((m) => m.layer >= 0);
  assert.equal(maps.length, 8, 'a thumbnail per layer and head');
  await p.screenshot({ path: `${env.shots}/model-1280x800-gpt2-tab.png` });
  // A click on layer 1, head 2 inspects it: every tab shows layer 1, Heads shows head 2.
  const m = maps.find((x) => x.layer === 1 && x.head === 2);
  await click(p, m.x + m.w / 2, m.y + m.h / 2);
  await p.evaluate(() => playground.settled());
  assert.equal((await p.evaluate(() => playground.model())).layer, 1);
  assert.equal(await p.evaluate(() => playground.panel()), 'heads');
  const link = await p.evaluate(() => playground.link());
  assert.match(link, /model=test-org\/tiny-gpt2/);
  assert.match(link, /layer=1/);
  await frames(p);
  await p.screenshot({ path: `${env.shots}/model-1280x800-heads-layer1.png` });
});

test("the prediction and every layer's weights are NumPy's; an ablation changes the prediction", async () => {
  const p = await page();
  const text = fs.readFileSync(path.join(fixture, 'reference/text.txt'), 'utf8');
  assert.equal((await p.evaluate((t) => playground.setConfig({ text: t, layer: 0 }), text)).ok, true);
  await p.evaluate(() => playground.settled());
  // Tolerances as the native suite's (tests/test_gpt2.cpp): weights 2e-5, probabilities from logits within 1e-5 of the largest.
  const n = npy(path.join(fixture, 'reference/tokens.npy')).data.length;
  for (const layer of [0, 1]) {
    const ref = npy(path.join(fixture, `reference/weights_${layer}.npy`));
    const got = await p.evaluate((l) => { const t = playground.tensor('weights', undefined, l); return { shape: t.shape, data: Array.from(t.data) }; }, layer);
    assert.deepEqual(got.shape, [4, n, n]);
    let worst = 0;
    got.data.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - ref.data[i])); });
    assert.ok(worst < 2e-5, `layer ${layer}: weights off by ${worst}`);
  }
  const refLogits = npy(path.join(fixture, 'reference/logits.npy'));
  const vocab = refLogits.shape[1];
  const last = refLogits.data.subarray((n - 1) * vocab, n * vocab);
  const top = Math.max(...last);
  let sum = 0;
  for (const v of last) sum += Math.exp(v - top);
  const before = await p.evaluate(() => playground.prediction());
  assert.equal(before.tokens.length, 10);
  before.ids.forEach((id, i) => assert.ok(Math.abs(before.probs[i] - Math.exp(last[id] - top) / sum) < 1e-5, `p(${id})`));
  // Ablating head 2 of layer 1 gives NumPy's ablated forward, and the change in log p is reported.
  const st = await p.evaluate(() => playground.modelEdit({ action: 'ablate', layer: 1, head: 2 }));
  assert.deepEqual(st.info.ablated, ['1.2']);
  await p.evaluate(() => playground.settled());
  const after = await p.evaluate(() => playground.prediction());
  assert.notDeepEqual(after.probs, before.probs);
  assert.equal(after.uneditedLogprobs.length, 10);
  const ablated = npy(path.join(fixture, 'reference/ablated_logits.npy')).data.subarray((n - 1) * vocab, n * vocab);
  const atop = Math.max(...ablated);
  let asum = 0;
  for (const v of ablated) asum += Math.exp(v - atop);
  after.ids.forEach((id, i) => assert.ok(Math.abs(after.probs[i] - Math.exp(ablated[id] - atop) / asum) < 1e-5, `ablated p(${id})`));
  await p.evaluate(() => playground.openPanel('model'));
  await frames(p);
  await p.screenshot({ path: `${env.shots}/model-1280x800-ablated.png` });
  await p.evaluate(() => playground.modelEdit({ action: 'clear' }));
  // Every head's behaviour, measured on repeated random tokens: a score in [0, 1] per layer and head.
  const b = await p.evaluate(() => playground.modelEdit({ action: 'behaviour' }).behaviour);
  for (const key of ['previous', 'first', 'same', 'duplicate', 'induction']) {
    assert.equal(b[key].length, 2, key);
    assert.ok(b[key].every((row) => row.length === 4 && row.every((v) => v >= 0 && v <= 1)), key);
  }
  await p.setViewportSize({ width: 1280, height: 1400 });  // the whole tab, down to the behaviour map
  await frames(p);
  await frames(p);
  await p.screenshot({ path: `${env.shots}/model-1280x1400-behaviour.png` });
  await p.setViewportSize({ width: 1280, height: 800 });
});

test('the GPT-2 lesson with the tiny model: its previous-token head from NumPy, its induction head', async () => {
  const p = await page();
  const text = fs.readFileSync(path.join(fixture, 'reference/text.txt'), 'utf8');
  assert.equal((await p.evaluate((t) => playground.setConfig({ text: t, layer: 0 }), text)).ok, true);
  await p.evaluate(() => playground.openLesson('gpt2-heads', 0));
  await p.evaluate(() => playground.settled());
  const answer = (v) => p.evaluate((x) => playground.answer(x), v);
  const best = (score, h) => {
    let b = 0;
    for (let head = 1; head < h; ++head) if (score(head) > score(b)) b = head;
    return b;
  };
  // Step 1: the previous-token head of layer 0, from NumPy's float64 weights on the fixture's text.
  const ref = npy(path.join(fixture, 'reference/weights_0.npy'));
  const [h, n] = ref.shape;
  const previous = (head) => {
    let s = 0;
    for (let i = 1; i < n; ++i) s += ref.data[(head * n + i) * n + i - 1];
    return s / (n - 1);
  };
  const prev = best(previous, h);
  assert.equal((await answer((prev + 1) % h)).correct, false, 'another head is refused');
  const yes = await answer(prev);
  assert.equal(yes.correct, true, yes.feedback);
  // Step 2: a phrase said twice; the induction score of each head worked out here from the page's weights
  // (checked against NumPy's above): the weight on the key just after an earlier copy of the query's token.
  await p.evaluate(() => playground.nextStep());
  await p.evaluate(() => playground.setConfig({ text: 'the cat sat on the warm mat and slept. the cat sat on the warm mat and slept.' }));
  await p.evaluate(() => playground.settled());
  const { weights, tokens } = await p.evaluate(() => {
    const w = playground.tensor('weights');
    return { weights: { shape: w.shape, data: Array.from(w.data) }, tokens: playground.tokens() };
  });
  const m = tokens.length;
  const induction = (head) => {
    let sum = 0, count = 0;
    for (let i = 1; i < m; ++i) {
      let v = 0, has = false;
      for (let j = 1; j < i; ++j) if (tokens[j - 1] === tokens[i]) { v += weights.data[(head * m + i) * m + j]; has = true; }
      if (has) { sum += v; ++count; }
    }
    return sum / count;
  };
  const ind = best(induction, weights.shape[0]);
  assert.equal((await answer((ind + 1) % h)).correct, false, 'another head is refused');
  const found = await answer(ind);
  assert.equal(found.correct, true, found.feedback);
  const state = await p.evaluate(() => playground.lessonState());
  assert.equal(state.complete, true);
  await p.evaluate(() => playground.closeLesson());
});

test('reopening the page uses the cache with the network cut', async () => {
  const p = await page();
  await p.reload();
  await ready(p);
  await p.evaluate(() => playground.hub.setBase('/hub'));
  env.server.hub.offline = true;
  env.server.hub.requests.length = 0;
  try {
    const r = await p.evaluate((repo) => playground.loadModel(repo), repo);
    assert.equal(r.ok, true, JSON.stringify(r.errors));
  } finally {
    env.server.hub.offline = false;
  }
  assert.equal(env.server.hub.requests.filter((q) => q[0] !== 'HEAD').length, 0, 'nothing fetched');
  const cached = await p.evaluate(() => playground.hub.cached());
  assert.ok(cached.some((c) => c.repo === repo && c.files.includes('model.safetensors')));
});

test('an interrupted download keeps the loaded model, and loading again fetches only what is missing', async () => {
  const p = await page();
  await p.evaluate((repo) => playground.hub.clear(repo), repo);
  env.server.hub.failing.add('model.safetensors');
  env.server.hub.requests.length = 0;
  let r;
  try {
    r = await p.evaluate((repo) => playground.loadModel(repo), repo);
  } finally {
    env.server.hub.failing.clear();
  }
  assert.equal(r.ok, false);
  assert.match(r.errors[0], /interrupted .*load again to resume/);
  assert.equal((await p.evaluate(() => playground.model())).name, repo, 'the loaded model stays');
  env.server.hub.requests.length = 0;
  r = await p.evaluate((repo) => playground.loadModel(repo), repo);
  assert.equal(r.ok, true, JSON.stringify(r.errors));
  assert.equal(gets('vocab.json').length + gets('merges.txt').length + gets('config.json').length, 0, 'tokenizer and config from the cache');
  assert.equal(gets('model.safetensors').length, 1);
});

test('a model too large for the page is refused before its download, and a bad file keeps the model', async () => {
  const p = await page();
  env.server.hub.requests.length = 0;
  let r = await p.evaluate(() => playground.loadModel('test-org/too-large'));
  assert.equal(r.ok, false);
  assert.match(r.errors[0], /test-org\/too-large: .*parameters need \d+ MiB as float32; the limit is \d+ MiB/);
  assert.equal(gets('model.safetensors').length, 0, 'the weights were never asked for');
  // A truncated model.safetensors among local files.
  const files = ['config.json', 'vocab.json', 'merges.txt'].map((f) => [f, fs.readFileSync(path.join(fixture, f)).toString('base64')]);
  files.push(['model.safetensors', fs.readFileSync(path.join(fixture, 'model.safetensors')).subarray(0, 100000).toString('base64')]);
  r = await p.evaluate((files) => playground.loadModel(files.map(([n, b]) => new File([Uint8Array.from(atob(b), (c) => c.charCodeAt(0))], n))), files);
  assert.equal(r.ok, false);
  assert.ok(r.errors[0].length > 10 && r.errors[0].length < 300, r.errors[0]);
  assert.equal((await p.evaluate(() => playground.model())).name, repo);
  assert.equal((await p.evaluate(() => playground.prediction())).tokens.length, 10);
  await p.evaluate(() => playground.openPanel('model'));
  await frames(p);
  await p.screenshot({ path: `${env.shots}/model-1280x800-refused.png` });
});

test("a folder's URL loads the same model, without the hub's cache", async () => {
  const p = await page();
  env.server.hub.requests.length = 0;
  const dir = `/hub/${repo}/resolve/main`;
  const r = await p.evaluate((d) => playground.loadModel(d), dir);
  assert.equal(r.ok, true, JSON.stringify(r.errors));
  assert.equal(r.info.name, dir);
  assert.equal(gets('model.safetensors').length, 1, 'one plain GET, no ranges');
  assert.ok(env.server.hub.requests.every((q) => q[2] === ''), 'no Range requests');
  const link = await p.evaluate(() => playground.link());
  assert.doesNotMatch(link, /[&#]model=/, `a folder is not a repo id: the link cannot fetch it (${link})`);
  const bad = await p.evaluate(() => playground.loadModel('/hub/test-org/nothing-here/resolve/main'));
  assert.equal(bad.ok, false);
  assert.match(bad.errors[0], /config\.json could not be read/);
  assert.equal((await p.evaluate(() => playground.model())).name, dir, 'the loaded model stays');
});

test('a link with model= asks before downloading, then opens the layer it records', async () => {
  // A phone that has used the local hub before (its address is kept on the device), opening a teacher's link.
  const p = await page({ fresh: true, width: 390, height: 844, scale: 3, touch: true });
  await p.goto(env.server.url + `#model=${repo}&layer=1&ablate=0.3&panel=model`);
  await p.reload();
  await ready(p);
  await p.waitForFunction(() => playground.layout().widgets.download !== undefined, null, { timeout: 30000 });
  await frames(p);
  assert.equal(await p.evaluate(() => playground.model()), null, 'nothing loaded before the learner says so');
  const download = await widget(p, 'download');
  await p.screenshot({ path: `${env.shots}/model-390x844-ask.png` });
  await click(p, download.x + download.w / 2, download.y + download.h / 2);
  await p.waitForFunction(() => playground.model() !== null, null, { timeout: 30000 });
  await p.evaluate(() => playground.settled());
  const info = await p.evaluate(() => playground.model());
  assert.equal(info.layer, 1);
  assert.deepEqual(info.ablated, ['0.3']);
  await frames(p);
  await p.screenshot({ path: `${env.shots}/model-390x844-loaded.png` });
  await p.context().close();
});
