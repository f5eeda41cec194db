#!/usr/bin/env bash
# Installs code-server 4.100.3 into .cache/code-server/ for the end-to-end tests, using only the
# npm registry and Debian packages: its own postinstall downloads ripgrep from GitHub, which is
# not reachable here (FIELD-NOTES "code-server 4.100.3 on Node 20"). Also installs Debian's
# chromium, which the tests drive through playwright-core.
# Runs as root on Debian 12 with Node 20. Skipped when a complete install is already there.
# Usage: bash scripts/install-code-server.sh   (PERF_LENS_CODE_SERVER_DIR overrides the folder)
set -euo pipefail

VERSION=4.100.3
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${PERF_LENS_CODE_SERVER_DIR:-$ROOT/.cache/code-server}"
CS="$DEST/node_modules/code-server"
VSCODE="$CS/lib/vscode"
DONE_MARK="$DEST/.installed-$VERSION"

log() { printf '[install-code-server] %s\n' "$*"; }

case "$(node -p 'process.versions.node.split(".")[0]')" in
  20) ;;
  *) log "warning: code-server $VERSION is built for Node 20; found $(node -v)" ;;
esac

# Debian packages: ripgrep replaces the GitHub download; the -dev packages let the native
# modules (kerberos, @vscode/spdlog, node-pty, native-watchdog …) compile; chromium for the tests.
# Checked on every run (fast when all are there).
APT_PACKAGES=(ripgrep libkrb5-dev libxkbfile-dev libsecret-1-dev libx11-dev pkg-config
  build-essential python3 chromium)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ -f "$DONE_MARK" ]; then
  log "code-server $VERSION already installed in $DEST"
  exit 0
fi

mkdir -p "$DEST"
# A package.json of its own: without it npm walks up and installs into the project's node_modules.
[ -f "$DEST/package.json" ] || echo '{ "private": true, "description": "code-server for the Perf Lens e2e tests" }' > "$DEST/package.json"

# prefer-offline: a re-install takes what npm's cache holds without asking the registry;
# yes: node-pty's install script runs `npx node-gyp`, which would otherwise wait for a "y".
export npm_config_unsafe_perm=true npm_config_audit=false npm_config_fund=false \
  npm_config_update_notifier=false npm_config_loglevel=error npm_config_prefer_offline=true \
  npm_config_yes=true

# 1. code-server itself, without its postinstall (which would download ripgrep).
if [ ! -f "$CS/package.json" ] || [ "$(node -p "require('$CS/package.json').version")" != "$VERSION" ]; then
  log "1/6 npm i code-server@$VERSION"
  (cd "$DEST" && npm i --ignore-scripts "code-server@$VERSION")
fi

# 2. VS Code's own runtime dependencies, at the versions of its npm-shrinkwrap.json.
log "2/6 lib/vscode dependencies"
(cd "$VSCODE" && npm i --omit=dev --ignore-scripts)

# 3. ripgrep from Debian in place of @vscode/ripgrep's download.
log "3/6 ripgrep"
mkdir -p "$VSCODE/node_modules/@vscode/ripgrep/bin"
cp /usr/bin/rg "$VSCODE/node_modules/@vscode/ripgrep/bin/rg"

# 4. Native modules, compiled against this Node (lib/vscode's package.json lists them).
log "4/6 npm rebuild of the native modules"
natives=$(cd "$VSCODE" && node -e '
  const fs = require("fs"), path = require("path");
  const deps = Object.keys(require("./package.json").dependencies || {});
  console.log(deps.filter((d) => fs.existsSync(path.join("node_modules", d, "binding.gyp"))).join(" "));')
log "    $natives"
# shellcheck disable=SC2086
(cd "$VSCODE" && npm rebuild $natives)

# 5. VS Code looks its modules up through node_modules.asar; the terminal's `code` command and
#    the browser helper are links that code-server's postinstall would make.
log "5/6 node_modules.asar and bin links"
ln -sfn node_modules "$VSCODE/node_modules.asar"
ln -sfn code-linux.sh "$VSCODE/bin/remote-cli/code-server"
ln -sfn browser-linux.sh "$VSCODE/bin/helpers/browser.sh"

# 6. The built-in extensions' dependencies, and code-server's own argon2.
log "6/6 built-in extensions and argon2"
(cd "$VSCODE/extensions" && npm i --omit=dev --ignore-scripts)
(cd "$DEST" && npm rebuild argon2)

# A quick proof that it runs before it is marked as installed.
node "$CS/out/node/entry.js" --version >/dev/null
touch "$DONE_MARK"
log "installed code-server $VERSION in $DEST ($(du -sh "$DEST" | cut -f1))"
