// window.playground: the JS API for embedding pages, scripts and the tests.
// Linked with --post-js, so it shares scope with Emscripten's glue code.
// Every call goes through JSON strings to web/bridge.cpp; tensor data is
// copied out of the wasm heap into a fresh Float32Array.
(function () {
  if (typeof document === 'undefined') return;  // a worker of the threaded build: no page
  let resolveReady, rejectReady, started = false;
  const ready = new Promise((resolve, reject) => { resolveReady = resolve; rejectReady = reject; });
  ready.catch(() => {});  // a failed load is reported on the page; no unhandled rejection

  // Read before the app starts: its first frame rewrites the address from its state.
  const lessonUrl = new URLSearchParams(location.hash.slice(1)).get('lesson_url');
  Module.apFirstFrame = () => {
    started = true;
    reportOnline();
    if (lessonUrl) openLessonUrl(lessonUrl);
    resolveReady(window.playground);
  };
  Module.apLoadFailed = (message) => rejectReady(new Error(message));

  function need() {
    if (!started) throw new Error('the playground is still loading: await playground.ready first');
  }
  // Passes a JS string to C through the heap (large texts would overflow the stack).
  function callWithString(fn, text, ...rest) {
    const size = lengthBytesUTF8(text) + 1;
    const ptr = _malloc(size);
    try {
      stringToUTF8(text, ptr, size);
      return JSON.parse(UTF8ToString(fn(ptr, ...rest)));
    } finally {
      _free(ptr);
    }
  }

  // [SECTION] the page's side of the app: downloads, the address, files, PNG, online state
  const LINK_KEY = 'attention-playground:last', LESSONS_KEY = 'attention-playground:lessons';
  let lastLink = null, lastPush = -Infinity, pngWaiter = null;
  const page = {
    download(name, mime, bytes) {
      const url = URL.createObjectURL(new Blob([bytes], { type: mime }));
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 30000);
    },
    copyLink() {
      if (navigator.clipboard) navigator.clipboard.writeText(location.href).catch(() => {});
    },
    pickFile() {
      const input = document.createElement('input');
      input.type = 'file';
      input.accept = '.npy,.npz';
      input.multiple = true;
      input.onchange = () => importFiles(input.files);
      input.click();
    },
    // "check an .npy": whatever its name, the file is the learner's homework.
    pickHomework() {
      const input = document.createElement('input');
      input.type = 'file';
      input.accept = '.npy';
      input.onchange = async () => {
        const f = input.files[0];
        if (f) checkHomeworkBytes(f.name, '', f.size > 256 * 1024 * 1024 ? new Uint8Array(0) : new Uint8Array(await f.arrayBuffer()));
      };
      input.click();
    },
    // Called right after the frame is drawn, while the WebGL buffer still holds it.
    savePng(x, y, w, h) {
      const c = document.createElement('canvas');
      c.width = Math.max(1, Math.round(w));
      c.height = Math.max(1, Math.round(h));
      c.getContext('2d').drawImage(Module.canvas, x, y, w, h, 0, 0, c.width, c.height);
      c.toBlob(async (blob) => {
        const bytes = new Uint8Array(await blob.arrayBuffer());
        if (pngWaiter) { const resolve = pngWaiter; pngWaiter = null; resolve(bytes); }
        else page.download('attention_view.png', 'image/png', bytes);
      }, 'image/png');
    },
    // The address follows the state: a new history entry per change, except that
    // changes within a second of the last (typing, dragging) replace it.
    setLink(query) {
      const url = '#' + query, now = performance.now();
      // The first state, and the echo of an address just loaded (back/forward), add no entry.
      if (lastLink === null || lastLink === query || now - lastPush < 1000) history.replaceState(null, '', url);
      else history.pushState(null, '', url);
      if (lastLink !== null && lastLink !== query) lastPush = now;
      lastLink = query;
      try { localStorage.setItem(LINK_KEY, query); } catch (e) { /* storage off: the address still holds it */ }
    },
    copyText(text) {
      if (navigator.clipboard) navigator.clipboard.writeText(text).catch(() => { /* no permission: nothing to do */ });
    },
    // Each lesson's progress, kept on the device (session/lessons.h's progress_json).
    saveLessons(json) {
      try { localStorage.setItem(LESSONS_KEY, json); } catch (e) { /* storage off: for this visit only */ }
    },
    savedLessons() {
      try { return localStorage.getItem(LESSONS_KEY) || ''; } catch (e) { return ''; }
    },
    startLink() {
      if (location.hash.length > 1) return location.hash.slice(1);
      try { return localStorage.getItem(LINK_KEY) || ''; } catch (e) { return ''; }
    },
  };
  Module.apPage = page;

  // [SECTION] fonts beyond the embedded one, fetched the first time a text needs them (web/render/fonts.h)
  Module.apFonts = {
    need(file) {
      fetch('fonts/' + file).then((r) => {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.arrayBuffer();
      }).then((buffer) => {
        const bytes = new Uint8Array(buffer), p = _malloc(bytes.length);
        HEAPU8.set(bytes, p);
        try { withString(file, (name) => _ap_font_loaded(name, p, bytes.length)); } finally { _free(p); }
      }).catch(() => { /* offline or missing: those characters stay ?, and layout().missingGlyphs says so */ });
    },
  };
  // fn(pointer to text as C string), freed after; input.js uses it too.
  function withString(text, fn) {
    const size = lengthBytesUTF8(text) + 1, p = _malloc(size);
    try { stringToUTF8(text, p, size); fn(p); } finally { _free(p); }
  }
  Module.apWithString = withString;

  // Back/forward, or a hand-edited address: load what the address now says.
  const followAddress = () => {
    const query = location.hash.slice(1);
    if (started && query !== lastLink) { lastLink = query; callWithString(_ap_apply_link, query); }
  };
  window.addEventListener('popstate', followAddress);
  window.addEventListener('hashchange', followAddress);
  const reportOnline = () => { if (started) _ap_set_online(navigator.onLine ? 1 : 0); };
  window.addEventListener('online', reportOnline);
  window.addEventListener('offline', reportOnline);

  function importBytes(role, bytes) {
    const ptr = _malloc(Math.max(1, bytes.length));
    try {
      HEAPU8.set(bytes, ptr);
      const rolePtr = _malloc(lengthBytesUTF8(role) + 1);
      stringToUTF8(role, rolePtr, lengthBytesUTF8(role) + 1);
      try { return JSON.parse(UTF8ToString(_ap_import(rolePtr, ptr, bytes.length))); } finally { _free(rolePtr); }
    } finally {
      _free(ptr);
    }
  }
  // The learner's own result, checked against the page's tensor: the report (session/homework.h).
  function checkHomeworkBytes(name, target, bytes) {
    const ptr = _malloc(Math.max(1, bytes.length));
    try {
      HEAPU8.set(bytes, ptr);
      let report;
      withString(name, (n) => withString(target, (t) => {
        report = JSON.parse(UTF8ToString(_ap_homework(n, t, ptr, bytes.length)));
      }));
      return report;
    } finally {
      _free(ptr);
    }
  }
  async function importFiles(files) {
    // A GPT-2's files (config.json, model.safetensors, ...) load the model (model.js).
    const model = Array.from(files).filter((f) => Module.apModel.isModelFile(f));
    if (model.length) await Module.apModel.fromFiles(model);
    for (const f of files) {
      if (Module.apModel.isModelFile(f)) continue;
      // Any other .json is a teacher's lesson: opened, or refused with a note that says why.
      if (/\.json$/i.test(f.name)) {
        if (f.size > 1024 * 1024) openLessonText('', f.name, 'the file is larger than a lesson may be (128 KiB)');
        else openLessonText(await f.text(), f.name);
        continue;
      }
      // A .npz is a training lab's weights; x.npy, q.npy, k.npy and v.npy replace that tensor; any other
      // .npy is the learner's homework, checked against the page's.
      const role = /\.npz$/i.test(f.name) ? 'npz' : f.name.replace(/\.npy$/i, '').toLowerCase();
      const bytes = () => f.size > 256 * 1024 * 1024 ? new Uint8Array(0) : f.arrayBuffer().then((b) => new Uint8Array(b));
      if (role === 'npz' || /^[xqkv]$/.test(role)) importBytes(role, await bytes());  // too large: refused with a note
      else checkHomeworkBytes(f.name, '', await bytes());
    }
  }
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    if (started && e.dataTransfer && e.dataTransfer.files.length) importFiles(e.dataTransfer.files);
  });

  // A teacher's lesson from a file or a URL: opened, or refused with a note on the page that says why.
  function openLessonText(text, from, error) {
    const request = { action: 'open', lesson: text, from };
    if (error) request.error = error;
    callWithString(_ap_lesson, JSON.stringify(request));
  }
  // #lesson_url=...: fetched from this site (the page's connect-src; other sites can pack the lesson into
  // the link as lesson_json).
  async function openLessonUrl(url) {
    try {
      const r = await fetch(new URL(url, location.href));
      if (!r.ok) throw new Error('HTTP ' + r.status);
      const text = await r.text();
      if (text.length > 1024 * 1024) openLessonText('', url, 'the file is larger than a lesson may be (128 KiB)');
      else openLessonText(text, url);
    } catch (e) {
      openLessonText('', url, 'could not be fetched (' + e.message + '); a lesson must be on this site, or packed into the link as lesson_json');
    }
  }

  function lessonCall(request) {
    need();
    const r = callWithString(_ap_lesson, JSON.stringify(request));
    if (!r.ok) throw new Error(r.error);
    return r;
  }

  function trainCall(request) {
    need();
    const r = callWithString(_ap_train, JSON.stringify(request));
    if (r.error) throw new Error(Array.isArray(r.error) ? r.error.join(' ') : r.error);
    return r;
  }

  window.playground = {
    /** Resolves (to this object) once the first frame has been drawn. */
    ready,

    /** Every config field as a plain object (text, d_model, n_heads, causal, seed, ...: see the README). */
    getConfig() {
      need();
      return JSON.parse(UTF8ToString(_ap_get_config()));
    },

    /**
     * Changes some fields: {ok, errors, pending}. With any error nothing changes. A large config
     * is computed over the next frames while the page keeps drawing (pending: true), and from 128
     * tokens or so at GPT-2's width the new weights are shown a frame before the output: await
     * settled() before reading its tensors.
     */
    setConfig(partial) {
      need();
      if (partial === null || typeof partial !== 'object' || Array.isArray(partial))
        return { ok: false, errors: ['setConfig needs an object of fields, e.g. {n_heads: 8}'] };
      let json;
      try { json = JSON.stringify(partial); } catch (e) { return { ok: false, errors: [String(e.message)] }; }
      return callWithString(_ap_set_config, json);
    },

    /**
     * A tensor of the current trace: {shape, data}, data a row-major Float32Array.
     * Per-head names (q, k, v, scores, scaled_scores, softcapped_scores, masked_scores,
     * weights, dropped_weights, context) take a head index (k and v: a key/value head);
     * without one they give all heads, shape [heads, rows, cols]. With a model loaded, `layer` picks
     * any of its layers (the chosen one by default).
     */
    tensor(name, head, layer) {
      need();
      if (typeof name !== 'string') throw new TypeError('tensor(name, head, layer): name must be a string');
      if (head !== undefined && !Number.isInteger(head)) throw new TypeError('tensor(name, head, layer): head must be an integer');
      if (layer !== undefined && !Number.isInteger(layer)) throw new TypeError('tensor(name, head, layer): layer must be an integer');
      const r = callWithString(_ap_tensor, name, head === undefined ? -1 : head, layer === undefined ? -1 : layer);
      if (r.error) throw new Error(r.error);
      const start = r.ptr >> 2;
      return { shape: r.shape, data: HEAPF32.slice(start, start + r.length) };
    },

    /**
     * The query tokens (the text, then any [PAD]; without those in a KV cache),
     * or with which = 'keys' the key/value tokens (the cross_text's with cross-attention).
     */
    tokens(which) {
      need();
      if (which !== undefined && which !== 'queries' && which !== 'keys')
        throw new TypeError("tokens(which): which must be 'queries' or 'keys'");
      return JSON.parse(UTF8ToString(_ap_tokens(which === 'keys' ? 1 : 0)));
    },

    /** The names of the panels (views), in tab order. */
    panels() {
      need();
      return JSON.parse(UTF8ToString(_ap_panels())).panels;
    },

    /** The panel on screen now. */
    panel() {
      need();
      return JSON.parse(UTF8ToString(_ap_panels())).current;
    },

    /** Brings a panel to the front: one of panels() (the registry's keys, in tab order). */
    openPanel(name) {
      need();
      if (typeof name !== 'string') throw new TypeError('openPanel(name): name must be a string');
      const r = callWithString(_ap_open_panel, name);
      if (r.error) throw new Error(r.error);
      return true;
    },

    /**
     * The numbers the panels show, as the core computed them: per-head statistics,
     * head similarity, the layer's costs, the scaling-lab curves and the pipeline steps.
     */
    analysis() {
      need();
      return JSON.parse(UTF8ToString(_ap_analysis()));
    },

    /** The link to what is on screen now (every setting is in the part after '#'). */
    link() {
      need();
      return location.origin + location.pathname + '#' + UTF8ToString(_ap_link());
    },

    /** What a link or an import could not use, one sentence each (also shown on the page). */
    notes() {
      need();
      return JSON.parse(UTF8ToString(_ap_notes()));
    },

    /** Loads a link's settings ('#...' or the part after '#'): {notes}. */
    openLink(fragment) {
      need();
      if (typeof fragment !== 'string') throw new TypeError('openLink(fragment): fragment must be a string');
      return callWithString(_ap_apply_link, fragment.replace(/^[^#]*#/, ''));
    },

    // [SECTION] lessons (session/lessons.h; the README's "Lessons" has the format)
    /** The lessons: [{id, title, about, steps, done, needsModel, builtin}]. */
    lessons() { return lessonCall({ action: 'list' }).lessons; },
    /** Opens a lesson by id, or a teacher's lesson from its JSON (text or object), at `step` or where the learner was. */
    openLesson(idOrJson, step) {
      const lesson = typeof idOrJson === 'string' ? idOrJson : JSON.stringify(idOrJson);
      const request = { action: 'open', lesson };
      if (step !== undefined) request.step = step;
      return lessonCall(request).state;
    },
    /** {lesson, title, step, steps: [{text, kind, done, hintUsed, showMeUsed, hasHint, hasShowMe, options}],
     *  done, complete, hintsUsed, showMeUsed, feedback, summary}; {lesson: null} when none is open. */
    lessonState() { return lessonCall({ action: 'state' }).state; },
    /** The answer to the current step (a number, a shape's text, a head, [row, col] or an option's index):
     *  {correct, feedback, state}. */
    answer(value) { return lessonCall({ action: 'answer', value }); },
    /** The next step (or `step`): the state. */
    nextStep() { return lessonCall({ action: 'next' }).state; },
    goToStep(step) { return lessonCall({ action: 'go', step }).state; },
    /** The current step's hint (counted as used). */
    hint() { return lessonCall({ action: 'hint' }).hint; },
    /** Sets the current step's state for a learner who is stuck (counted as used). */
    showMe() { return lessonCall({ action: 'showMe' }).state; },
    closeLesson() { lessonCall({ action: 'close' }); return true; },

    /** Back to the defaults, without imported tensors. */
    reset() {
      need();
      JSON.parse(UTF8ToString(_ap_reset()));
      return true;
    },

    /**
     * A file as the page exports it: {name, mime, data: Uint8Array}. kind: 'npy' or 'csv'
     * (of tensor(name, head); head -1 or omitted: every head), 'config', 'pytorch', 'npz', 'homework' (the .npz's inputs without the page's results).
     */
    exportFile(kind, tensor = '', head = -1) {
      need();
      const k = _malloc(lengthBytesUTF8(String(kind)) + 1), t = _malloc(lengthBytesUTF8(String(tensor)) + 1);
      try {
        stringToUTF8(String(kind), k, lengthBytesUTF8(String(kind)) + 1);
        stringToUTF8(String(tensor), t, lengthBytesUTF8(String(tensor)) + 1);
        const r = JSON.parse(UTF8ToString(_ap_export(k, t, Number.isInteger(head) ? head : -1)));
        if (r.error) throw new Error(r.error);
        return { name: r.name, mime: r.mime, data: HEAPU8.slice(r.ptr, r.ptr + r.length) };
      } finally {
        _free(k);
        _free(t);
      }
    },

    /** Downloads what exportFile gives. */
    download(kind, tensor, head) {
      const f = this.exportFile(kind, tensor, head);
      page.download(f.name, f.mime, f.data);
      return f.name;
    },

    /** The view on the right as PNG bytes, at the screen's pixel ratio (after the next frame). */
    viewPng() {
      need();
      return new Promise((resolve) => { pngWaiter = resolve; _ap_request_png(); });
    },

    /** Replaces X ('x') or a projection ('q', 'k', 'v') with an .npy file's bytes: {ok, error}. */
    importNpy(role, bytes) {
      need();
      if (typeof role !== 'string' || !(bytes instanceof Uint8Array || bytes instanceof ArrayBuffer))
        throw new TypeError('importNpy(role, bytes): role a string, bytes a Uint8Array or ArrayBuffer');
      return importBytes(role, bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
    },

    /**
     * Checks the learner's own result (an .npy's bytes) against the page's tensor `target`: 'weights'
     * (heads, n_q, n_kv), 'context' (heads, n_q, d_head) or 'output' (n_q, d_model); '' or omitted: the open
     * lesson step's, else the tensor of its shape. Returns {file, target, shape, expectedShape, compared,
     * correct, mistake (a usual mistake's key, or ''), verdict, details, maxAbs, maxRel, mismatches,
     * firstMismatch, error}. The page re-checks it with every new state: homework() reads it again.
     */
    checkHomework(bytes, target = '', name = 'homework.npy') {
      need();
      if (!(bytes instanceof Uint8Array || bytes instanceof ArrayBuffer) || typeof target !== 'string')
        throw new TypeError('checkHomework(bytes, target): bytes a Uint8Array or ArrayBuffer, target a string');
      return checkHomeworkBytes(String(name), target, bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
    },

    /** The last homework's report against the state now (see checkHomework); {file: null} before any. */
    homework() {
      need();
      return JSON.parse(UTF8ToString(_ap_homework_report()));
    },

    /**
     * The training lab (the Train tab). Each call returns the lab's state:
     * {step, running, pending, link, eval: {loss, accuracy}, curve: {step, loss, accuracy},
     *  trainLoss (per step), stepsPerSecond, longestSliceMs (the longest a frame waited for training), probe: {tokens, predictions, weights[layer][head] (T·T, row-major)}}.
     * Training happens between frames, a slice per frame: start() returns at once.
     */
    train: {
      state: () => trainCall({ action: 'state' }),
      start: () => trainCall({ action: 'start' }),
      pause: () => trainCall({ action: 'pause' }),
      /** Queues n steps (done over the next frames). */
      step: (n = 1) => trainCall({ action: 'step', steps: n }),
      /** Back to step 0 with the same settings. */
      reset: () => trainCall({ action: 'reset' }),
      /** New settings ({task: 'reverse', len, vocab, layers, heads, d_model, lr, batch, seed, ln, mlp}); restarts. */
      settings: (s) => trainCall({ action: 'settings', settings: s }),
      /** Switches head `head` of layer `layer` off (on = true) or back on. */
      ablate: (layer, head, on = true) => trainCall({ action: 'ablate', layer, head, on }),
    },

    /**
     * {busy, phase, progress (0..1 of the phase), lastMs, weightsMs, longestSliceMs, longestPieceMs,
     * longestFrameMs}: whether anything is still being computed. phase 'weights': a new trace up to
     * its attention weights (the page shows them when done); 'outputs': the shown trace's
     * weights·V, concat and output (tensor('output') answers an error until then). weightsMs: the
     * last edit's time to its weights; lastMs: to its output. longestFrameMs is the most any frame
     * spent in the page's code since the last call.
     */
    computing() {
      need();
      return JSON.parse(UTF8ToString(_ap_computing()));
    },

    /** Resolves once no computation is under way (at once if none is). */
    async settled() {
      need();
      while (JSON.parse(UTF8ToString(_ap_computing())).busy) await new Promise((r) => requestAnimationFrame(r));
      return true;
    },

    /**
     * {threaded, isolated, threads, maxThreads, cores, reason, build}: which build runs (start.js chose
     * it before fetching), on how many threads, and why one when it is one.
     */
    runtime() {
      need();
      return JSON.parse(UTF8ToString(_ap_runtime()));
    },

    /** Threads for what follows, within the workers the page made (1 .. runtime().maxThreads). */
    setThreads(n) {
      need();
      if (!Number.isInteger(n) || n < 1) return { ok: false, errors: ['threads must be a whole number from 1 up'] };
      return { ok: true, threads: _ap_set_threads(n) };
    },

    /** Whether the page believes it is online (offline, it runs from the copy saved on this device). */
    online() {
      return navigator.onLine;
    },

    /**
     * Where the heatmaps (a model view's with their layer), the controls' fields, the panels' named widgets
     * (e.g. the GPT-2 tab's 'repo', 'lookup', 'download'), the panels' tabs and every window are drawn, in CSS
     * pixels, as placed this frame (scrolled positions included).
     */
    layout() {
      need();
      const r = JSON.parse(UTF8ToString(_ap_layout()));
      const s = window.devicePixelRatio || 1;
      // hover: [row, column] of the cell under the pointer (its tooltip is open), or null; zoom: 1 = all of the map.
      r.heatmaps = r.heatmaps.map((m) => ({ head: m.head, focus: m.focus, layer: m.layer, x: m.x / s, y: m.y / s, w: m.w / s, h: m.h / s,
                                            zoom: m.zoom, hover: m.hover }));
      // The controls' scroll, in CSS px: where it is, how far it can go, one line of text.
      const box = (b) => ({ x: b.x / s, y: b.y / s, w: b.w / s, h: b.h / s });
      const c = r.controls;
      // Each field's box, with `item`: its first widget without the label (a stepper's -/+ are its last two squares).
      const fields = Object.fromEntries(Object.entries(c.fields).map(([k, f]) => [k, Object.assign(box(f.box), { item: box(f.item) })]));
      r.widgets = Object.fromEntries(Object.entries(r.widgets).map(([k, b]) => [k, box(b)]));
      r.tabs = Object.fromEntries(Object.entries(r.tabs).map(([k, b]) => [k, box(b)]));
      r.tooltip = r.tooltip && box(r.tooltip);  // the tooltip open now, or null
      // missingGlyphs: code points in the texts that no font has drawn yet (a font on its way, or none here).
      r.controls = { scrollY: c.scrollY / s, scrollMaxY: c.scrollMaxY / s, lineHeight: c.lineHeight / s, fields };
      // Each window: its box, and how wide its content is against the width it shows.
      // (Object.assign, not object spread: Emscripten 3.1.6's JS optimizer cannot parse the spread.)
      r.windows = r.windows.map((w) => Object.assign({ name: w.name }, box(w.box),
                                                     { contentW: w.contentW / s, visibleW: w.visibleW / s, scrollsX: w.scrollsX }));
      return r;
    },
  };

  // [SECTION] embedding: a page that holds the playground in an iframe drives it
  // with postMessage({playground: 1, id, method, args}); the reply carries the same id.
  const METHODS = ['getConfig', 'setConfig', 'tensor', 'tokens', 'panels', 'panel', 'openPanel', 'analysis', 'link',
                   'notes', 'openLink', 'reset', 'layout', 'lessons', 'openLesson', 'lessonState', 'answer', 'nextStep',
                   'goToStep', 'hint', 'showMe', 'closeLesson', 'checkHomework', 'homework'];
  window.addEventListener('message', (e) => {
    const m = e.data;
    if (!m || typeof m !== 'object' || m.playground !== 1 || !e.source) return;
    const answer = (body) => e.source.postMessage(Object.assign({ playground: 1, id: m.id }, body), e.origin === 'null' ? '*' : e.origin);
    if (!METHODS.includes(m.method)) { answer({ error: 'unknown method; known: ' + METHODS.join(', ') }); return; }
    ready.then(() => {
      try { answer({ result: window.playground[m.method](...(Array.isArray(m.args) ? m.args : [])) }); }
      catch (err) { answer({ error: String(err && err.message) }); }
    }, (err) => answer({ error: String(err && err.message) }));
  });
})();
