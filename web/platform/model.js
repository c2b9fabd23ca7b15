// GPT-2 models in the page: from a hub by repo id (hub.js: sizes first, then
// ranges, cached on the device), from a folder's URL, or from the learner's
// own files (picked or dropped). Files go to wasm as they arrive, config.json
// first (a model that cannot fit is refused before the download), then the
// tokenizer's files, then model.safetensors chunk by chunk, so the page never
// holds the whole file beside the model. The GPT-2 tab asks through
// Module.apModel.request(); the JS API's loadModel() uses the same paths.
// Appended to playground.js after api.js and hub.js (a third --post-js).

(() => {
  if (typeof document === 'undefined') return;  // a worker of the threaded build: no page
  const TOKENIZER = [['vocab.json', 'merges.txt'], ['tokenizer.json']];
  const NAMES = ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt', 'tokenizer.json'];
  const CHUNK = 16 << 20;  // bytes handed to wasm at a time, from a file or a folder URL
  let controller = null;   // the download under way, for cancel
  let looked = null;       // the last repo looked up: {repo, base, sizes, tokenizer, config}

  function call(fn, ...strings) {
    const ptrs = strings.map((s) => {
      const n = lengthBytesUTF8(s) + 1, p = _malloc(n);
      stringToUTF8(s, p, n);
      return p;
    });
    try { return JSON.parse(UTF8ToString(fn(...ptrs))); } finally { ptrs.forEach((p) => _free(p)); }
  }
  function withBytes(bytes, f) {
    const p = _malloc(Math.max(1, bytes.length));
    try { HEAPU8.set(bytes, p); return f(p, bytes.length); } finally { _free(p); }
  }
  const text = (bytes) => new TextDecoder().decode(bytes);
  // What the GPT-2 tab shows of a download (the C side keeps it for drawing).
  const report = (status) => call(_ap_model_fetch, JSON.stringify(status));
  const fail = (message) => { report({ phase: 'failed', message }); return { ok: false, errors: [message], info: null }; };

  function begin(name, configText, size) {
    const r = call(_ap_model_begin, name, configText, String(size || 0));
    if (!r.ok) throw new Error(r.error);
  }
  function file(name, bytes) {
    const r = withBytes(bytes, (p, n) => call((a) => _ap_model_file(a, p, n), name));
    if (!r.ok) throw new Error(r.error);
  }
  function feed(bytes) {
    const r = JSON.parse(UTF8ToString(withBytes(bytes, (p, n) => _ap_model_feed(p, n))));
    if (!r.ok) throw new Error(r.error);
  }
  function finish() {
    report({ phase: 'converting' });
    const r = JSON.parse(UTF8ToString(_ap_model_finish()));
    report(r.ok ? { phase: 'done', message: r.info.name } : { phase: 'failed', message: r.errors.join(' ') });
    return r;
  }
  // Which tokenizer files a set of names has: vocab.json + merges.txt, else tokenizer.json.
  const tokenizerOf = (has) => TOKENIZER.find((set) => set.every(has));

  // [SECTION] from the hub, by repo id

  async function lookup(repo) {
    const hub = window.playground.hub;
    if (!hub.isRepo(repo)) throw new Error(`"${String(repo).slice(0, 60)}" is not a repo id (owner/name)`);
    report({ phase: 'sizing', repo, base: hub.base() });
    // tokenizer.json only when vocab.json or merges.txt is missing (an absent file is a 404 the console shows).
    const sizes = await hub.sizes(repo, ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt']);
    if (sizes['vocab.json'] === null || sizes['merges.txt'] === null)
      Object.assign(sizes, await hub.sizes(repo, ['tokenizer.json']));
    else sizes['tokenizer.json'] = null;
    if (sizes['config.json'] === null) throw new Error(`${repo} has no config.json on ${hub.base()}`);
    if (sizes['model.safetensors'] === null)
      throw new Error(`${repo} has no model.safetensors on ${hub.base()} (only safetensors weights can be read)`);
    const tokenizer = tokenizerOf((f) => sizes[f] !== null);
    if (!tokenizer) throw new Error(`${repo} has neither vocab.json and merges.txt nor tokenizer.json`);
    const config = text((await hub.download(repo, ['config.json']))['config.json']);
    const check = call(_ap_model_check, config);
    const files = ['config.json', ...tokenizer, 'model.safetensors'];
    const total = files.reduce((n, f) => n + sizes[f], 0);
    looked = { repo, base: hub.base(), sizes, tokenizer, config, total };
    if (!check.ok) throw new Error(`${repo}: ${check.error}`);
    report({ phase: 'ask', repo, base: hub.base(), total, weights: sizes['model.safetensors'], check });
    return looked;
  }

  // One way of loading, `body(signal)`, which hands its files to wasm as they come (cancelled through
  // `signal`); then the model is built. Any error ends the load and keeps what was loaded before.
  async function attempt(body) {
    controller = new AbortController();
    try {
      await body(controller.signal);
      return finish();
    } catch (e) {
      _ap_model_cancel();
      return fail(String(e && e.message));
    } finally {
      controller = null;
    }
  }

  const fromHub = (repo) => attempt(async (signal) => {
    const hub = window.playground.hub;
    const l = looked && looked.repo === repo && looked.base === hub.base() ? looked : await lookup(repo);
    const onProgress = (p) => report({ phase: 'downloading', repo, done: p.done, total: l.total, speed: p.speed, file: p.file });
    begin(repo, l.config, l.sizes['model.safetensors']);
    const small = await hub.download(repo, l.tokenizer, { signal, onProgress });
    for (const f of l.tokenizer) file(f, small[f]);
    const before = l.tokenizer.reduce((n, f) => n + l.sizes[f], 0) + l.sizes['config.json'];
    await hub.download(repo, ['model.safetensors'], {
      signal,
      onProgress: (p) => onProgress({ done: before + p.done, speed: p.speed, file: p.file }),
      onChunk: (f, part) => feed(part),
    });
  });

  // [SECTION] from a folder's URL (no cache: the browser's own applies)

  const fromFolder = (url) => attempt(async (signal) => {
    const dir = url.replace(/\/+$/, '');
    const get = async (f) => {
      const r = await fetch(`${dir}/${f}`, { signal });
      return r.ok ? r : null;
    };
    const config = await get('config.json');
    if (!config) throw new Error(`${dir}/config.json could not be read`);
    const configText = await config.text();
    const check = call(_ap_model_check, configText);
    if (!check.ok) throw new Error(check.error);
    const weights = await get('model.safetensors');
    if (!weights) throw new Error(`${dir}/model.safetensors could not be read`);
    const size = Number(weights.headers.get('Content-Length')) || 0;
    begin(dir, configText, size);
    let tokenizer = null;
    for (const set of TOKENIZER) {
      const got = [];
      for (const f of set) got.push(await get(f));
      if (!got.every((r) => r)) continue;
      tokenizer = set;
      for (let i = 0; i < set.length; ++i) file(set[i], new Uint8Array(await got[i].arrayBuffer()));
      break;
    }
    if (!tokenizer) throw new Error(`${dir} has neither vocab.json and merges.txt nor tokenizer.json`);
    const reader = weights.body.getReader();
    for (let done = 0; ;) {
      const { done: end, value } = await reader.read();
      if (end) break;
      feed(value);
      done += value.length;
      report({ phase: 'downloading', repo: dir, done, total: size, speed: 0, file: 'model.safetensors' });
    }
  });

  // [SECTION] from the learner's files

  const fromFiles = (list) => attempt(async (signal) => {
    const byName = {};
    for (const f of list) byName[f.name.replace(/^.*[\\/]/, '')] = f;
    for (const need of ['config.json', 'model.safetensors'])
      if (!byName[need]) throw new Error(`the files must include ${need} (got ${Object.keys(byName).join(', ') || 'none'})`);
    const tokenizer = tokenizerOf((f) => byName[f]);
    if (!tokenizer) throw new Error('the files must include vocab.json and merges.txt, or tokenizer.json');
    const configText = await byName['config.json'].text();
    const check = call(_ap_model_check, configText);
    if (!check.ok) throw new Error(check.error);
    const weights = byName['model.safetensors'];
    begin('local files', configText, weights.size);
    for (const f of tokenizer) file(f, new Uint8Array(await byName[f].arrayBuffer()));
    for (let from = 0; from < weights.size; from += CHUNK) {
      if (signal.aborted) throw new Error('loading cancelled');
      feed(new Uint8Array(await weights.slice(from, Math.min(weights.size, from + CHUNK)).arrayBuffer()));
      report({ phase: 'downloading', repo: 'local files', done: Math.min(weights.size, from + CHUNK), total: weights.size, speed: 0, file: weights.name });
    }
  });
  const isModelFile = (f) => NAMES.includes(f.name.replace(/^.*[\\/]/, ''));

  async function listCached() {
    const base = window.playground.hub.base();
    try { report({ base, cached: await window.playground.hub.cached() }); } catch (e) { report({ base, cached: [] }); }
  }

  // What the GPT-2 tab asks for (web/panels/model.cpp, through the Platform).
  async function request(json) {
    const r = JSON.parse(json);
    const hub = window.playground.hub;
    try {
      if (r.base && r.base !== hub.base()) hub.setBase(r.base);
    } catch (e) { fail(e.message); return; }
    if (r.action === 'lookup') {
      try { await lookup(r.repo); } catch (e) { fail(String(e.message)); }
    } else if (r.action === 'download') {
      await fromHub(r.repo);
      listCached();
    } else if (r.action === 'cancel') {
      if (controller) controller.abort();
    } else if (r.action === 'pick') {
      const input = document.createElement('input');
      input.type = 'file';
      input.multiple = true;
      input.accept = '.json,.txt,.safetensors';
      input.onchange = () => fromFiles(input.files);
      input.click();
    } else if (r.action === 'cached') {
      listCached();
    } else if (r.action === 'forget') {
      await hub.clear(r.repo || undefined);
      listCached();
    }
  }

  Module.apModel = { request, isModelFile, fromFiles };

  Object.assign(window.playground, {
    /**
     * Loads a GPT-2: a Hugging Face repo id ('openai-community/gpt2', fetched from playground.hub.base()),
     * a folder's URL (http(s)://..., /path or ./path: config.json, model.safetensors and the tokenizer's
     * files in it), or Files (a FileList or array). Resolves to {ok, errors, info} (info: model()).
     * Nothing is replaced unless ok.
     */
    async loadModel(source) {
      await window.playground.ready;
      if (typeof source === 'string') {
        if (/^(https?:\/\/|\.{0,2}\/)/.test(source)) return fromFolder(source);
        return fromHub(source);
      }
      if (source && typeof source.length === 'number' && Array.from(source).every((f) => f instanceof File))
        return fromFiles(Array.from(source));
      return { ok: false, errors: ['loadModel(source): a repo id, a folder URL or Files'], info: null };
    },
    /** The loaded model: {name, layers, heads, d_model, n_positions, vocab, parameters, weightBytes}, or null. */
    model() { return JSON.parse(UTF8ToString(_ap_model_info())); },
    /** Back to the playground's own layer and config. */
    unloadModel() { _ap_model_unload(); return true; },
    /**
     * The next-token prediction after the text (or after token `position`): {position, tokens, ids, probs,
     * logprobs, uneditedLogprobs (the same tokens without the edits, when something is edited)}.
     */
    prediction(position) {
      const r = JSON.parse(UTF8ToString(_ap_prediction(Number.isInteger(position) ? position : -1)));
      if (r.error) throw new Error(r.error);
      return r;
    },
    /**
     * Interventions and more on the loaded model: {action: 'ablate', layer, head, on} | {action: 'clear'} |
     * {action: 'sample', temperature, top_k, seed} (appends a token) | {action: 'behaviour'} (every head's
     * scores, measured now) | {action: 'state'}. Replies with the model's state or {error}.
     */
    modelEdit(request) {
      const r = call(_ap_model_edit, JSON.stringify(request || {}));
      if (r.error) throw new Error(r.error);
      return r;
    },
  });
})();
