// Page start-up, linked with --pre-js so it runs at the top of playground.js:
// checks what the browser can do, downloads the .wasm with a progress bar, and
// turns any failure into a plain message on the page instead of a blank canvas.
// The threaded build's workers run this file too (they import the build's
// script): there is no page in them, and nothing here for them to do.
(function () {
  if (typeof document === 'undefined') return;
  // Which build start.js chose (a page that loads a build itself gets the single-threaded one's defaults).
  const runtime = window.apRuntime || { threaded: false, isolated: false, threads: 1, reason: '' };
  // The threaded build's pthread pool (-sPTHREAD_POOL_SIZE=Module.apHelpers): the helpers beside the main
  // thread, at least one (Emscripten 3.1.6 never starts main with a pool of 0; start.js asks for 2 threads or more).
  Module.apHelpers = Math.max(1, runtime.threads - 1);
  const overlay = document.getElementById('overlay');
  const message = document.getElementById('message');
  const progress = document.getElementById('progress');
  let failed = false;

  function show(text) { if (message) message.textContent = text; }  // textContent: never parsed as HTML
  function fail(text, recoverable) {
    if (failed) return;
    failed = true;
    if (overlay) { overlay.classList.add('error'); overlay.hidden = false; }
    if (progress) progress.hidden = true;
    show(text);
    if (recoverable && overlay) {
      // The saved state may be what crashed it: start again from the defaults.
      const button = document.createElement('button');
      button.id = 'reset';
      button.textContent = 'Start again with the default settings';
      button.addEventListener('click', () => {
        try { localStorage.removeItem('attention-playground:last'); } catch (e) { /* storage off */ }
        location.replace(location.pathname + location.search);
      });
      overlay.appendChild(button);
    }
    if (Module.apLoadFailed) Module.apLoadFailed(text);
  }
  Module.apFatal = fail;
  // A trap or an out-of-memory abort inside the running module: say so, offer a way back.
  const crashed = (what) => fail('The playground stopped: its WebAssembly code crashed (' + what + '). Your settings may have asked for more than ' +
                                 'this browser could give.', true);
  window.addEventListener('error', (e) => {
    if (e.error instanceof WebAssembly.RuntimeError || /abort|out of memory/i.test(String(e.message))) {
      crashed(String(e.error ? e.error.message : e.message));
      e.preventDefault();
    }
  });
  window.addEventListener('unhandledrejection', (e) => {
    if (e.reason instanceof WebAssembly.RuntimeError) { crashed(String(e.reason.message)); e.preventDefault(); }
  });

  // A module whose one function uses i8x16.splat: valid only with SIMD128.
  const simdProbe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253, 15, 11]);
  if (typeof WebAssembly !== 'object') {
    fail('This browser cannot run WebAssembly, which the playground needs. Try a current Chrome, Firefox, Safari or Edge.');
    throw new Error('no WebAssembly');
  }
  if (!WebAssembly.validate(simdProbe)) {
    fail('This browser runs WebAssembly without SIMD, which the playground is built for. Please update the browser.');
    throw new Error('no WebAssembly SIMD');
  }
  if (!document.createElement('canvas').getContext('webgl2')) {
    fail('This browser has WebGL2 turned off or unavailable, and the heatmaps are drawn with it. ' +
         'Check that hardware acceleration is enabled, or try another browser.');
    throw new Error('no WebGL2');
  }

  Module.canvas = document.getElementById('canvas');
  Module.canvas.addEventListener('contextmenu', (e) => e.preventDefault());
  Module.onAbort = (what) => crashed(String(what));

  // Downloads the .wasm while counting bytes, so the bar shows real progress.
  async function fetchWithProgress(url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(url + ': HTTP ' + response.status);
    const total = Number(response.headers.get('Content-Length')) || 0;
    if (!response.body || !total) return new Uint8Array(await response.arrayBuffer());
    const reader = response.body.getReader();
    const chunks = [];
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      if (progress) progress.value = Math.min(1, received / total);
      show('Loading… ' + (received / 1048576).toFixed(1) + ' of ' + (total / 1048576).toFixed(1) + ' MB');
    }
    const bytes = new Uint8Array(received);
    let offset = 0;
    for (const c of chunks) { bytes.set(c, offset); offset += c.length; }
    return bytes;
  }

  Module.instantiateWasm = (imports, done) => {
    fetchWithProgress(runtime.threaded ? 'playground-threads.wasm' : 'playground.wasm')
      .then((bytes) => { show('Starting…'); return WebAssembly.instantiate(bytes, imports); })
      .then((result) => done(result.instance, result.module))
      .catch((e) => fail('The playground could not be loaded: ' + e.message +
                         '. Check the connection and reload; if it persists, the files on the server may be incomplete.'));
    return {};  // filled in asynchronously
  };
  // Offline support: the service worker keeps a copy of the three files (not on file://).
  if ('serviceWorker' in navigator && /^https?:$/.test(location.protocol))
    navigator.serviceWorker.register('sw.js').catch(() => { /* no offline copy; the page still works */ });
  Module.apFirstFrame = null;  // set by api.js
  Module.postRun = [() => { if (!failed && overlay) overlay.hidden = true; }];
})();
