// What a learner meets at a desk: the mouse wheel scrolls the controls the
// right way and by about three lines a notch, in pixel and line delta modes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, withPage as openWith, frames, click } from './harness.mjs';

const env = setup();
const withPage = (fn, options) => openWith(env, fn, options);

const controls = (page) => page.evaluate(() => playground.layout().controls);

// A wheel event on the canvas as the browser would send it (line mode cannot be made by Playwright's wheel).
const wheel = (page, x, y, deltaY, deltaMode) =>
  page.evaluate(
    ([x, y, deltaY, deltaMode]) =>
      document.getElementById('canvas').dispatchEvent(
        new WheelEvent('wheel', { clientX: x, clientY: y, deltaY, deltaMode, bubbles: true, cancelable: true })),
    [x, y, deltaY, deltaMode]);

test('a wheel notch scrolls the controls about three lines, down for down and back for up, in both modes', async () => {
  await withPage(async (page) => {
    const start = await controls(page);
    assert.ok(start.scrollMaxY > 5 * start.lineHeight, `the controls must overflow at this size (${JSON.stringify(start)})`);
    assert.equal(start.scrollY, 0);
    await page.mouse.move(150, 300);  // over the controls
    await frames(page);
    const cases = [
      ['pixel mode (Chromium\'s mouse wheel)', async (sign) => { await page.mouse.wheel(0, 100 * sign); }],
      ['line mode (Firefox\'s)', async (sign) => { await wheel(page, 150, 300, 3 * sign, 1); }],
    ];
    for (const [name, notch] of cases) {
      await notch(+1);
      await frames(page);
      const down = await controls(page);
      const lines = down.scrollY / start.lineHeight;
      // ImGui rounds a scroll step to whole pixels: three lines within half a line.
      assert.ok(lines > 2.5 && lines < 3.5, `${name}: a notch down scrolled ${lines.toFixed(2)} lines`);
      await notch(-1);
      await frames(page);
      const up = await controls(page);
      assert.ok(Math.abs(up.scrollY) < 1, `${name}: a notch up came back to ${up.scrollY}`);
    }
    // Many notches reach the bottom (the export buttons), never past it.
    for (let i = 0; i < 40; ++i) await page.mouse.wheel(0, 100);
    await frames(page);
    const bottom = await controls(page);
    assert.ok(Math.abs(bottom.scrollY - bottom.scrollMaxY) < 1, `bottom: ${JSON.stringify(bottom)}`);
  }, { width: 1024, height: 600 });
});

test("tensor('scores') under causal plus padding is q·kᵀ everywhere, as the homework computes it", async () => {
  await withPage(async (page) => {
    const r = await page.evaluate(() => {
      const set = playground.setConfig({ causal: true, pad_to: 14 });
      const s = playground.tensor('scores', 1), q = playground.tensor('q', 1), k = playground.tensor('k', 1);
      return { ok: set.ok, s: { shape: s.shape, data: Array.from(s.data) }, q: { shape: q.shape, data: Array.from(q.data) },
               k: { shape: k.shape, data: Array.from(k.data) } };
    });
    assert.equal(r.ok, true);
    const [nq, nkv] = r.s.shape, d = r.q.shape[1];
    assert.deepEqual([nq, nkv], [14, 14]);
    let worst = 0;
    for (let i = 0; i < nq; ++i)
      for (let j = 0; j < nkv; ++j) {
        let dot = 0;
        for (let c = 0; c < d; ++c) dot += r.q.data[i * d + c] * r.k.data[j * d + c];
        const v = r.s.data[i * nkv + j];
        assert.ok(!Number.isNaN(v), `score (${i}, ${j}) is NaN`);
        worst = Math.max(worst, Math.abs(v - dot) / (1 + Math.abs(dot)));
      }
    // float32 sums of 16 products against float64 ones: within 1e-5.
    assert.ok(worst < 1e-5, `scores differ from q·kᵀ by ${worst}`);
    const { heads } = await page.evaluate(() => playground.analysis());
    assert.ok(heads.length === 4);
  });
});

// The homework's configuration: GPT-2 small's sizes, causal, 11 tokens padded to 14.
const homework = { d_model: 768, n_heads: 12, causal: true, pad_to: 14 };
// The narrowest laptop, the most common one and a large screen (1280 x 800 lies between the first two).
const sizes = [[1024, 768], [1366, 768], [1920, 1080]];

