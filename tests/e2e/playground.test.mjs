// End-to-end: the built static folder served on localhost, driven through the
// JS API in Debian's headless Chromium. Run by CTest (e2e_browser) with
// PLAYGROUND_DIR set to the build's web folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve, openPage, setup, withPage as openWith } from './harness.mjs';
import { decodePng } from './png.mjs';

const env = setup();
const withPage = (fn, options) => openWith(env, fn, options);

const api = (page, fn, arg) => page.evaluate(fn, arg);

// Checks every row of every head's weights: sums to 1, and cells blocked by `blocked(q, k)` are exactly 0.
async function checkWeights(page, blocked) {
  const { shape, data } = await api(page, () => {
    const t = playground.tensor('weights');
    return { shape: t.shape, data: Array.from(t.data) };
  });
  const [heads, nq, nkv] = shape;
  for (let h = 0; h < heads; h++)
    for (let q = 0; q < nq; q++) {
      let sum = 0;
      for (let k = 0; k < nkv; k++) {
        const w = data[(h * nq + q) * nkv + k];
        if (blocked(q, k)) assert.equal(w, 0, `head ${h} weight (${q}, ${k}) should be exactly 0`);
        sum += w;
      }
      // float32 weights, at most a few dozen terms: 1e-5 covers the rounding.
      assert.ok(Math.abs(sum - 1) < 1e-5, `head ${h} row ${q} sums to ${sum}`);
    }
  return { shape, data };
}

test('loads, draws, and exposes the config and tokens', async () => {
  await withPage(async (page) => {
    const config = await api(page, () => playground.getConfig());
    for (const key of ['text', 'd_model', 'n_heads', 'causal', 'seed', 'pad_to', 'bias', 'positional'])
      assert.ok(key in config, `getConfig() lacks ${key}`);
    const tokens = await api(page, () => playground.tokens());
    assert.deepEqual(tokens.slice(0, 3), ['The', 'cat', 'sat']);
    const w = await checkWeights(page, () => false);
    assert.deepEqual(w.shape, [config.n_heads, tokens.length, tokens.length]);
    assert.equal(await page.locator('#overlay').isHidden(), true, 'the loading overlay is still shown');
  });
});

test('changing heads, causal mask and text changes the weights accordingly', async () => {
  await withPage(async (page) => {
    const before = await api(page, () => Array.from(playground.tensor('weights', 0).data));

    assert.deepEqual(await api(page, () => playground.setConfig({ n_heads: 8 })), { ok: true, errors: [], pending: false });
    const eight = await checkWeights(page, () => false);
    assert.equal(eight.shape[0], 8);
    const q = await api(page, () => playground.tensor('q', 7).shape);
    assert.deepEqual(q, [11, 8]);  // d_head = 64 / 8
    assert.notDeepEqual(eight.data.slice(0, before.length), before, 'weights did not change with the heads');

    assert.equal((await api(page, () => playground.setConfig({ causal: true }))).ok, true);
    const causal = await checkWeights(page, (q, k) => k > q);
    assert.ok(causal.data[0] === 1, 'the first query can only attend to itself');

    const text = 'Attention is all you need , they said';
    assert.equal((await api(page, () => playground.setConfig({ text: 'Attention is all you need, they said' }))).ok, true);
    assert.equal((await api(page, () => playground.tokens())).join(' '), text);
    const after = await checkWeights(page, (q, k) => k > q);
    assert.deepEqual(after.shape, [8, 8, 8]);

    assert.equal((await api(page, () => playground.setConfig({ pad_to: 10, causal: false }))).ok, true);
    const padded = await checkWeights(page, (q, k) => k >= 8);
    assert.deepEqual(padded.shape, [8, 10, 10]);
    const output = await api(page, () => playground.tensor('output').shape);
    assert.deepEqual(output, [10, 64]);
  });
});

