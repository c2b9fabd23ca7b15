// End-to-end robustness: a catalogue of bad inputs (each refused with a
// clear message, the previous state kept, the page still drawing, no uncaught
// error), limits at their edge, a lost WebGL context, a wasm trap, and no
// eval in the shipped code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openPage, ready, setup } from './harness.mjs';
import { decodePng } from './png.mjs';

const env = setup();

const api = (page, fn, arg) => page.evaluate(fn, arg);
// Two animation frames: the page is still drawing.
const drawing = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true)))));

const words = (n) => Array.from({ length: n }, (_, i) => 'w' + i).join(' ');
// [input to setConfig, what the message must say]
const BAD_CONFIGS = [
  [{ n_heads: 3 }, /d_model 64 is not divisible by 3 heads: d_head would be 21\.3/],
  [{ n_heads: 0 }, /n_heads must be between 1 and 64 \(got 0\)/],
  [{ n_heads: 65 }, /n_heads must be between 1 and 64 \(got 65\)/],
  [{ n_heads: -1 }, /n_heads must be between 1 and 64/],
  [{ d_model: 0 }, /d_model must be between 1 and 2048 \(got 0\)/],
  [{ d_model: 4096 }, /d_model must be between 1 and 2048 \(got 4096\)/],
  [{ d_model: 1.5 }, /d_model must be a whole number, not 1\.5/],
  [{ d_model: '64' }, /d_model must be a whole number, not a string/],
  [{ d_model: null }, /d_model must be a whole number, not null/],
  [{ d_model: NaN }, /d_model must be a whole number, not null/],
  [{ d_model: Infinity }, /d_model must be a whole number, not null/],
  [{ text: '' }, /text has no tokens: type at least one word/],
  [{ text: '   \n\t ' }, /text has no tokens/],
  [{ text: words(1100) }, /text has 1100 tokens; the limit is 1024/],
  [{ text: 'x'.repeat(20000) }, /text is 20000 bytes long; the limit is 16384 bytes/],
  [{ text: 123 }, /text must be a string, not a number/],
  [{ text: '\u0000\u0001\u0002' }, /text has no tokens/],
  [{ pad_to: 10000 }, /pad_to must be between 0 and 1024/],
  [{ pad_to: -1 }, /pad_to must be between 0 and 1024/],
  [{ seed: -1 }, /seed must be between 0 and 4294967295/],
  [{ seed: 2 ** 32 }, /seed must be between 0 and 4294967295/],
  [{ causal: 'yes' }, /causal must be true or false, not a string/],
  [{ fully_masked: 'NaN' }, /fully_masked must be one of "zero", "nan", "uniform"/],
  [{ causal_align: 'left' }, /causal_align must be one of "top_left", "bottom_right"/],
  [{ weights: 'trained' }, /weights must be one of "random", "constructed"/],
  [{ dropout: 1 }, /dropout must be at least 0 and below 1/],
  [{ dropout: -0.1 }, /dropout must be at least 0 and below 1/],
  [{ temperature: 0 }, /temperature must be a positive number/],
  [{ scale: -1 }, /scale must be 0 \(meaning 1\/√d_head\) or a positive number/],
  [{ softcap: -2 }, /softcap must be 0 \(off\) or a positive number/],
  [{ window: -3 }, /window must be between 0 and 1024/],
  [{ kv_cache: 50 }, /kv_cache 50 must be between 0 and 10/],
  [{ kv_cache: 2, cross_text: 'hi' }, /kv_cache applies to self-attention/],
  [{ cross_text: ' ' }, /cross_text has no tokens/],
  [{ n_kv_heads: 3 }, /n_kv_heads 3 must divide n_heads 4/],
  [{ custom_mask: [[1, 2]] }, /custom_mask entries must be true\/false/],
  [{ custom_mask: [[true]] }, /custom_mask must have 11 rows \(queries\) of 11 entries/],
  [{ custom_mask: 'all' }, /custom_mask must be an array of rows/],
  [{ float_mask: [['inf']] }, /float_mask entries must be finite numbers or "-inf"/],
  [{ float_mask: [[1]] }, /float_mask must have 11 rows/],
  [{ unknown_field: 1 }, /unknown config field "unknown_field"/],
  [{ text: words(1000), d_model: 2048, n_heads: 64 }, /need \d+ MiB for the trace; the limit is 768 MiB/],
  [{ weights: 'constructed', d_model: 6, n_heads: 2 }, /constructed heads need d_model divisible by 4/],
  [null, /setConfig needs an object of fields/],
  [[1, 2], /setConfig needs an object of fields/],
  ['n_heads=2', /setConfig needs an object of fields/],
];
// Link fragments: each bad parameter is a note; the config stays valid.
const BAD_LINKS = [
  ['d_model=abc', /d_model=abc ignored: not a number/],
  ['text=%E0%A4%A', /text ignored: its value has a malformed %-escape/],
  ['n_heads=%00', /n_heads=\? ignored: not a number/],
  ['text=' + 'a'.repeat(70000), /more than the 64 KiB accepted: all were ignored/],
  ['panel=%3Cscript%3E', /panel=<script> ignored: not a panel name/],
  ['causal=maybe', /causal=maybe ignored: not 1 or 0/],
  ['custom_mask=1x', /custom_mask=1x ignored: rows must be strings of 0 and 1/],
  ['float_mask=nan', /float_mask=nan ignored: values must be numbers or -inf/],
  ['head=99999999999', /head ignored: not a small whole number/],
  ['%zz=1', /'%zz=1' ignored: expected name=value/],
  ['text=%FF%FE', /text=\?\? ignored: not valid UTF-8 after %-decoding/],
];

