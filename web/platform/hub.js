// Model files from a Hugging Face hub, in the browser: the size of every file
// before anything is downloaded, then the files in 16 MiB ranges, each kept
// in Cache Storage as it arrives. So an interrupted or cancelled download
// resumes where it stopped, and a model downloaded once opens again without
// the network. The hub's address is a setting (a mirror, a school's server,
// the tests' local server laid out like the hub: <base>/<repo>/resolve/main/<file>).
// Appended to playground.js after api.js (a second --post-js).

// Not in a worker of the threaded build (no page there).
if (typeof document !== 'undefined') window.playground.hub = (() => {
  const CACHE = 'attention-playground-models';
  const CHUNK = 16 << 20;  // bytes per range request and per cache entry
  const RETRIES = 3;       // tries per range before the download is said to be interrupted
  const REPO = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}(\/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?$/;
  const BASE_KEY = 'attention-playground:hub';  // the address is a setting of this device
  let base = 'https://huggingface.co';
  try { base = localStorage.getItem(BASE_KEY) || base; } catch (e) { /* storage off: the default */ }

  const mb = (n) => (n / 1048576).toFixed(1) + ' MB';
  const fileUrl = (repo, file) => `${base.replace(/\/+$/, '')}/${repo}/resolve/main/${file}`;
  // Cache keys: one per range of a file and one for what is known of the file (its size, its ranges).
  const chunkKey = (url, k) => `${url}?ap-range=${k}`;
  const infoKey = (url) => `${url}?ap-file`;

  async function cache() {
    if (typeof caches === 'undefined') throw new Error('this browser keeps no Cache Storage here (a private window?)');
    return caches.open(CACHE);
  }

  // The size of a file: from what the cache knows, else a HEAD request (redirects followed, as to the hub's
  // CDN). A file the repo lacks is remembered too (size null), so a cached repo opens with no network at all.
  async function size(url, signal, where) {
    const c = await cache();
    const known = await c.match(infoKey(url));
    if (known) return (await known.json()).size;
    const r = await fetch(url, { method: 'HEAD', signal });
    if (r.status === 404) {
      await c.put(infoKey(url), new Response(JSON.stringify(Object.assign({ size: null }, where))));
      return null;
    }
    if (!r.ok) throw new Error(`${url}: the hub answered ${r.status} ${r.statusText}`.trim());
    const n = Number(r.headers.get('Content-Length'));
    if (!Number.isFinite(n) || n < 0) throw new Error(`${url}: the hub does not say how large the file is`);
    await c.put(infoKey(url), new Response(JSON.stringify(Object.assign({ size: n }, where))));
    return n;
  }

  // One range [from, to) as bytes, tried RETRIES times (an abort is not retried).
  async function range(url, from, to, signal, onBytes) {
    let last, got = 0;  // bytes this attempt has reported
    for (let attempt = 0; attempt < RETRIES; ++attempt) {
      try {
        const r = await fetch(url, { headers: { Range: `bytes=${from}-${to - 1}` }, signal, cache: 'no-store' });
        if (r.status !== 206 && !(r.status === 200 && from === 0 && Number(r.headers.get('Content-Length')) === to))
          throw new Error(`the hub answered ${r.status} to a range request (it must support Range)`);
        const out = new Uint8Array(to - from);
        let at = 0;
        const reader = r.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          if (at + value.length > out.length) throw new Error('the hub sent more bytes than asked for');
          out.set(value, at);
          at += value.length;
          got += value.length;
          onBytes(value.length);
        }
        if (at !== out.length) throw new Error(`the connection closed after ${at} of ${out.length} bytes`);
        got = 0;
        return out;
      } catch (e) {
        onBytes(-got);  // what this attempt brought is asked for again
        got = 0;
        if (signal && signal.aborted) throw e;
        last = e;
        await new Promise((res) => setTimeout(res, 300 * (attempt + 1)));
      }
    }
    throw last;
  }

  return {
    /** The hub's address: https://huggingface.co unless set (a mirror, or a path on this site); kept on the device. */
    base() { return base; },
    setBase(url) {
      if (typeof url !== 'string' || !/^(https?:\/\/[^\s]+|\/[^\s]*)$/.test(url))
        throw new TypeError('the hub address must be an http(s) URL or a path on this site');
      base = url;
      try { localStorage.setItem(BASE_KEY, url); } catch (e) { /* storage off: for this page only */ }
    },

    /** Whether `s` reads as a repo id ("owner/name" or "name"). */
    isRepo(s) { return typeof s === 'string' && REPO.test(s); },

    /** The sizes of `files` of a repo, null for the ones it does not have. */
    async sizes(repo, files, signal) {
      const out = {};
      for (const f of files) out[f] = await size(fileUrl(repo, f), signal, { base, repo, file: f });
      return out;
    },

    /**
     * Downloads files of a repo (from the cache where it holds them), calling onProgress({done, total, speed,
     * file}) in bytes and bytes/s; resolves to {file: Uint8Array}. With onChunk(file, bytes) each range is
     * handed over in order instead, and not kept (the file is then null in the result). Cancel with
     * `signal`; what arrived stays cached, so the next call resumes.
     */
    async download(repo, files, { signal, onProgress = () => {}, onChunk = null } = {}) {
      const c = await cache();
      let sizes;
      try {
        sizes = await this.sizes(repo, files, signal);
      } catch (e) {
        if (signal && signal.aborted) throw new Error('download cancelled before it started');
        throw new Error(e instanceof TypeError ? `could not reach the hub at ${base} (${e.message})` : e.message);
      }
      for (const f of files)
        if (sizes[f] === null) throw new Error(`${repo} has no ${f} on ${base}`);
      const total = files.reduce((n, f) => n + sizes[f], 0);
      let done = 0;
      const t0 = performance.now();
      let recent = [[t0, 0]];  // (time, done) over the last few seconds, for the speed
      const report = (file) => {
        const now = performance.now();
        recent.push([now, done]);
        while (recent.length > 2 && now - recent[0][0] > 3000) recent.shift();
        const [t, d] = recent[0];
        onProgress({ done, total, speed: now > t ? ((done - d) * 1000) / (now - t) : 0, file });
      };
      const out = {};
      for (const f of files) {
        const url = fileUrl(repo, f);
        const bytes = onChunk ? null : new Uint8Array(sizes[f]);
        for (let k = 0, from = 0; from < sizes[f]; ++k, from += CHUNK) {
          const to = Math.min(sizes[f], from + CHUNK);
          const hit = await c.match(chunkKey(url, k));
          let part = hit ? new Uint8Array(await hit.arrayBuffer()) : null;
          if (part && part.length !== to - from) part = null;  // a stale entry: fetch it again
          if (part) {
            done += part.length;
          } else {
            try {
              part = await range(url, from, to, signal, (n) => { done += n; report(f); });
            } catch (e) {
              if (signal && signal.aborted) throw new Error(`download cancelled at ${mb(done)} of ${mb(total)}; load again to resume`);
              throw new Error(`download of ${f} interrupted at ${mb(done)} of ${mb(total)} (${e.message}); load again to resume`);
            }
            await c.put(chunkKey(url, k), new Response(part));
          }
          if (onChunk) onChunk(f, part);
          else bytes.set(part, from);
          report(f);
        }
        out[f] = bytes;
      }
      return out;
    },

    /** The repos this device holds files of: [{repo, base, bytes, files}], without reading the files. */
    async cached() {
      const c = await cache();
      const keys = new Set((await c.keys()).map((r) => r.url));
      const repos = new Map();
      for (const key of keys) {
        if (!key.endsWith('?ap-file')) continue;
        const info = await (await c.match(key)).json();
        const url = key.slice(0, -'?ap-file'.length);
        let bytes = 0;
        for (let k = 0; k * CHUNK < info.size; ++k)
          if (keys.has(chunkKey(url, k))) bytes += Math.min(CHUNK, info.size - k * CHUNK);
        if (!bytes) continue;  // only its size is known, or that it is not there
        const id = info.base + ' ' + info.repo;
        if (!repos.has(id)) repos.set(id, { repo: info.repo, base: info.base, bytes: 0, files: [] });
        repos.get(id).bytes += bytes;
        repos.get(id).files.push(info.file);
      }
      return [...repos.values()].map((r) => Object.assign(r, { files: r.files.sort() }));
    },

    /** Forgets a repo's cached files (every repo's without one). */
    async clear(repo) {
      const c = await cache();
      if (!repo) {
        for (const req of await c.keys()) await c.delete(req);
        return;
      }
      const keys = (await c.keys()).map((r) => r.url);
      for (const key of keys) {
        if (!key.endsWith('?ap-file') || (await (await c.match(key)).json()).repo !== repo) continue;
        const url = key.slice(0, -'?ap-file'.length);
        for (const k of keys) if (k === key || k.startsWith(url + '?ap-range=')) await c.delete(k);
      }
    },
  };
})();