test('invalid input changes nothing and comes back as a readable error', async () => {
  await withPage(async (page) => {
    const before = await api(page, () => playground.getConfig());
    const cases = [
      [{ n_heads: 3 }, 'd_model 64 is not divisible by 3 heads: d_head would be 21.3'],
      [{ d_model: -5 }, 'd_model must be between 1 and 2048 (got -5)'],
      [{ text: '' }, 'text has no tokens: type at least one word'],
      [{ causal: 'yes' }, 'causal must be true or false, not a string'],
      [{ heads: 2 }, 'unknown config field "heads" (known: text, cross_text, pad_to, cross_pad_to, d_model, n_heads, n_kv_heads, seed, ' +
                     'bias, positional, kv_cache, weights, causal, causal_align, window, mask_pad_keys, mask_pad_queries, ' +
                     'custom_mask, float_mask, fully_masked, scale, temperature, softcap, dropout)'],
      [{ n_kv_heads: 3 }, 'n_kv_heads 3 must divide n_heads 4 (each key/value head serves a group of query heads); 0 means one per query head'],
      [{ custom_mask: [[true]] }, 'custom_mask must have 11 rows (queries) of 11 entries (keys); it has 1 rows of unequal or wrong length'],
      ['n_heads=2', 'setConfig needs an object of fields, e.g. {n_heads: 8}'],
    ];
    for (const [input, error] of cases) {
      const r = await api(page, (c) => playground.setConfig(c), input);
      assert.deepEqual(r, { ok: false, errors: [error] });
    }
    assert.deepEqual(await api(page, () => playground.getConfig()), before);
    const thrown = await api(page, () => { try { playground.tensor('weights', 99); } catch (e) { return e.message; } });
    assert.match(thrown, /head 99 is out of range: this config has query heads 0\.\.3/);
  });
});

test('every variant is reachable through the JS API: cross-attention, GQA, cache, masks, policies, dropout', async () => {
  await withPage(async (page) => {
    const set = (c) => api(page, (x) => playground.setConfig(x), c);
    const shape = (name, head) => api(page, ([n, h]) => playground.tensor(n, h).shape, [name, head]);

    assert.equal((await set({ cross_text: 'Le chat dort.' })).ok, true);
    assert.deepEqual(await api(page, () => playground.tokens('keys')), ['Le', 'chat', 'dort', '.']);
    assert.deepEqual(await shape('weights', 0), [11, 4]);
    await checkWeights(page, () => false);

    assert.equal((await set({ cross_text: '', n_heads: 8, n_kv_heads: 2 })).ok, true);
    assert.deepEqual(await shape('k'), [2, 11, 8]);
    assert.deepEqual(await shape('q'), [8, 11, 8]);

    assert.equal((await set({ n_kv_heads: 0, kv_cache: 8, causal: true })).ok, true);
    assert.deepEqual(await shape('weights', 0), [3, 11]);
    await checkWeights(page, (q, k) => k > q + 8);

    // Query padding makes rows with no key: each policy's answer, as the libraries give it.
    assert.equal((await set({ kv_cache: 0, causal: false, pad_to: 13, mask_pad_queries: true })).ok, true);
    const row = (policy) => api(page, async (p) => {
      playground.setConfig({ fully_masked: p });
      return Array.from(playground.tensor('weights', 0).data.slice(12 * 13, 13 * 13)).map(String);
    }, policy);
    assert.deepEqual(await row('zero'), Array(13).fill('0'));
    assert.deepEqual(await row('nan'), Array(13).fill('NaN'));
    assert.deepEqual(await row('uniform'), Array(13).fill(String(Math.fround(1 / 13))));

    const mask = Array.from({ length: 11 }, (_, i) => Array.from({ length: 11 }, (_, j) => j <= i && j >= i - 1));
    assert.equal((await set({ pad_to: 0, mask_pad_queries: false, fully_masked: 'zero', custom_mask: mask })).ok, true);
    await checkWeights(page, (q, k) => !(k <= q && k >= q - 1));
    const inf = Array.from({ length: 11 }, (_, i) => Array.from({ length: 11 }, (_, j) => (j === 0 ? '-inf' : 0)));
    assert.equal((await set({ custom_mask: null, float_mask: inf, dropout: 0.5, softcap: 1, temperature: 2 })).ok, true);
    await checkWeights(page, (q, k) => k === 0);
    const cfg = await api(page, () => playground.getConfig());
    assert.equal(cfg.float_mask[3][0], '-inf');
    const dropped = await api(page, () => Array.from(playground.tensor('dropped_weights', 1).data));
    const weights = await api(page, () => Array.from(playground.tensor('weights', 1).data));
    dropped.forEach((d, i) => assert.ok(d === 0 || Math.abs(d - 2 * weights[i]) < 1e-6, `dropout ${d} vs weight ${weights[i]}`));
    const capped = await api(page, () => Array.from(playground.tensor('softcapped_scores').data));
    assert.ok(capped.every((v) => Math.abs(v) <= 1), 'softcap bounds the scores');
    await page.waitForTimeout(200);
    await page.screenshot({ path: path.join(env.shots, 'variants.png') });
  });
});

