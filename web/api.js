// window.playground: the JS API for embedding pages, scripts and the tests.
// Linked with --post-js, so it shares scope with Emscripten's glue code.
// Every call goes through JSON strings to web/bridge.cpp; tensor data is
// copied out of the wasm heap into a fresh Float32Array.
(function () {
  let resolveReady, rejectReady, started = false;
  const ready = new Promise((resolve, reject) => { resolveReady = resolve; rejectReady = reject; });
  ready.catch(() => {});  // a failed load is reported on the page; no unhandled rejection

  Module.apFirstFrame = () => { started = true; resolveReady(window.playground); };
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

  window.playground = {
    /** Resolves (to this object) once the first frame has been drawn. */
    ready,

    /** Every config field as a plain object (text, d_model, n_heads, causal, seed, ...: see the README). */
    getConfig() {
      need();
      return JSON.parse(UTF8ToString(_ap_get_config()));
    },

    /** Changes some fields: {ok, errors}. With any error nothing changes. */
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
     * without one they give all heads, shape [heads, rows, cols].
     */
    tensor(name, head) {
      need();
      if (typeof name !== 'string') throw new TypeError('tensor(name, head): name must be a string');
      if (head !== undefined && !Number.isInteger(head)) throw new TypeError('tensor(name, head): head must be an integer');
      const r = callWithString(_ap_tensor, name, head === undefined ? -1 : head);
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

    /** Brings a panel to the front: 'heads', 'compare', 'pipeline', 'tensors', 'masks', 'scaling', 'sizes' or 'memory'. */
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

    /** Where the heatmaps are drawn, in CSS pixels relative to the canvas. */
    layout() {
      need();
      const r = JSON.parse(UTF8ToString(_ap_layout()));
      const s = window.devicePixelRatio || 1;
      r.heatmaps = r.heatmaps.map((m) => ({ head: m.head, focus: m.focus, x: m.x / s, y: m.y / s, w: m.w / s, h: m.h / s }));
      return r;
    },
  };
})();
