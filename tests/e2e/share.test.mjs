// End-to-end: links, history, persistence, export, import, embedding and
// offline use of the built page, in Debian's headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openPage, ready, setup, withPage as openWith } from './harness.mjs';
import { decodePng } from './png.mjs';

const env = setup();
const withPage = (fn, options) => openWith(env, fn, options);
const python = '/usr/bin/python3';  // Debian's, which has NumPy
let tmp;
before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-share-')); });
after(() => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); });

const api = (page, fn, arg) => page.evaluate(fn, arg);
const py = (code, ...args) => execFileSync(python, ['-c', code, ...args], { encoding: 'utf8' });

test('a link restores the same config and view in a fresh page', async () => {
  let link, config;
  await withPage(async (page) => {
    const r = await api(page, () => playground.setConfig({
      text: 'Ein Satz & noch # einer = 100% 👍', n_heads: 8, causal: true, window: 3, fully_masked: 'uniform',
      custom_mask: null, temperature: 0.5, seed: 123456789 }));
    assert.equal(r.ok, true, r.errors.join('; '));
    await api(page, () => playground.openPanel('masks'));
    await page.waitForTimeout(150);
    link = await api(page, () => playground.link());
    config = await api(page, () => playground.getConfig());
    assert.equal(await page.evaluate(() => location.href), link, 'the address bar holds the link');
  });
  assert.match(link, /#text=Ein%20Satz%20%26%20noch%20%23%20einer/);
  await withPage(async (page) => {
    assert.deepEqual(await api(page, () => playground.getConfig()), config);
    assert.equal(await api(page, () => playground.panel()), 'masks');
    assert.deepEqual(await api(page, () => playground.notes()), []);
  }, { url: link });
});

test('back and forward step through changes; a reload restores the last state', async () => {
  await withPage(async (page) => {
    await api(page, () => playground.setConfig({ n_heads: 8 }));
    await page.waitForTimeout(1200);  // changes closer than a second apart share one history entry
    await api(page, () => playground.setConfig({ causal: true }));
    await page.waitForTimeout(1200);
    await page.goBack();
    await page.waitForFunction(() => !playground.getConfig().causal);
    assert.equal((await api(page, () => playground.getConfig())).n_heads, 8);
    await page.goBack();
    await page.waitForFunction(() => playground.getConfig().n_heads === 4);
    await page.goForward();
    await page.waitForFunction(() => playground.getConfig().n_heads === 8);
    await page.goForward();
    await page.waitForFunction(() => playground.getConfig().causal);

    // The address without its fragment: the state comes back from this device's storage.
    await api(page, () => playground.setConfig({ d_model: 96, n_heads: 6 }));
    await page.waitForTimeout(100);
    await page.goto(env.server.url);
    await ready(page);
    const c = await api(page, () => playground.getConfig());
    assert.equal(c.d_model, 96);
    assert.equal(c.causal, true);
    await api(page, () => playground.reset());
    assert.equal((await api(page, () => playground.getConfig())).d_model, 64);
  });
});

test('a link with 20 malformed parameters loads with a note for each and no console error', async () => {
  const bad = 'causal=1&d_model=abc&n_heads=3&bogus=1&seed=-4&text=%zz&window=2&dropout=1.5&causal_align=sideways' +
              '&custom_mask=10x&float_mask=1,nan&positional=maybe&noequals&=5&temperature=0&kv_cache=999' +
              '&pad_to=99999&fully_masked=NaN&scale=inf&n_kv_heads=5&softcap=-1&panel=nowhere&head=-3' +
              '&text=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E';
  await withPage(async (page) => {
    const notes = await api(page, () => playground.notes());
    assert.ok(notes.length >= 20, `${notes.length} notes: ${notes.join(' | ')}`);
    const c = await api(page, () => playground.getConfig());
    assert.equal(c.causal, true);
    assert.equal(c.window, 2);
    assert.equal(c.text, '<img src=x onerror=alert(1)>');  // only ever a string to tokenize
    assert.equal(await page.locator('img').count(), 0, 'nothing from the link reached the DOM');
    await page.screenshot({ path: path.join(env.shots, 'link-notes.png') });
  }, { url: env.server.url + '#' + bad });
});

test('exported .npy and CSV load in NumPy and match playground.tensor()', async () => {
  await withPage(async (page) => {
    await api(page, () => playground.setConfig({ causal: true, n_heads: 2 }));
    const want = await api(page, () => Array.from(playground.tensor('weights', 1).data));
    const npy = await api(page, () => Array.from(playground.exportFile('npy', 'weights', 1).data));
    const csv = await api(page, () => new TextDecoder().decode(playground.exportFile('csv', 'weights', 1).data));
    const all = await api(page, () => Array.from(playground.exportFile('npy', 'q').data));
    fs.writeFileSync(path.join(tmp, 'w.npy'), Buffer.from(npy));
    fs.writeFileSync(path.join(tmp, 'w.csv'), csv);
    fs.writeFileSync(path.join(tmp, 'q.npy'), Buffer.from(all));
    fs.writeFileSync(path.join(tmp, 'want.json'), JSON.stringify(want));
    const out = py(`
import json, sys, numpy as np
w = np.load(sys.argv[1]); c = np.loadtxt(sys.argv[2], delimiter=','); want = np.array(json.load(open(sys.argv[3])), dtype=np.float32)
q = np.load(sys.argv[4])
assert w.dtype == np.float32 and w.shape == (11, 11), w.shape
assert np.array_equal(w.ravel(), want), 'npy differs'
assert np.array_equal(c.astype(np.float32).ravel(), want), 'csv differs'
assert q.shape == (2, 11, 32), q.shape
print('ok', w.shape)`, path.join(tmp, 'w.npy'), path.join(tmp, 'w.csv'), path.join(tmp, 'want.json'), path.join(tmp, 'q.npy'));
    assert.match(out, /^ok \(11, 11\)/);
    const cfg = await api(page, () => new TextDecoder().decode(playground.exportFile('config').data));
    assert.deepEqual(JSON.parse(cfg), await api(page, () => playground.getConfig()));
  });
});

test('the PyTorch script parses, and its stated shapes are those of the .npz it loads', async () => {
  await withPage(async (page) => {
    await api(page, () => playground.setConfig({ d_model: 48, n_heads: 6, n_kv_heads: 2, causal: true, dropout: 0.2 }));
    const script = await api(page, () => new TextDecoder().decode(playground.exportFile('pytorch').data));
    const npz = await api(page, () => Array.from(playground.exportFile('npz').data));
    fs.writeFileSync(path.join(tmp, 'attention_playground.py'), script);
    fs.writeFileSync(path.join(tmp, 'attention_playground.npz'), Buffer.from(npz));
    const out = py(`
import ast, re, sys, numpy as np
src = open(sys.argv[1]).read()
tree = ast.parse(src)  # syntax check
d = np.load(sys.argv[2])
assert d['x'].shape == (1, 11, 48) and d['w_k'].shape == (16, 48) and d['attn_mask'].dtype == bool
assert d['expected_weights'].shape == (1, 6, 11, 11) and d['dropout_keep'].shape == (1, 6, 11, 11)
# Every "assert name.shape == (...)" in the script names a shape the data agree with.
stated = re.findall(r'(\\w+)\\.shape == (\\([0-9, ]+\\))', src)
assert stated, 'no shapes stated'
known = {'x': d['x'].shape, 'x_kv': d['x_kv'].shape, 'attn_mask': d['attn_mask'].shape, 'output': d['expected_output'].shape}
for name, shape in stated:
    if name in known: assert known[name] == eval(shape), (name, known[name], shape)
print('ok', len(stated), 'shapes')`, path.join(tmp, 'attention_playground.py'), path.join(tmp, 'attention_playground.npz'));
    assert.match(out, /^ok \d+ shapes/);
    // Run it: against a NumPy stand-in for torch (tests/e2e/torch_shim; PyTorch is not installable here).
    const run = execFileSync(python, [path.join(tmp, 'attention_playground.py')], {
      cwd: tmp, encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: path.join(path.dirname(new URL(import.meta.url).pathname), 'torch_shim') },
    });
    const [, w, o] = run.match(/weights - playground\| = (\S+)\n.*output - playground\|  = (\S+)/s);
    assert.ok(Number(w) < 1e-5 && Number(o) < 1e-5, `the script is off by ${w} (weights), ${o} (output)`);
  });
});