test('the heatmaps are drawn: colours follow the weights, masked cells are hatched grey', async () => {
  await withPage(async (page) => {
    await api(page, () => playground.setConfig({ causal: true }));
    await page.waitForTimeout(200);  // let a frame or two draw
    const file = path.join(env.shots, 'causal.png');
    await page.screenshot({ path: file });
    const png = decodePng(fs.readFileSync(file));
    const { heatmaps } = await api(page, () => playground.layout());
    const focus = heatmaps.find((m) => m.focus);
    assert.ok(focus && focus.w > 100, 'no large heatmap was drawn');
    assert.equal(heatmaps.filter((m) => !m.focus).length, 4, 'one small heatmap per head');
    const n = (await api(page, () => playground.tokens())).length;
    const weights = await api(page, () => Array.from(playground.tensor('weights', 0).data));
    const centre = (q, k) => png.pixel(Math.round(focus.x + (k + 0.5) * focus.w / n), Math.round(focus.y + (q + 0.5) * focus.h / n));

    // Not blank: many distinct colours inside the heatmap.
    const colours = new Set();
    for (let y = focus.y; y < focus.y + focus.h; y += 3)
      for (let x = focus.x; x < focus.x + focus.w; x += 3) colours.add(png.pixel(Math.round(x), Math.round(y)).join());
    assert.ok(colours.size > 20, `only ${colours.size} colours in the heatmap`);

    const grey = ([r, g, b]) => Math.abs(r - g) < 6 && Math.abs(g - b) < 6;
    for (let q = 0; q < n; q++)
      for (let k = 0; k < n; k++) {
        // The hatch has two greys; a cell centre is one of them. Allowed cells are never grey.
        assert.equal(grey(centre(q, k)), k > q, `cell (${q}, ${k}) colour ${centre(q, k)}`);
      }
    // Row 0 attends only to itself (weight 1, the top of the scale): the yellow end of the colormap.
    const [r, g, b] = centre(0, 0);
    assert.ok(r > 200 && g > 180 && b < 90, `cell (0, 0) with weight ${weights[0]} is ${[r, g, b]}, not yellow`);
    // A small weight is drawn dark (the purple end).
    let qs = 1, ks = 0;
    for (let q = 1; q < n; q++) for (let k = 0; k <= q; k++) if (weights[q * n + k] < weights[qs * n + ks]) { qs = q; ks = k; }
    const dark = centre(qs, ks);
    assert.ok(dark[0] + dark[1] + dark[2] < 300, `smallest weight cell is ${dark}`);

    // Hovering a cell opens its tooltip (drawn by ImGui) beside the pointer.
    const mx = Math.round(focus.x + 2.5 * focus.w / n), my = Math.round(focus.y + 6.5 * focus.h / n);
    await page.mouse.move(mx, my);
    await page.waitForTimeout(200);
    const hoverFile = path.join(env.shots, 'hover.png');
    await page.screenshot({ path: hoverFile });
    const hovered = decodePng(fs.readFileSync(hoverFile));
    let changed = 0;
    for (let y = my + 20; y < my + 80; y++)
      for (let x = mx + 20; x < mx + 200; x++) if (hovered.pixel(x, y).join() !== png.pixel(x, y).join()) changed++;
    assert.ok(changed > 2000, `no tooltip appeared (${changed} pixels changed)`);
  });
});

