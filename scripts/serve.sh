#!/usr/bin/env bash
# Builds the web app and serves it on this machine, with the headers that make
# the page cross-origin isolated (so it runs the threaded build from the first
# visit; on a host that cannot send them the service worker adds them from the
# first reload on):
#   scripts/serve.sh            -> http://localhost:6931/ (no browser is opened)
#   PORT=8080 scripts/serve.sh  -> another port
# The static folder it serves, build/wasm/web, can be copied to any web host.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
"$root/scripts/setup.sh"
export NODE_PATH=/usr/share/nodejs  # Debian's em++ needs Node to find acorn
cmake --preset wasm >/dev/null
cmake --build --preset wasm --target playground playground_threads
port=${PORT:-6931}
echo
echo "Attention Playground: http://localhost:$port/   (static folder: build/wasm/web; Ctrl+C stops)"
# Python's own static server, with COOP/COEP (and CORP, so an isolated page may embed this one).
exec python3 - "$port" build/wasm/web <<'PY'
import functools, http.server, sys

class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      '.wasm': 'application/wasm', '.js': 'text/javascript'}

    def end_headers(self):
        self.send_header('Cross-Origin-Opener-Policy', 'same-origin')
        self.send_header('Cross-Origin-Embedder-Policy', 'require-corp')
        self.send_header('Cross-Origin-Resource-Policy', 'cross-origin')
        self.send_header('Cache-Control', 'no-cache')
        super().end_headers()

handler = functools.partial(Handler, directory=sys.argv[2])
http.server.ThreadingHTTPServer(('localhost', int(sys.argv[1])), handler).serve_forever()
PY
