'use strict';
// The demo app (demo/app.js over better-sqlite3) in a throw-away workspace, so the e2e tests
// profile the very file a user would, at its own line numbers: copies of demo/*.js under
// <workspace>/demo and a link to the repo's node_modules for better-sqlite3.
const { ROOT } = require('../../helpers/build');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { waitForPort } = require('../../helpers/ports');

const DEMO_FILES = ['app.js', 'cache.js', 'db.js', 'load.js'];
/** The comment that marks the N+1 line in demo/app.js. */
const N_PLUS_ONE_MARK = '// N+1: one query per post';

/** Copies the demo into `workspace`; returns the app's path and the N+1 line (1-based). */
function copyDemo(workspace) {
  const dir = path.join(workspace, 'demo');
  fs.mkdirSync(dir, { recursive: true });
  for (const f of DEMO_FILES) fs.copyFileSync(path.join(ROOT, 'demo', f), path.join(dir, f));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(workspace, 'node_modules'), 'dir');
  const app = path.join(dir, 'app.js');
  const lines = fs.readFileSync(app, 'utf8').split('\n');
  const index = lines.findIndex((l) => l.includes(N_PLUS_ONE_MARK));
  if (index < 0) throw new Error(`demo/app.js has no line marked "${N_PLUS_ONE_MARK}"`);
  return { dir, app, load: path.join(dir, 'load.js'), nPlusOneLine: index + 1 };
}

/** An environment without anything that would load an agent or point at another session. */
function cleanEnv(extra) {
  const env = { ...process.env, ...extra };
  for (const k of Object.keys(env)) if (k === 'NODE_OPTIONS' || k.startsWith('PERF_LENS_')) delete env[k];
  return { ...env, ...extra };
}

/**
 * One pass of demo/load.js (280 requests, 30 of them to the N+1 route) against `base`.
 * Resolves with its summary line; rejects with its output when it fails or hangs.
 */
function runLoad(loadScript, base, timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [loadScript], { env: cleanEnv({ PERF_LENS_URL_BASE: base }), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out.trim());
      else reject(new Error(`demo/load.js against ${base} ended with ${signal ?? code}:\n${out}`));
    });
  });
}

/**
 * The demo started outside VS Code, as a user would in their own shell: `node demo/app.js`
 * in the workspace, listening on `port`. stop() ends it (SIGKILL after 5 s).
 */
async function startDemo(workspace, port) {
  const child = spawn(process.execPath, ['demo/app.js'], { cwd: workspace, env: cleanEnv({ PORT: String(port) }), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await Promise.race([
      waitForPort(port, 30_000),
      exited.then((code) => {
        throw new Error(`the demo exited with ${code} before listening:\n${out}`);
      }),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { child, pid: child.pid, stop, output: () => out };
}

module.exports = { copyDemo, runLoad, startDemo, N_PLUS_ONE_MARK };
