// Offline support for the static build: network first (so a new build is
// picked up at once), and the copy cached on this device when the network
// fails. Registered by loader.js on http(s) pages.
const CACHE = 'attention-playground';
const FILES = ['./', 'index.html', 'playground.js', 'playground.wasm'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  // Model files (a hub laid out on this site) have their own cache, filled range by range by hub.js.
  if (request.headers.has('Range') || request.url.includes('/resolve/')) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      })
      .catch(() => caches.match(request, { ignoreSearch: true }).then((hit) => hit || Response.error())),
  );
});
