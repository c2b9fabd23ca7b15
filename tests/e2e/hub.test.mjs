// Model files from a hub, as hub.js fetches them: sizes first, 16 MiB ranges
// kept in Cache Storage, progress, a retried range, cancel and resume, and
// the cache serving a repo with the network cut. The hub is a local server
// laid out like huggingface.co (<base>/<repo>/resolve/main/<file>).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve, launch, openPage, ready } from './harness.mjs';

const MiB = 1 << 20;
const env = {};
const repo = 'tiny-org/tiny-model';
// 40 MiB and a bit: three ranges, the last one short.
const big = crypto.createHash('sha256').update('seed').digest();
const bytes = Buffer.alloc(40 * MiB + 123);
for (let i = 0; i < bytes.length; i += 32) crypto.createHash('sha256').update(big).update(String(i)).digest().copy(bytes, i);
const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');

before(async () => {
  env.root = fs.mkdtempSync(path.join(os.tmpdir(), 'ap-hub-'));
  fs.mkdirSync(path.join(env.root, repo), { recursive: true });
  fs.writeFileSync(path.join(env.root, repo, 'model.bin'), bytes);
  fs.writeFileSync(path.join(env.root, repo, 'config.json'), '{"n_layer": 2}');
  env.server = await serve(process.env.PLAYGROUND_DIR, { hub: env.root });
  env.browser = await launch();
  const { page, errors, context } = await openPage(env.browser, env.server.url);
  Object.assign(env, { page, errors, context });
  await ready(page);
  await page.evaluate(() => playground.hub.setBase('/hub'));
});
after(async () => {
  await env.browser?.close();
  await env.server?.close();
  fs.rmSync(env.root, { recursive: true, force: true });
});

// Downloads in the page; resolves to {ok, sha: {file: hex}, progress: [[done, total]], error}.
const download = (files, cancelAt = 0) =>
  env.page.evaluate(async ([repo, files, cancelAt]) => {
    const abort = new AbortController();
    const progress = [];
    try {
      const got = await playground.hub.download(repo, files, {
        signal: abort.signal,
        onProgress: (p) => {
          progress.push([p.done, p.total, p.speed]);
          if (cancelAt && p.done >= cancelAt) abort.abort();
        },
      });
      const sha = {};
      for (const [f, b] of Object.entries(got)) {
        const d = new Uint8Array(await crypto.subtle.digest('SHA-256', b));
        sha[f] = Array.from(d, (x) => x.toString(16).padStart(2, '0')).join('');
      }
      return { ok: true, sha, progress };
    } catch (e) {
      return { ok: false, error: e.message, progress };
    }
  }, [repo, files, cancelAt]);
const hubRequests = (method) => env.server.hub.requests.filter((r) => !method || r[0] === method);

test('sizes come before the download; a missing file is null', async () => {
  const s = await env.page.evaluate((r) => playground.hub.sizes(r, ['model.bin', 'config.json', 'vocab.json']), repo);
  assert.deepEqual(s, { 'model.bin': bytes.length, 'config.json': 14, 'vocab.json': null });
  assert.ok(hubRequests().every((r) => r[0] === 'HEAD'), 'nothing but HEAD requests yet');
});

test('a download: every byte, progress up to the total, one range request per 16 MiB, a cut range retried', async () => {
  env.server.hub.requests.length = 0;
  env.server.hub.cutAfter(3 * MiB);  // the first range's connection closes early: it is asked again
  const r = await download(['config.json', 'model.bin']);
  assert.equal(r.ok, true, r.error);
  assert.equal(r.sha['model.bin'], sha(bytes));
  assert.equal(r.sha['config.json'], sha(Buffer.from('{"n_layer": 2}')));
  const total = bytes.length + 14;
  // A retried range takes back the bytes its cut attempt had counted: never more than the total.
  assert.ok(r.progress.every(([d, t]) => t === total && d <= total), 'progress within the total');
  assert.equal(r.progress.at(-1)[0], total);
  assert.ok(r.progress.some(([, , speed]) => speed > 0), 'a speed is reported');
  const ranges = hubRequests('GET').filter((q) => q[1].endsWith('model.bin')).map((q) => q[2]);
  assert.deepEqual(ranges, ['bytes=0-16777215', 'bytes=0-16777215', 'bytes=16777216-33554431',
                            `bytes=33554432-${bytes.length - 1}`]);
  const cached = await env.page.evaluate(() => playground.hub.cached());
  assert.deepEqual(cached.map((c) => [c.repo, c.bytes, c.files]), [[repo, total, ['config.json', 'model.bin']]]);
});

test('with the network cut, the cached repo loads; unknown ones say the hub is unreachable', async () => {
  env.server.hub.offline = true;
  env.server.hub.requests.length = 0;
  try {
    const r = await download(['model.bin']);
    assert.equal(r.ok, true, r.error);
    assert.equal(r.sha['model.bin'], sha(bytes));
    const other = await env.page.evaluate(() => playground.hub.download('other/model', ['config.json']).catch((e) => e.message));
    assert.match(other, /could not reach the hub at \/hub/);
  } finally {
    env.server.hub.offline = false;
  }
});

test('a cancelled download says how far it got and resumes from the ranges it kept', async () => {
  // Forgetting another repo keeps this one; forgetting this one empties the cache.
  await env.page.evaluate(() => playground.hub.clear('tiny-model'));
  assert.equal((await env.page.evaluate(() => playground.hub.cached())).length, 1);
  await env.page.evaluate((r) => playground.hub.clear(r), repo);
  assert.deepEqual(await env.page.evaluate(() => playground.hub.cached()), []);
  const r = await download(['model.bin'], 20 * MiB);
  assert.equal(r.ok, false);
  assert.match(r.error, /^download cancelled at \d+\.\d MB of 40\.0 MB; load again to resume$/);
  env.server.hub.requests.length = 0;
  const again = await download(['model.bin']);
  assert.equal(again.ok, true, again.error);
  assert.ok(again.progress.every(([d], i) => i === 0 || d >= again.progress[i - 1][0]), 'progress only grows');
  assert.equal(again.sha['model.bin'], sha(bytes));
  // The first 16 MiB came from the cache: the resumed download starts at the second range.
  assert.equal(hubRequests('GET')[0][2], 'bytes=16777216-33554431');
  // The browser logs each failed request (the 404, the cut and the offline ones above); nothing else.
  assert.deepEqual(env.errors.filter((e) => !e.startsWith('console: Failed to load resource')), []);
});
