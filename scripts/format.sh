#!/usr/bin/env bash
# Formats the project's C++ with .clang-format (clang-format-14 from Debian).
#   scripts/format.sh          rewrites every file in place
#   scripts/format.sh --check  changes nothing; lists the files that differ and fails
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
clang_format=$(command -v clang-format-14 || command -v clang-format || true)
[ -n "$clang_format" ] || { echo "format: clang-format-14 is missing (scripts/setup.sh installs it)" >&2; exit 1; }
mapfile -t files < <(find core web tests -name '*.cpp' -o -name '*.h' | grep -v '/node_modules/' | sort)
if [ "${1:-}" = "--check" ]; then
  bad=()
  for f in "${files[@]}"; do
    "$clang_format" --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
  done
  if [ ${#bad[@]} -gt 0 ]; then
    echo "format: ${#bad[@]} file(s) differ from .clang-format; run scripts/format.sh:" >&2
    printf '  %s\n' "${bad[@]}" >&2
    exit 1
  fi
  echo "format: ${#files[@]} files follow .clang-format"
else
  "$clang_format" -i "${files[@]}"
fi