// Counts distinct colours in the views area (right of the controls), sampled on a grid.
function coloursIn(png, x0, y0, x1, y1) {
  const seen = new Set();
  for (let y = y0; y < y1; y += 4) for (let x = x0; x < x1; x += 4) seen.add(png.pixel(x, y).join());
  return seen.size;
}

test('every panel opens through the JS API and is drawn; its numbers agree with the tensors', async () => {
  await withPage(async (page) => {
    const panels = await api(page, () => playground.panels());
    assert.deepEqual(panels, ['heads', 'lessons', 'model', 'compare', 'pipeline', 'tensors', 'masks', 'scaling', 'sizes', 'memory', 'train']);
    await api(page, () => playground.setConfig({ weights: 'constructed', causal: true, pad_to: 12, mask_pad_queries: true }));
    for (const name of panels) {
      await api(page, (n) => playground.openPanel(n), name);
      await page.waitForTimeout(250);
      assert.equal(await api(page, () => playground.panel()), name);
      const file = path.join(env.shots, `panel-${name}.png`);
      await page.screenshot({ path: file });
      const png = decodePng(fs.readFileSync(file));
      const colours = coloursIn(png, 400, 40, png.width, png.height);
      assert.ok(colours > 12, `panel ${name} looks blank (${colours} colours)`);
    }
    const thrown = await api(page, () => { try { playground.openPanel('nope'); } catch (e) { return e.message; } });
    assert.match(thrown, /unknown panel "nope"; known: heads, lessons, model, compare/);

    // Per-head statistics: recompute entropy, max weight and distance from the weights in JS.
    const a = await api(page, () => playground.analysis());
    const { shape, data } = await api(page, () => { const t = playground.tensor('weights'); return { shape: t.shape, data: Array.from(t.data) }; });
    const [heads, nq, nkv] = shape;
    const mask = Array.from(await api(page, () => Array.from(playground.tensor('mask').data)));
    const emptyRows = [...Array(nq).keys()].filter((i) => mask.slice(i * nkv, (i + 1) * nkv).every((m) => m === 0));
    assert.deepEqual(emptyRows, [11], 'the [PAD] query row is fully masked');
    for (let h = 0; h < heads; h++) {
      let ent = 0, mx = 0, dist = 0;
      for (let i = 0; i < nq; i++) {
        if (emptyRows.includes(i)) continue;
        const row = data.slice((h * nq + i) * nkv, (h * nq + i + 1) * nkv);
        ent += row.reduce((s, p) => s - (p > 0 ? p * Math.log(p) : 0), 0);
        mx += Math.max(...row);
        dist += row.reduce((s, p, j) => s + p * Math.abs(i - j), 0);
      }
      const rows = nq - emptyRows.length;
      assert.ok(Math.abs(a.heads[h].entropy - ent / rows) < 1e-4, `head ${h} entropy ${a.heads[h].entropy} vs ${ent / rows}`);
      assert.ok(Math.abs(a.heads[h].max_weight - mx / rows) < 1e-5);
      assert.ok(Math.abs(a.heads[h].distance - dist / rows) < 1e-4);
    }
    // Constructed heads: previous-token head 0 looks one back, first-token head 2 as far back as it can.
    assert.ok(Math.abs(a.heads[0].distance - 10 / 11) < 0.05, `previous-token head distance ${a.heads[0].distance}`);
    assert.ok(a.heads[0].max_weight > 0.95);
    // Similarity is a cosine: 1 on the diagonal, symmetric.
    for (let h = 0; h < heads; h++) assert.ok(Math.abs(a.similarity[h][h] - 1) < 1e-5);
    assert.ok(Math.abs(a.similarity[0][1] - a.similarity[1][0]) < 1e-6);
    // The pipeline's shapes are the tensors' shapes (with the batch axis in front).
    // Steps of (batch, seq, d) are 2D tensors [seq, d]; per-head steps are [heads, seq, ·].
    // A .view step re-reads its tensor's memory: the same number of elements.
    const count = (shape) => shape.reduce((x, y) => x * y, 1);
    for (const step of a.steps) {
      const t = await api(page, (n) => playground.tensor(n).shape, step.name);
      const expected = step.shape.slice(1);
      if (step.view) assert.equal(count(t), count(expected), `view step of ${step.name}: ${t} vs ${step.shape}`);
      else assert.deepEqual(t, expected, `step ${step.name}: tensor ${t} vs pipeline ${step.shape}`);
    }
    assert.deepEqual([...new Set(a.steps.map((st) => st.stage))], [0, 1, 2, 3, 4, 5, 6]);
    // Costs: 4 d_model² weights + 4 d_model biases at d_model 64.
    assert.equal(a.costs.params, 4 * 64 * 64 + 4 * 64);
    // The scaling lab saturates without 1/√d.
    assert.ok(a.scaling.at(-1).max_weight_unscaled > 0.9 && a.scaling.at(-1).max_weight_scaled < 0.5);
  });
});

