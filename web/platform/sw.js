// The service worker of the static build, registered by loader.js on http(s)
// pages. Two jobs:
// - Cross-origin isolation on any host: every response it serves carries
//   COOP/COEP (and CORP, so that a host that is itself isolated may embed
//   the page), which a static host such as GitHub Pages cannot send. The
//   page it controls is then crossOriginIsolated, and start.js loads the
//   threaded build.
// - Offline use: network first (so a new build is picked up at once), and the
//   copy cached on this device when the network fails. Only the start files
//   are fetched at install; each build is kept as the page fetches it, so a
//   device never downloads the build it does not use.
const CACHE = 'attention-playground';
const FILES = ['./', 'index.html', 'start.js'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

function isolated(response) {
  if (!response || response.type === 'opaque' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  headers.set('Cross-Origin-Resource-Policy', 'cross-origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

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
        return isolated(response);
      })
      .catch(() => caches.match(request, { ignoreSearch: true }).then((hit) => (hit ? isolated(hit) : Response.error()))),
  );
});
