'use strict';
// Shared plumbing of the real-database helpers (postgres.js, mariadb.js): a temp dir that the
// server's OS user owns, running its binaries as that user when we are root, and a server
// process that cannot outlive the test process (a watchdog cleans up if the test dies).
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** uid/gid of an OS user, or null when it does not exist. */
function osUser(name) {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
    return { name, uid, gid };
  } catch {
    return null;
  }
}

/** A fresh dir under the OS temp dir, owned by `owner` ({uid,gid}) when given and we are root. */
function makeTempDir(prefix, owner) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `perf-lens-${prefix}-`));
  if (owner && isRoot) fs.chownSync(dir, owner.uid, owner.gid);
  return dir;
}

function removeDir(dir) {
  if (dir && path.basename(dir).startsWith('perf-lens-')) fs.rmSync(dir, { recursive: true, force: true });
}

/** Options that make a child run as `owner` when we are root (node drops supplementary groups). */
function asUser(owner) {
  return owner && isRoot ? { uid: owner.uid, gid: owner.gid } : {};
}

/** Runs a set-up binary to completion as `owner`; throws with its output when it fails. */
function runAs(owner, cmd, args, options = {}) {
  const res = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000, ...options, ...asUser(owner) });
  if (res.error) throw new Error(`${path.basename(cmd)} could not run: ${res.error.message}`);
  if (res.status !== 0) {
    const out = `${res.stdout || ''}${res.stderr || ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${path.basename(cmd)} failed (exit ${res.status}):\n${out}`);
  }
  return res.stdout;
}

/**
 * Starts a long-running server as `owner`, its output going to `logFile`. A detached `sh`
 * watchdog reads a pipe from this process: when the test process dies (even by SIGKILL) the
 * pipe closes, and the watchdog sends `stopSignal`, then SIGKILL after 10 s, and removes `dir`.
 * Both children are unref'd so a forgotten stop() cannot keep the test process alive.
 */
function spawnServer({ owner, cmd, args, logFile, dir, stopSignal, cwd }) {
  const log = fs.openSync(logFile, 'a');
  if (owner && isRoot) fs.fchownSync(log, owner.uid, owner.gid);
  const child = spawn(cmd, args, { stdio: ['ignore', log, log], cwd: cwd || dir, ...asUser(owner) });
  fs.closeSync(log);
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => resolve({ code: null, signal: null, error: err }));
  });
  child.unref();

  const script = [
    'cat >/dev/null',
    'kill -s "$2" "$1" 2>/dev/null',
    'i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done',
    'kill -s KILL "$1" 2>/dev/null',
    'rm -rf "$3"',
  ].join('\n');
  const watchdog = spawn('sh', ['-c', script, 'perf-lens-watchdog', String(child.pid), stopSignal.replace(/^SIG/, ''), dir], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  watchdog.unref();
  /** @type {import('node:net').Socket} */ (/** @type {unknown} */ (watchdog.stdin)).unref();
  watchdog.stdin.on('error', () => {});

  let stopping = null;
  /**
   * Stops the server (stopSignal, then SIGKILL after timeoutMs), removes `dir` unless keepDir
   * (a retry on another port reuses it), and ends the watchdog.
   */
  function stop({ timeoutMs = 15_000, keepDir = false } = {}) {
    if (stopping) return stopping;
    stopping = (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          child.kill(stopSignal);
        } catch {}
        let timer;
        const killed = new Promise((resolve) => {
          timer = setTimeout(() => {
            try {
              child.kill('SIGKILL');
            } catch {}
            resolve();
          }, timeoutMs);
        });
        await Promise.race([exited, killed]);
        clearTimeout(timer);
        await exited;
      }
      if (!keepDir) removeDir(dir);
      try {
        process.kill(watchdog.pid, 'SIGKILL');
      } catch {}
    })();
    return stopping;
  }

  return { child, exited, stop };
}

/** The last lines of a server log, for error messages. */
function logTail(file, lines = 20) {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Retries `fn` every 100 ms until it resolves, the server exits, or timeoutMs passes. */
async function waitUntil(fn, { timeoutMs, exited, what, logFile }) {
  const deadline = Date.now() + timeoutMs;
  let gone = null;
  exited.then((r) => (gone = r));
  let lastErr;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`${what} exited during start-up (code ${gone.code}, signal ${gone.signal}):\n${logTail(logFile)}`);
    try {
      return await fn();
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not accept connections within ${timeoutMs} ms (${lastErr && lastErr.message}):\n${logTail(logFile)}`);
}

module.exports = { isRoot, osUser, makeTempDir, removeDir, runAs, spawnServer, logTail, waitUntil };