test('the view exports as a PNG at the screen pixel ratio', async () => {
  await withPage(async (page) => {
    const bytes = await api(page, async () => Array.from(await playground.viewPng()));
    const file = path.join(env.shots, 'export-view.png');
    fs.writeFileSync(file, Buffer.from(bytes));
    const png = decodePng(fs.readFileSync(file));
    // The views window, in device pixels at DPR 2.
    const views = (await api(page, () => playground.layout())).windows.find((w) => w.name === 'Views');
    assert.equal(png.width, Math.round(views.w * 2));
    assert.equal(png.height, Math.round(views.h * 2));
    assert.equal(png.height, 800 * 2);
    const colours = new Set();
    for (let y = 0; y < png.height; y += 8) for (let x = 0; x < png.width; x += 8) colours.add(png.pixel(x, y).join());
    assert.ok(colours.size > 20, `the PNG looks blank (${colours.size} colours)`);
  }, { scale: 2 });
});

test('import: good .npy files drive the views, bad ones are refused with a clear message', async () => {
  await withPage(async (page) => {
    const before = await api(page, () => Array.from(playground.tensor('weights', 0).data));
    // X exported and imported back: the same numbers. X doubled: different weights.
    const same = await api(page, () => {
      const x = playground.exportFile('npy', 'x').data;
      return playground.importNpy('x', x);
    });
    assert.deepEqual(same, { ok: true, error: '' });
    assert.deepEqual(await api(page, () => Array.from(playground.tensor('weights', 0).data)), before);
    // Drop a file onto the page, as a learner would: q.npy with the projections doubled.
    const q = await api(page, () => Array.from(playground.exportFile('npy', 'q_proj').data));
    fs.writeFileSync(path.join(tmp, 'q_in.npy'), Buffer.from(q));
    py(`import sys, numpy as np; a = np.load(sys.argv[1]); np.save(sys.argv[2], a * 2)`, path.join(tmp, 'q_in.npy'), path.join(tmp, 'q.npy'));
    const doubled = Array.from(fs.readFileSync(path.join(tmp, 'q.npy')));
    await page.evaluate((bytes) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], 'q.npy'));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, doubled);
    await page.waitForFunction((b) => playground.tensor('weights', 0).data[1] !== b, before[1]);
    const scores = await api(page, () => Array.from(playground.tensor('scores', 0).data));
    await api(page, () => playground.reset());
    const plain = await api(page, () => Array.from(playground.tensor('scores', 0).data));
    scores.forEach((s, i) => assert.ok(Math.abs(s - 2 * plain[i]) <= 1e-4 * (1 + Math.abs(s)), `score ${i}: ${s} vs 2·${plain[i]}`));

    const bad = await api(page, () => {
      const wrong = playground.exportFile('npy', 'weights', 0).data;  // (11, 11): not X's shape
      return [playground.importNpy('x', wrong), playground.importNpy('w', wrong), playground.importNpy('k', new Uint8Array([1, 2, 3]))];
    });
    assert.deepEqual(bad[0], { ok: false, error: 'x.npy is (11, 11) but this config needs (11, 64): match the text\'s tokens and d_model first' });
    assert.match(bad[1].error, /name the file x\.npy, q\.npy, k\.npy or v\.npy/);
    assert.match(bad[2].error, /^k\.npy: not a \.npy file/);
    assert.equal((await api(page, () => playground.notes())).length, 3);
    await page.screenshot({ path: path.join(env.shots, 'import-notes.png') });
  });
});

