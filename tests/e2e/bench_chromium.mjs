// The benchmark (tests/bench/bench.cpp) as wasm in Debian's headless Chromium
// (a measurement, not a test: its name keeps `node --test tests/e2e/` off it).
// Serves the folder that the ap_bench_web target builds, opens its page, waits
// for main() to return, prints what the benchmark printed, and exits non-zero
// with the reason if the page fails, the benchmark fails, or it runs too long.
//   node tests/e2e/bench_chromium.mjs build/wasm/bench [timeout seconds, default 300]
import fs from 'node:fs';
import path from 'node:path';
import { serve, launch } from './harness.mjs';

const dir = process.argv[2] || 'build/wasm/bench';
const timeoutMs = 1000 * Number(process.argv[3] || process.env.AP_BENCH_TIMEOUT || 300);

function fail(message) {
  console.error(`bench_chromium: ${message}`);
  process.exitCode = 1;
}

async function main() {
  for (const f of ['index.html', 'ap_bench_web.js', 'ap_bench_web.wasm'])
    if (!fs.existsSync(path.join(dir, f)))
      return fail(`${path.join(dir, f)} is missing: build it with \`cmake --build ${path.dirname(path.resolve(dir))} --target ap_bench_web\``);
  if (!(timeoutMs > 0)) return fail(`the timeout must be a positive number of seconds, not ${process.argv[3]}`);

  const server = await serve(dir);
  let browser;
  try {
    browser = await launch();
    const page = await browser.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push('page: ' + e.message));
    page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
    // A renderer killed for memory or a crash would otherwise leave us waiting for the timeout.
    const crashed = new Promise((resolve) => page.on('crash', () => resolve('crash')));
    page.on('crash', () => problems.push('the renderer crashed'));

    const response = await page.goto(server.url);
    if (!response || !response.ok()) return fail(`loading ${server.url} gave HTTP ${response?.status()}`);
    const t0 = Date.now();
    // The benchmark holds the page's main thread until it ends, so the polls
    // queue up behind it; the timeout is kept by Node, so it still fires.
    const done = page.waitForFunction(() => window.bench && window.bench.done, null,
                                      { timeout: timeoutMs, polling: 1000 }).then(() => 'done');
    const how = await Promise.race([done, crashed]).catch((e) => (e.name === 'TimeoutError' ? 'timeout' : e));
    if (how === 'timeout')
      return fail(`no result after ${timeoutMs / 1000} s (page status: ${await status(page)}); ` +
                  'raise the limit with a second argument or AP_BENCH_TIMEOUT');
    if (how !== 'done') return fail(`the page failed: ${how === 'crash' ? problems.join('; ') : how}`);

    const bench = await page.evaluate(() => window.bench);
    const ua = await page.evaluate(() => navigator.userAgent.match(/Chrom(e|ium)\/[0-9.]+/)?.[0] || navigator.userAgent);
    console.log(`(${ua}, headless; ${((Date.now() - t0) / 1000).toFixed(1)} s in the page)`);
    for (const line of bench.lines) console.log(line);
    const errors = [...bench.errors, ...problems];
    if (bench.status !== 'ok' || bench.exitCode !== 0)
      return fail(`the benchmark did not finish cleanly (status ${bench.status}, exit code ${bench.exitCode})` +
                  (errors.length ? ':\n  ' + errors.join('\n  ') : ''));
    if (errors.length) return fail('the page reported errors:\n  ' + errors.join('\n  '));
  } finally {
    await browser?.close();
    await server.close();
  }
}

// What the page says about itself, or that it cannot answer (a busy main thread).
async function status(page) {
  const busy = new Promise((resolve) => setTimeout(resolve, 2000, 'not answering (still busy)'));
  const said = page.evaluate(() => (window.bench ? `${window.bench.status}, ${window.bench.lines.length} lines printed`
                                                  : 'no window.bench')).catch((e) => 'unknown: ' + e.message);
  return Promise.race([said, busy]);
}

main().catch((e) => fail(e.stack || String(e)));