test('every tab at 1024x768, 1366x768 and 1920x1080: nothing is cut off sideways', async () => {
  const cut = [];
  for (const [width, height] of sizes)
    await withPage(async (page) => {
      assert.equal((await page.evaluate((c) => playground.setConfig(c), homework)).ok, true);
      await page.evaluate(() => playground.settled());
      for (const panel of await page.evaluate(() => playground.panels())) {
        await page.evaluate((k) => playground.openPanel(k), panel);
        await frames(page);
        await frames(page);
        const { windows } = await page.evaluate(() => playground.layout());
        assert.ok(windows.some((w) => w.name === 'Views'), `${panel}: no Views window in ${JSON.stringify(windows)}`);
        // A window may be wider inside than it shows only if it scrolls sideways on purpose (a
        // table or grid that keeps its labels in view); the two main windows never.
        for (const w of windows) {
          const main = w.name === 'Views' || w.name === 'Attention Playground';
          if (w.scrollsX && !main) continue;
          if (w.contentW > w.visibleW + 1)
            cut.push(`${width}x${height} ${panel}: "${w.name}" has content ${w.contentW.toFixed(0)} px wide in ` +
                     `${w.visibleW.toFixed(0)} px`);
        }
        // Looked at by a person: the narrowest desk, where things are cut first (the others are measured only).
        if (width === sizes[0][0]) await page.screenshot({ path: `${env.shots}/desk-${width}x${height}-${panel}.png` });
      }
    }, { width, height });
  assert.deepEqual(cut, []);
});

test('the mask grids show every row and column, [PAD] included', async () => {
  await withPage(async (page) => {
    assert.equal((await page.evaluate((c) => playground.setConfig(c), homework)).ok, true);
    await page.evaluate(() => playground.openPanel('masks'));
    await frames(page);
    await frames(page);
    const { grids } = await page.evaluate(() => playground.layout());
    assert.equal(grids.length, 1, JSON.stringify(grids));
    const g = grids[0];
    const tokens = await page.evaluate(() => playground.tokens('keys'));
    assert.equal(tokens.filter((t) => t === '[PAD]').length, 3);
    assert.deepEqual([g.rows, g.cols], [14, 14]);
    // At 1024 x 768 every column, the three [PAD] keys too, is in view without scrolling.
    assert.deepEqual([g.inView.col0, g.inView.col1], [0, 14], JSON.stringify(g));
    assert.ok(g.inView.row1 - g.inView.row0 >= 8, JSON.stringify(g));
  }, { width: 1024, height: 768 });
});

const field = async (page, name) => {
  const f = (await page.evaluate(() => playground.layout())).controls.fields[name];
  assert.ok(f, `no control "${name}" in layout()`);
  return f;
};

test('turning cross-attention on turns causal off, and each text pads on its own', async () => {
  await withPage(async (page) => {
    assert.equal((await page.evaluate(() => playground.setConfig({ causal: true }))).ok, true);
    await frames(page);
    const box = await field(page, 'cross_attention');
    await click(page, box.x + 10, box.y + box.h / 2);
    const c = await page.evaluate(() => playground.getConfig());
    assert.ok(c.cross_text.length > 0, 'the click turned cross-attention on');
    assert.equal(c.causal, false);
    // Pad the queries and the keys to different lengths: n_q and n_kv stay different.
    assert.equal((await page.evaluate(() => playground.setConfig({ pad_to: 12, cross_pad_to: 8 }))).ok, true);
    const t = await page.evaluate(() => [playground.tokens(), playground.tokens('keys')]);
    assert.deepEqual([t[0].length, t[1].length], [12, 8]);
    assert.ok(await field(page, 'cross_pad_to'), 'the controls show the keys\' padding');
  });
});

test('an invalid field is marked and every other edit still applies', async () => {
  await withPage(async (page) => {
    const heads = await field(page, 'n_heads');
    await click(page, heads.x + 20, heads.y + heads.h / 2);
    await page.keyboard.press('Control+A', { delay: 60 });
    await page.keyboard.type('5', { delay: 60 });
    await frames(page);
    const text = await field(page, 'text');
    await click(page, text.x + 30, text.y + text.h / 2);
    await page.keyboard.type(' Hello', { delay: 60 });
    await frames(page);
    const c = await page.evaluate(() => playground.getConfig());
    assert.equal(c.n_heads, 4, 'n_heads 5 does not divide d_model 64: the last valid value stays');
    assert.ok(c.text.endsWith(' Hello'), `the sentence was edited anyway: "${c.text}"`);
    assert.ok((await page.evaluate(() => playground.tokens())).includes('Hello'));
    // The reason sits under the field: its rectangle grew by the message's line.
    const marked = await field(page, 'n_heads');
    assert.ok(marked.y === heads.y, 'the field did not move');
    await page.screenshot({ path: `${env.shots}/desk-invalid-field.png` });
  });
});
