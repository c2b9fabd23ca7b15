#!/usr/bin/env bash
# Builds the web app and serves it with emrun on this machine:
#   scripts/serve.sh            -> http://localhost:6931/ (no browser is opened)
#   PORT=8080 scripts/serve.sh  -> another port
# The static folder it serves, build/wasm/web, can be copied to any web host.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
"$root/scripts/setup.sh"
export NODE_PATH=/usr/share/nodejs  # Debian's em++ needs Node to find acorn
cmake --preset wasm >/dev/null
cmake --build --preset wasm --target playground
port=${PORT:-6931}
echo
echo "Attention Playground: http://localhost:$port/   (static folder: build/wasm/web; Ctrl+C stops)"
exec emrun --no_browser --no_emrun_detect --hostname localhost --port "$port" build/wasm/web/index.html
