// What a learner meets at a desk: the mouse wheel scrolls the controls the
// right way and by about three lines a notch, in pixel and line delta modes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, withPage as openWith } from './harness.mjs';

const env = setup();
const withPage = (fn, options) => openWith(env, fn, options);

// Two animation frames: ImGui has read the wheel and scrolled.
const frames = (page) =>
  page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true)))));
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
