'use strict';
// Starts code-server 4.100.3 (installed by scripts/install-code-server.sh) with our .vsix in a
// throw-away extensions and user-data folder, and a headless Debian chromium on it.
const { ROOT } = require('../../helpers/build');
const { spawn, execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { promisify } = require('node:util');
const { freePort, waitForPort } = require('../../helpers/ports');

const CODE_SERVER_DIR = process.env.PERF_LENS_CODE_SERVER_DIR || path.join(ROOT, '.cache', 'code-server');
const ENTRY = path.join(CODE_SERVER_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const CHROMIUM = process.env.PERF_LENS_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];

const USER_SETTINGS = {
  // Restricted Mode would hide the extension.
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'terminal.integrated.enablePersistentSessions': false,
  // No "your app is available on port …" toasts over the screenshots.
  'remote.autoForwardPorts': false,
  'workbench.colorTheme': 'Default Dark Modern',
  'editor.minimap.enabled': false,
  // Long demo lines stay in view beside the side bar and the charts, without horizontal scrolling.
  'editor.wordWrap': 'on',
  // The hover below its line leaves the code above it in view.
  'editor.hover.above': false,
  'chat.commandCenter.enabled': false,
  'typescript.disableAutomaticTypeAcquisition': true,
};

/** Why the e2e tests cannot run here, or null when they can. */
function missingPrerequisite(vsix) {
  if (!fs.existsSync(ENTRY)) return `code-server is not installed: run \`bash scripts/install-code-server.sh\` (looked in ${CODE_SERVER_DIR})`;
  if (!fs.existsSync(CHROMIUM)) return `${CHROMIUM} is missing: scripts/install-code-server.sh installs Debian's chromium`;
  if (!fs.existsSync(vsix)) return `${vsix} is missing: run \`npm run package\` first`;
  return null;
}

/**
 * Temp folders for one run (the caller removes `base`): extensions, user data with our user
 * settings plus `settings`, and an empty workspace folder to fill.
 */
function makeDirs(settings = {}) {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-e2e-'));
  const dirs = { base, extensions: path.join(base, 'extensions'), userData: path.join(base, 'user-data'), workspace: path.join(base, 'workspace') };
  fs.mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  fs.mkdirSync(dirs.extensions);
  fs.mkdirSync(dirs.workspace);
  fs.writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), JSON.stringify({ ...USER_SETTINGS, ...settings }, null, 2));
  return dirs;
}

function baseArgs(dirs) {
  return ['--extensions-dir', dirs.extensions, '--user-data-dir', dirs.userData, '--disable-telemetry', '--disable-update-check'];
}

async function installExtension(dirs, vsix) {
  const { stdout } = await promisify(execFile)(process.execPath, [ENTRY, ...baseArgs(dirs), '--install-extension', vsix], { timeout: 120_000 });
  return stdout;
}

/**
 * Starts code-server on 127.0.0.1 in its own process group, so stop() ends it with everything
 * it started (extension host, pty host, the shells and apps in its terminals).
 */
async function startCodeServer(dirs) {
  const port = await freePort();
  const log = [];
  const child = spawn(
    process.execPath,
    [ENTRY, ...baseArgs(dirs), '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-workspace-trust', '--disable-getting-started-override', dirs.workspace],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SHELL: process.env.SHELL || '/bin/bash' } },
  );
  child.stdout.on('data', (d) => log.push(String(d)));
  child.stderr.on('data', (d) => log.push(String(d)));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await Promise.race([
    waitForPort(port, 60_000),
    exited.then((code) => {
      throw new Error(`code-server exited with ${code} before listening:\n${log.join('')}`);
    }),
  ]);
  return { url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(dirs.workspace)}`, child, exited, log };
}

async function stopCodeServer(server) {
  if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
  try {
    process.kill(-server.child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-server.child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }, 5000);
  await server.exited;
  clearTimeout(timer);
}

async function launchBrowser() {
  const { chromium } = require('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

module.exports = { ROOT, missingPrerequisite, makeDirs, installExtension, startCodeServer, stopCodeServer, launchBrowser };