test('high-DPI: the canvas backing store follows devicePixelRatio', async () => {
  await withPage(async (page) => {
    const size = await page.evaluate(() => {
      const c = document.getElementById('canvas');
      return [c.width, c.height, c.clientWidth, c.clientHeight];
    });
    assert.deepEqual(size, [size[2] * 2, size[3] * 2, size[2], size[3]]);
    await page.screenshot({ path: path.join(env.shots, 'hidpi.png') });
  }, { scale: 2 });
});

test('a missing .wasm file gives a clear message, not a blank page', async () => {
  const broken = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-broken-'));
  for (const f of ['index.html', 'start.js', 'playground.js']) fs.copyFileSync(path.join(env.dir, f), path.join(broken, f));
  const local = await serve(broken);
  const { page, context } = await openPage(env.browser, local.url);
  try {
    await page.waitForFunction(() => window.playground !== undefined);
    const rejected = await page.evaluate(() => playground.ready.then(() => 'resolved', (e) => e.message));
    assert.match(rejected, /could not be loaded: playground\.wasm: HTTP 404/);
    assert.match(await page.locator('#message').textContent(), /could not be loaded/);
    assert.equal(await page.locator('#overlay').isVisible(), true);
    // Without the build's script itself, start.js says which file did not arrive.
    fs.rmSync(path.join(broken, 'playground.js'));
    await page.reload();
    await page.waitForFunction(() => /playground\.js did not arrive/.test(document.getElementById('message').textContent));
    assert.equal(await page.locator('#overlay').isVisible(), true);
  } finally {
    await context.close();
    await local.close();
    fs.rmSync(broken, { recursive: true });
  }
});

test('a browser without WebGL2 is told so', async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  try {
    await page.addInitScript(() => {
      const original = HTMLCanvasElement.prototype.getContext;
      HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
        return kind === 'webgl2' ? null : original.call(this, kind, ...rest);
      };
    });
    await page.goto(env.server.url);
    await page.waitForFunction(() => /WebGL2/.test(document.getElementById('message').textContent));
    assert.equal(await page.locator('#overlay').isVisible(), true);
  } finally {
    await context.close();
  }
});
