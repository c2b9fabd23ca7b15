// Live edits in the page (a measurement, not a test): at GPT-2-small width,
// how long an edit that leaves the projections alone takes to show new
// weights, in headless Chromium. For each kind of edit, seven edits back and
// forth; medians of: the core's time to the new weights (computing().weightsMs),
// setConfig's own time (it returns once the weights are made), the time to the
// animation frame that draws them, and the time until the output is done too.
//   node tests/e2e/edits.mjs build/wasm/web [n_tokens, default 256]
import { serve, launch, openPage, ready } from './harness.mjs';

const dir = process.argv[2] || 'build/wasm/web';
const n = Number(process.argv[3] || 256);
const words = Array.from({ length: n }, (_, i) => 'w' + (i % 97)).join(' ');
const base = { text: words, d_model: 768, n_heads: 12, causal: false, temperature: 1, softcap: 0, dropout: 0, window: 0 };
const edits = [
  ['temperature', [{ temperature: 2 }, { temperature: 1 }]],
  ['causal mask', [{ causal: true }, { causal: false }]],
  ['window (causal)', [{ causal: true, window: 16 }, { causal: true, window: 0 }]],
  ['softcap', [{ softcap: 5 }, { softcap: 0 }]],
  ['dropout', [{ dropout: 0.1 }, { dropout: 0 }]],
];

const server = await serve(dir);
const browser = await launch();
try {
  const { page } = await openPage(browser, server.url, { width: 1280, height: 800 });
  await ready(page);
  const r = await page.evaluate((c) => playground.setConfig(c), base);
  if (!r.ok) throw new Error(r.errors.join('; '));
  await page.evaluate(() => playground.settled());
  const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)].toFixed(1);
  console.log(`attention-only edits at (${n}, 768, 12), headless Chromium; medians of 7, ms`);
  console.log(`${'edit'.padEnd(18)} ${'weights'.padStart(8)} ${'setConfig'.padStart(10)} ${'drawn'.padStart(8)} ${'output'.padStart(8)}`);
  for (const [name, pair] of edits) {
    const rows = [];
    for (let i = 0; i < 7; i++) {
      rows.push(await page.evaluate(async (c) => {
        const t0 = performance.now();
        const res = playground.setConfig(c);
        const call = performance.now() - t0;
        await new Promise((resolve) => requestAnimationFrame(() => resolve()));
        const drawn = performance.now() - t0;
        await playground.settled();
        const all = performance.now() - t0;
        return { ok: res.ok, call, drawn, all, weights: playground.computing().weightsMs };
      }, pair[i % 2]));
      if (!rows.at(-1).ok) throw new Error(`${name}: setConfig refused the edit`);
    }
    const col = (k) => median(rows.map((x) => x[k]));
    console.log(`${name.padEnd(18)} ${col('weights').padStart(8)} ${col('call').padStart(10)} ${col('drawn').padStart(8)} ${col('all').padStart(8)}`);
    await page.evaluate((c) => playground.setConfig(c), base);
    await page.evaluate(() => playground.settled());
  }
} finally {
  await browser.close();
  await server.close();
}
