// The page's first script: chooses one build before anything large is
// fetched. Threads need SharedArrayBuffer, which a browser gives only to a
// cross-origin isolated page; the service worker (sw.js) makes the page so
// on any static host by adding the COOP/COEP headers to what it serves, from
// the first reload on. An isolated page loads playground-threads.js (wasm
// pthreads, one worker per core, at most 8 unless ?threads=N asks), any
// other the single-threaded playground.js; window.apRuntime says which and
// why, for the timing line and playground.runtime().
(function () {
  const params = new URLSearchParams(location.search);
  const asked = Number.parseInt(params.get('threads') || '', 10);
  const cores = navigator.hardwareConcurrency || 1;
  const threads = Math.max(1, Math.min(16, Number.isFinite(asked) && asked > 0 ? asked : Math.min(cores, 8)));
  const workerSupport = 'serviceWorker' in navigator && /^https?:$/.test(location.protocol);
  const isolated = self.crossOriginIsolated === true;
  const shared = isolated && typeof SharedArrayBuffer === 'function';
  // The threaded build's memory is shared and may grow to 2 GB: a device that cannot reserve that runs one thread.
  let sharedMemory = false;
  try { sharedMemory = shared && new WebAssembly.Memory({ initial: 1, maximum: 32768, shared: true }) instanceof WebAssembly.Memory; }
  catch (e) { /* not here */ }
  let reason = '';
  if (threads === 1) reason = asked === 1 ? 'the address asks for one thread' : 'this device reports one core';
  else if (sharedMemory) reason = '';
  else if (shared) reason = 'this device cannot reserve shared memory for threads';
  else if (isolated) reason = 'this browser has no SharedArrayBuffer';
  else if (!workerSupport)
    reason = location.protocol === 'file:' ? 'a page opened from a file cannot be cross-origin isolated'
                                           : 'this browser has no service workers to isolate the page';
  else if (!navigator.serviceWorker.controller)
    reason = 'the first visit is not cross-origin isolated: threads start after a reload';
  else if (window.top !== window)
    reason = 'the page that embeds this one is not cross-origin isolated';
  else reason = 'the browser did not isolate the page';
  const threaded = threads > 1 && sharedMemory;
  window.apRuntime = { threaded, isolated, threads: threaded ? threads : 1, cores, reason };

  const script = document.createElement('script');
  script.src = threaded ? 'playground-threads.js' : 'playground.js';
  script.onerror = () => {
    const message = document.getElementById('message'), overlay = document.getElementById('overlay');
    if (overlay) overlay.classList.add('error');
    if (message) message.textContent = `The playground could not be loaded: ${script.src.replace(/^.*\//, '')} did not arrive. ` +
                                       'Check the connection and reload; if it persists, the files on the server may be incomplete.';
  };
  document.body.appendChild(script);
})();