test('embedded: the chosen view alone, driven by postMessage from the host page', async () => {
  await withPage(async (page) => {
    const { heatmaps } = await api(page, () => playground.layout());
    const focus = heatmaps.find((m) => m.focus);
    assert.ok(focus.x < 150, `no controls to the left (focus map at x = ${focus.x})`);
    await page.screenshot({ path: path.join(env.shots, 'embed.png') });
  }, { url: env.server.url + '#embed=1&panel=heads&n_heads=2' });

  // A host page on another origin: only postMessage crosses.
  const context = await env.browser.newContext();
  const host = await context.newPage();
  const errors = [];
  host.on('pageerror', (e) => errors.push(e.message));
  await host.setContent(`<iframe id="f" src="${env.server.url}#embed=1&panel=heads" width="900" height="600"></iframe>`);
  const reply = await host.evaluate(() => new Promise((resolve) => {
    const frame = document.getElementById('f');
    const ask = (id, method, args) => frame.contentWindow.postMessage({ playground: 1, id, method, args }, '*');
    const answers = {};
    window.addEventListener('message', (e) => {
      if (e.data && e.data.playground === 1) answers[e.data.id] = e.data;
      if (answers.b) resolve(answers);
    });
    const poll = setInterval(() => {  // until the frame has loaded and answers
      if (answers.a) { clearInterval(poll); ask('b', 'getConfig', []); } else ask('a', 'setConfig', [{ n_heads: 8 }]);
    }, 200);
  }));
  assert.deepEqual(reply.a.result, { ok: true, errors: [], pending: false });
  assert.equal(reply.b.result.n_heads, 8);
  assert.deepEqual(errors, []);
  await context.close();
});

test('offline after the first visit: the page loads from the saved copy and says so', async () => {
  const { page, errors, context } = await openPage(env.browser, env.server.url);
  try {
    await ready(page);
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    await page.reload();  // now controlled by the service worker, which caches what it serves
    await ready(page);
    await context.setOffline(true);
    await page.reload();
    await ready(page);
    assert.equal(await api(page, () => playground.online()), false);
    assert.equal((await api(page, () => playground.getConfig())).d_model, 64);
    await page.waitForTimeout(200);
    await page.screenshot({ path: path.join(env.shots, 'offline.png') });
    assert.deepEqual(errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to load resource/.test(e)), []);
  } finally {
    await context.close();
  }
});
