// Shared by the end-to-end tests and the screenshot script: a static file
// server for the built folder on localhost, and Debian's Chromium, headless,
// with WebGL2 in software (SwiftShader) and no background network traffic.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm',
                '.png': 'image/png', '.json': 'application/json' };

/**
 * Serves `dir` on 127.0.0.1 at a free port; resolves to {url, close(), hub}. With `hub` (a folder of
 * <owner>/<name>/<file>), /hub/<owner>/<name>/resolve/main/<file> is laid out as the Hugging Face hub
 * answers it: HEAD with Content-Length, Range requests with 206. `hub.requests` logs what was asked
 * ([method, path, range]); `hub.cutAfter(n)` makes the next response close its connection after n bytes;
 * `hub.offline = true` refuses every hub request, as a cut network would; `hub.failing` (a Set of file
 * names) answers 503 to GET requests of those files, as a hub that breaks mid-download. `headers` are added
 * to every response of the folder (COOP/COEP, as scripts/serve.sh sends them).
 */
export function serve(dir, { hub, headers: extra = {} } = {}) {
  dir = path.resolve(dir);
  const state = { requests: [], cut: null, offline: false, failing: new Set(), cutAfter(n) { this.cut = n; } };
  const hubFile = (rel) => {
    const m = rel.match(/^hub\/(.+)\/resolve\/main\/(.+)$/);
    return hub && m ? path.join(path.resolve(hub), path.normalize(m[1]), path.normalize(m[2])) : null;
  };
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '') || 'index.html';
    const fromHub = hubFile(rel);
    const file = fromHub || path.join(dir, path.normalize(rel));
    if (fromHub) {
      state.requests.push([req.method, rel, req.headers.range || '']);
      if (state.offline) return req.socket.destroy();
      if (req.method === 'GET' && state.failing.has(path.basename(rel))) return res.writeHead(503).end('unavailable');
    }
    if (!file.startsWith(fromHub ? path.resolve(hub) : dir) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = fs.readFileSync(file);
    const headers = { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream',
                      'Cache-Control': 'no-store', 'Accept-Ranges': 'bytes', ...(fromHub ? {} : extra) };
    let status = 200, part = body;
    const range = fromHub && (req.headers.range || '').match(/^bytes=(\d+)-(\d*)$/);
    if (range) {
      const from = Number(range[1]), to = range[2] ? Math.min(Number(range[2]) + 1, body.length) : body.length;
      status = 206;
      part = body.subarray(from, to);
      headers['Content-Range'] = `bytes ${from}-${to - 1}/${body.length}`;
    }
    headers['Content-Length'] = part.length;
    res.writeHead(status, headers);
    if (req.method === 'HEAD') return res.end();
    if (fromHub && state.cut !== null && part.length > state.cut) {
      const n = state.cut;
      state.cut = null;
      res.write(part.subarray(0, n), () => req.socket.destroy());
      return;
    }
    res.end(part);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}/`,
    hub: state,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  })));
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist',
           '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update',
           '--disable-sync'],
  });
}

/** Opens the page and collects console errors and uncaught exceptions into `errors`; beforeLoad(page) runs before it loads. */
export async function openPage(browser, url, { width = 1280, height = 800, scale = 1, touch = false, serviceWorkers = 'allow',
                                                 beforeLoad = () => {} } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: scale, hasTouch: touch, isMobile: touch,
                                             serviceWorkers });
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push('console: ' + m.text()); });
  page.on('pageerror', (e) => errors.push('page: ' + e.message));
  beforeLoad(page);
  await page.goto(url);
  return { page, errors, context };
}

/** Waits for playground.ready (a rejection becomes the test's failure). */
export async function ready(page, timeout = 60000) {
  await page.waitForFunction(() => window.playground !== undefined, null, { timeout });
  await page.evaluate(() => window.playground.ready.then(() => true));
}

/**
 * For a test file: serves PLAYGROUND_DIR and launches the browser before its
 * tests, closes both after. Returns {dir, shots, server, browser} (the last
 * two filled in by then).
 */
/** The p-quantile (0..1) of some numbers. */
export function quantile(values, p) {
  const v = [...values].sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.floor(v.length * p))];
}

// Frame bounds the end-to-end tests assert. The page slices its work (16 ms of
// computing, 8 ms of training per frame), so a frame's own work stays well
// under kFrameMs. On a 2-core machine with software GL, the OS now and then
// stalls a single piece of about 1 ms for tens of ms (the software GL's raster
// threads share the cores), which no page can prevent and which unchanged code
// shows alike; so 90% of frames must stay under kFrameMs, and none may freeze
// for kFreezeMs. A page that stopped slicing fails both.
export const kFrameMs = 50, kFreezeMs = 250;

export function setup() {
  const env = { dir: process.env.PLAYGROUND_DIR, shots: path.join(path.dirname(new URL(import.meta.url).pathname), 'screenshots') };
  before(async () => {
    assert.ok(env.dir && fs.existsSync(path.join(env.dir, 'index.html')), `PLAYGROUND_DIR (${env.dir}) holds no built page`);
    fs.mkdirSync(env.shots, { recursive: true });
    env.server = await serve(env.dir);
    env.browser = await launch();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
  return env;
}

/** Opens a fresh page at `url` (default: the served folder), waits for ready, runs fn, then fails on console errors. */
export async function withPage(env, fn, { url, allowErrors = false, ...options } = {}) {
  const { page, errors, context } = await openPage(env.browser, url || env.server.url, options);
  try {
    await ready(page);
    await fn(page, context);
    if (!allowErrors) assert.deepEqual(errors, [], 'the page logged errors');
  } finally {
    await context.close();
  }
}

/**
 * The training lab: queues n steps and waits until they are done (they run a slice per frame); resolves to its
 * state. `frameWork`, if given, receives the most a frame spent in the page's code since each poll.
 */
export async function trainSteps(page, n, frameWork) {
  await page.evaluate((k) => playground.train.step(k), n);
  const t0 = Date.now();
  for (;;) {
    const s = await page.evaluate(() => playground.train.state());
    if (frameWork) frameWork.push(await page.evaluate(() => playground.computing().longestFrameMs));
    if (s.pending === 0) return s;
    assert.ok(Date.now() - t0 < 120000, `training ${n} steps took over two minutes (at step ${s.step})`);
    await page.waitForTimeout(100);
  }
}

/** Resolves after two frames have been drawn. */
export const frames = (page) =>
  page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true)))));

/** A click as a person makes it: ImGui 1.86 reads the button once a frame, so the press is held for a few. */
export async function click(page, x, y) {
  await page.mouse.move(x, y);
  await frames(page);
  await page.mouse.down();
  await frames(page);
  await page.mouse.up();
  await frames(page);
}
