// End-to-end: a large config (1024 tokens, GPT-2 XL width) is computed over
// many frames while the page keeps drawing, in Debian's headless Chromium.
// Frame times are recorded with requestAnimationFrame.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { kFrameMs, kFreezeMs, quantile, setup, withPage as openWith } from './harness.mjs';

const env = setup();
const withPage = (fn, options) => openWith(env, fn, options);
const words = (n) => Array.from({ length: n }, (_, i) => `w${i % 97}`).join(' ');

// Starts recording frame intervals; stop() returns them (ms, sorted) once `until` holds for `settle` more frames.
const recordFrames = (page) => page.evaluate(() => {
  window.__frames = [];
  window.__recording = true;
  let last = performance.now();
  const tick = (t) => {
    window.__frames.push(t - last);
    last = t;
    if (window.__recording) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
});
const stopFrames = (page) => page.evaluate(() => { window.__recording = false; return window.__frames.slice(); });

test('the largest config computes over frames: the page keeps drawing, then shows it', async () => {
  await withPage(async (page) => {
    // The page idle, for comparison: what this machine's software GL costs per frame.
    await recordFrames(page);
    await page.waitForTimeout(1000);
    const idle = (await stopFrames(page)).slice(1).sort((a, b) => a - b);

    await recordFrames(page);
    const t0 = Date.now();
    const r = await page.evaluate((t) => playground.setConfig({ text: t, d_model: 1600, n_heads: 25, causal: true }), words(1024));
    assert.equal(r.ok, true, r.errors.join('; '));
    assert.equal(r.pending, true, 'a config this large is computed over frames');
    const progress = [];
    let longest = 0;  // the most a frame spent in the page's own code (compute slice, drawing, uploads)
    const work = [];  // the same per poll (a poll spans a frame or two)
    for (;;) {
      const c = await page.evaluate(() => playground.computing());
      longest = Math.max(longest, c.longestFrameMs);
      work.push(c.longestFrameMs);
      if (!c.busy) break;
      progress.push([c.phase, c.progress]);
      assert.ok(Date.now() - t0 < 180000, 'still computing after three minutes');
      await page.waitForTimeout(50);
    }
    await page.waitForTimeout(1500);  // the heatmaps upload a few heads per frame
    const frames = (await stopFrames(page)).slice(1).sort((a, b) => a - b);
    const wall = Date.now() - t0;
    const { lastMs, longestFrameMs, longestSliceMs, longestPieceMs } = await page.evaluate(() => playground.computing());
    longest = Math.max(longest, longestFrameMs);
    const q = (f, p) => f[Math.min(f.length - 1, Math.floor(f.length * p))].toFixed(1);
    console.log(`# idle: median ${q(idle, 0.5)} ms, worst ${q(idle, 1)} ms over ${idle.length} frames`);
    console.log(`# computing (1024, 1600, 25 heads, causal): ${frames.length} frames in ${(wall / 1000).toFixed(1)} s ` +
                `(compute ${lastMs.toFixed(0)} ms); page code per frame at most ${longest.toFixed(1)} ms, of which computing at most ${longestSliceMs.toFixed(1)} ms (slowest piece ${longestPieceMs.toFixed(1)} ms); frame intervals: median ${q(frames, 0.5)} ms, 95th ${q(frames, 0.95)} ms, worst ${q(frames, 1)} ms`);
    // The new weights first, then weights·V and the output: each phase's progress only grows.
    const order = ['weights', 'outputs'];
    assert.ok(progress.length > 3, `${progress.length} progress readings`);
    assert.ok(progress.every(([ph, p], i) => i === 0 || order.indexOf(ph) > order.indexOf(progress[i - 1][0]) ||
                                           (ph === progress[i - 1][0] && p >= progress[i - 1][1])),
              `progress only grows within a phase: ${JSON.stringify(progress)}`);
    assert.ok(progress.some(([ph]) => ph === 'outputs'), 'the weights are shown before the outputs are done');
    assert.ok(frames.length > 10, `only ${frames.length} frames while computing`);
    // What the page controls: its own work per frame (slice, panels, texture uploads), bounded
    // as harness.mjs's kFrameMs and kFreezeMs say. Frame intervals also hold the software GL's
    // drawing and the headless compositor's pacing, so they are reported above, not asserted.
    console.log(`# page work per frame while computing: 90th percentile ${quantile(work, 0.9).toFixed(1)} ms`);
    assert.ok(quantile(work, 0.9) < kFrameMs, `the page's own work held frames for ${quantile(work, 0.9)} ms (90th percentile)`);
    assert.ok(longest < kFreezeMs, `the page's own work froze a frame for ${longest} ms`);
    assert.ok(longestSliceMs < kFreezeMs, `a computing slice froze a frame for ${longestSliceMs} ms`);
    assert.deepEqual(await page.evaluate(() => playground.tensor('weights', 24).shape), [1024, 1024]);
    assert.equal((await page.evaluate(() => playground.getConfig())).n_heads, 25);

    // Every panel on this trace: what the page does in a frame stays short (the Compare
    // panel's statistics read every pair of heads' weights, over several frames).
    const perPanel = [];
    for (const name of await page.evaluate(() => playground.panels())) {
      if (name === 'train') continue;  // its own model, tested in train.test.mjs
      await page.evaluate(() => playground.computing());  // resets longestFrameMs
      await page.evaluate((p) => playground.openPanel(p), name);
      await page.waitForTimeout(name === 'compare' ? 3000 : 800);
      if (name === 'compare') await page.screenshot({ path: path.join(env.shots, 'compare-1024.png') });
      perPanel.push([name, (await page.evaluate(() => playground.computing())).longestFrameMs]);
    }
    console.log('# page code per frame by panel at (1024, 1600, 25): ' + perPanel.map(([n, ms]) => `${n} ${ms.toFixed(1)} ms`).join(', '));
    // Typically 4-30 ms here; a panel's first frame on a new trace (its uploads) now and then
    // meets a stall of the software GL's process on this 2-core machine (up to about 40 ms), so
    // the bound here is a freeze's (the Compare panel took 3.4 s in one frame before its sums
    // were spread over frames).
    for (const [name, ms] of perPanel) assert.ok(ms < kFreezeMs, `the ${name} panel froze a frame for ${ms} ms`);
  });
});

test('an attention-only edit at GPT-2 width shows the new weights first, then the output', async () => {
  await withPage(async (page) => {
    const r = await page.evaluate((t) => playground.setConfig({ text: t, d_model: 768, n_heads: 12 }), words(256));
    assert.equal(r.ok, true, r.errors.join('; '));
    await page.evaluate(() => playground.settled());
    const got = await page.evaluate(() => {
      const before = { q: playground.tensor('q_proj').data, out: playground.tensor('output').data };
      const edit = playground.setConfig({ causal: true });
      // setConfig has returned: the weights are the new ones already ...
      const w = playground.tensor('weights', 3);
      let upper = 0;
      for (let i = 0; i < 256; i++) for (let j = i + 1; j < 256; j++) upper += w.data[i * 256 + j];
      let outputError = '';
      try { playground.tensor('output'); } catch (e) { outputError = e.message; }
      return { edit, upper, outputError, q: before.q, out: before.out, phase: playground.computing().phase };
    });
    assert.equal(got.edit.ok, true);
    assert.equal(got.edit.pending, true, 'the output follows on a later frame');
    assert.equal(got.upper, 0, 'the causal mask is in the weights as soon as setConfig returns');
    assert.match(got.outputError, /output is still being computed/);
    assert.equal(got.phase, 'outputs');
    await page.evaluate(() => playground.settled());
    const after = await page.evaluate(() => ({ q: playground.tensor('q_proj').data, out: playground.tensor('output').data,
                                               c: playground.computing() }));
    // The projections stand (the same floats, not recomputed); the output is the causal one.
    assert.deepEqual(Object.values(after.q), Object.values(got.q));
    assert.notDeepEqual(Object.values(after.out), Object.values(got.out));
    assert.ok(after.c.weightsMs > 0 && after.c.weightsMs < after.c.lastMs, JSON.stringify(after.c));
    console.log(`# causal edit at (256, 768, 12): weights in ${after.c.weightsMs.toFixed(1)} ms, output in ${after.c.lastMs.toFixed(1)} ms`);
  });
});