test(`a catalogue of ${BAD_CONFIGS.length} bad configs, ${BAD_LINKS.length} bad links and 7 bad imports: clear messages, nothing lost`, async () => {
  const { page, errors, context } = await openPage(env.browser, env.server.url);
  try {
    await ready(page);
    const before = await api(page, () => playground.getConfig());
    const weights = await api(page, () => Array.from(playground.tensor('weights', 0).data));
    for (const [input, message] of BAD_CONFIGS) {
      const r = await api(page, (c) => playground.setConfig(c), input);
      assert.equal(r.ok, false, `accepted ${JSON.stringify(input)?.slice(0, 80)}`);
      assert.match(r.errors.join(' | '), message, `for ${JSON.stringify(input)?.slice(0, 80)}`);
      assert.deepEqual(await api(page, () => playground.getConfig()), before);
      assert.equal(await drawing(page), true);
    }
    assert.deepEqual(await api(page, () => Array.from(playground.tensor('weights', 0).data)), weights);

    for (const [fragment, message] of BAD_LINKS) {
      const r = await api(page, (f) => playground.openLink('#' + f), fragment);
      assert.match(r.notes.join(' | '), message, `for #${fragment.slice(0, 60)}`);
      assert.equal(await drawing(page), true);
    }
    await api(page, () => playground.reset());

    const bad = await api(page, () => {
      const npy = (shape, dtype, values) => {
        // A minimal .npy writer for the test's own files.
        const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
        const pad = 64 - ((10 + dict.length + 1) % 64);
        const header = dict + ' '.repeat(pad % 64) + '\n';
        const size = { '<f4': 4, '<i8': 8, '<c8': 8 }[dtype];
        const out = new Uint8Array(10 + header.length + values.length * size);
        out.set([0x93, 78, 85, 77, 80, 89, 1, 0, header.length & 255, header.length >> 8]);
        out.set(new TextEncoder().encode(header), 10);
        const view = new DataView(out.buffer, 10 + header.length);
        values.forEach((v, i) => dtype === '<i8' ? view.setBigInt64(i * 8, BigInt(v), true) : view.setFloat32(i * 4, v, dtype === '<f4'));
        return out;
      };
      const x = (n) => Array.from({ length: n }, (_, i) => (i % 7) / 7);
      return [
        playground.importNpy('x', npy([11, 32], '<f4', x(11 * 32))),
        playground.importNpy('x', npy([11, 64], '<f4', x(11 * 64).map((v, i) => (i === 5 ? NaN : v)))),
        playground.importNpy('q', npy([11, 64], '<i8', x(11 * 64).map(() => 1))),
        playground.importNpy('k', npy([11, 64], '<f4', x(11 * 64)).slice(0, 500)),
        playground.importNpy('v', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10])),
        playground.importNpy('w', npy([11, 64], '<f4', x(11 * 64))),
        playground.importNpy('x', npy([11, 64], '<c8', x(11 * 64))),
      ];
    });
    const expected = [
      /x\.npy is \(11, 32\) but this config needs \(11, 64\)/,
      /x\.npy holds NaN at flat index 5/,
      /q\.npy holds int64; import float16, float32 or float64/,
      /k\.npy: the file is truncated/,
      /v\.npy: not a \.npy file/,
      /name the file x\.npy, q\.npy, k\.npy or v\.npy/,
      /x\.npy: dtype '<c8' is complex, which is not supported/,
    ];
    bad.forEach((r, i) => { assert.equal(r.ok, false); assert.match(r.error, expected[i]); });
    assert.deepEqual(await api(page, () => Array.from(playground.tensor('weights', 0).data)), weights, 'a refused import changed the numbers');
    assert.equal(await drawing(page), true);
    await page.screenshot({ path: path.join(env.shots, 'catalogue.png') });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('hostile but valid text: right-to-left, emoji sequences, markup, control characters', async () => {
  const { page, errors, context } = await openPage(env.browser, env.server.url);
  try {
    await ready(page);
    const texts = ['مرحبا بالعالم שלום עולם', 'I ❤️ 👩‍💻 🇫🇷 e\u0301', '<script>alert(1)</script>', 'tab\there\u0007bell'];
    for (const text of texts) {
      const r = await api(page, (t) => playground.setConfig({ text: t }), text);
      assert.equal(r.ok, true, text);
      assert.equal(await drawing(page), true);
    }
    assert.deepEqual(await api(page, () => playground.tokens()), ['tab', 'here', 'bell']);
    assert.equal(await page.locator('script:not([src])').count(), 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('the largest config inside the limits computes without a trap', async () => {
  const { page, errors, context } = await openPage(env.browser, env.server.url);
  try {
    await ready(page);
    const r = await api(page, (t) => playground.setConfig({ text: t, d_model: 2048, n_heads: 16 }), words(1024));
    assert.deepEqual(r, { ok: true, errors: [], pending: true });  // computed over the next frames
    await api(page, () => playground.settled());
    assert.deepEqual(await api(page, () => playground.tensor('weights', 15).shape), [1024, 1024]);
    assert.equal(await drawing(page), true);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a lost WebGL context is restored and the same state redrawn', async () => {
  const { page, errors, context } = await openPage(env.browser, env.server.url);
  try {
    await ready(page);
    await api(page, () => playground.setConfig({ causal: true }));
    const before = await api(page, () => playground.getConfig());
    await api(page, async () => {
      const ext = document.getElementById('canvas').getContext('webgl2').getExtension('WEBGL_lose_context');
      ext.loseContext();
      await new Promise((r) => setTimeout(r, 300));
      ext.restoreContext();
      await new Promise((r) => setTimeout(r, 300));
    });
    assert.equal(await drawing(page), true);
    const file = path.join(env.shots, 'context-restored.png');
    await page.screenshot({ path: file });
    const png = decodePng(fs.readFileSync(file));
    const { heatmaps } = await api(page, () => playground.layout());
    const f = heatmaps.find((m) => m.focus);
    const colours = new Set();
    for (let y = f.y; y < f.y + f.h; y += 3) for (let x = f.x; x < f.x + f.w; x += 3) colours.add(png.pixel(Math.round(x), Math.round(y)).join());
    assert.ok(colours.size > 20, `heatmap not redrawn after the restore (${colours.size} colours)`);
    assert.deepEqual(await api(page, () => playground.getConfig()), before);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a wasm trap in the running page is reported, with a way back to the defaults', async () => {
  const { page, context } = await openPage(env.browser, env.server.url + '#n_heads=8');
  try {
    await ready(page);
    await api(page, () => Module._ap_debug_trap());  // test hook: the next frame traps
    await page.waitForSelector('#reset', { timeout: 10000 });
    assert.match(await page.locator('#message').textContent(), /The playground stopped: its WebAssembly code crashed/);
    await page.screenshot({ path: path.join(env.shots, 'trap.png') });
    await page.click('#reset');
    await page.waitForFunction(() => window.playground && location.hash.indexOf('n_heads=4') > 0, null, { timeout: 30000 });
    await ready(page);
    assert.equal((await api(page, () => playground.getConfig())).n_heads, 4);
  } finally {
    await context.close();
  }
});

test('no eval or string-to-code in the shipped JavaScript, and a strict CSP in the page', () => {
  const js = fs.readFileSync(path.join(env.dir, 'playground.js'), 'utf8') + fs.readFileSync(path.join(env.dir, 'sw.js'), 'utf8');
  assert.doesNotMatch(js, /\beval\s*\(/);
  assert.doesNotMatch(js, /new\s+Function\s*\(/);
  assert.doesNotMatch(js, /setTimeout\s*\(\s*["'`]/);
  assert.doesNotMatch(js, /\.innerHTML\s*=/);
  const html = fs.readFileSync(path.join(env.dir, 'index.html'), 'utf8');
  assert.match(html, /Content-Security-Policy/);
  assert.match(html, /script-src 'self' 'wasm-unsafe-eval';/);
  // Connections: the page's own site, and the Hugging Face hub with its download hosts (model files).
  assert.match(html, /connect-src 'self' https:\/\/huggingface\.co https:\/\/\*\.huggingface\.co https:\/\/\*\.hf\.co;/);
  assert.doesNotMatch(html, /<script>(?!\s*<\/script>)/, 'no inline script');
});
