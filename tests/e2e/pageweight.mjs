// Page weight and start-up time (a measurement, not a test): the gzip size of
// every file of the static folder, what a first load transfers with each of
// the two builds (start.js fetches one), and the time from navigation to the
// first drawn frame (playground.ready) in headless Chromium, median of five loads.
//   node tests/e2e/pageweight.mjs build/wasm/web
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { serve, launch, openPage } from './harness.mjs';

const dir = process.argv[2] || 'build/wasm/web';
let raw = 0, gz = 0;
// fonts/ holds what the page fetches only when a text needs it (listed, never part of a first load).
const files = fs.readdirSync(dir).sort().flatMap((f) =>
  fs.statSync(path.join(dir, f)).isDirectory() ? fs.readdirSync(path.join(dir, f)).sort().map((g) => path.join(f, g)) : [f]);
for (const f of files) {
  const bytes = fs.readFileSync(path.join(dir, f));
  const z = zlib.gzipSync(bytes, { level: 9 }).length;
  raw += bytes.length;
  gz += z;
  console.log(`${f.padEnd(34)} ${String(bytes.length).padStart(9)} B  gzip ${String(z).padStart(8)} B`);
}
console.log(`${'every file'.padEnd(34)} ${String(raw).padStart(9)} B  gzip ${String(gz).padStart(8)} B  (${(gz / 1048576).toFixed(2)} MiB)`);
const gzipOf = (f) => zlib.gzipSync(fs.readFileSync(path.join(dir, f)), { level: 9 }).length;
const shell = ['index.html', 'start.js', 'sw.js'];
for (const [name, files] of [['single-threaded', ['playground.js', 'playground.wasm']],
                             ['threaded', ['playground-threads.js', 'playground-threads.wasm', 'playground-threads.worker.js']]]) {
  const bytes = [...shell, ...files].reduce((n, f) => n + gzipOf(f), 0);
  console.log(`first load, ${name} build: gzip ${bytes} B (${(bytes / 1e6).toFixed(3)} MB, ${(bytes / 1048576).toFixed(2)} MiB)`);
}

const server = await serve(dir);
const browser = await launch();
const times = [];
for (let i = 0; i < 5; i++) {
  const { page, context } = await openPage(browser, server.url);
  times.push(await page.evaluate(() => window.playground.ready.then(() => performance.now())));
  await context.close();
}
times.sort((a, b) => a - b);
console.log(`first frame after navigation: median ${times[2].toFixed(0)} ms (min ${times[0].toFixed(0)}, max ${times[4].toFixed(0)}) over 5 loads from localhost`);
await browser.close();
await server.close();
