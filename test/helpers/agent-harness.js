// Runs real Node apps with dist/agent.js preloaded (through NODE_OPTIONS, as the CLI does)
// against a real SessionServer from dist/core.js, and collects what the server received.
const { ROOT, CORE, CLI, AGENT } = require('./build');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { spawn } = require('node:child_process');

const root = ROOT;
const agentPath = AGENT;
const corePath = CORE;

function core() {
  return require(corePath);
}

/** A SessionServer that records every message it receives. */
async function startServer(options = {}) {
  const { SessionServer } = core();
  const server = new SessionServer(options);
  const url = await server.listen();
  const messages = [];
  const waiters = [];
  server.on('message', (msg) => {
    messages.push(msg);
    for (const w of [...waiters]) {
      if (w.predicate(messages)) {
        waiters.splice(waiters.indexOf(w), 1);
        clearTimeout(w.timer);
        w.resolve(messages);
      }
    }
  });
  /** Resolves once predicate(messages) holds; rejects with what arrived after timeoutMs. */
  function waitFor(predicate, timeoutMs = 15000, what = 'messages') {
    if (predicate(messages)) return Promise.resolve(messages);
    return new Promise((resolve, reject) => {
      const w = { predicate, resolve };
      w.timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(new Error(`timed out waiting for ${what}; got ${summary(messages)}`));
      }, timeoutMs);
      waiters.push(w);
    });
  }
  return { server, url, token: server.token, messages, waitFor, close: () => server.close() };
}

function summary(messages) {
  const counts = {};
  for (const m of messages) counts[m.type] = (counts[m.type] || 0) + 1;
  return JSON.stringify(counts);
}

const tmpDirs = [];
/** Writes an app's source to a temp file (extension decides CommonJS or ESM). */
function writeApp(source, ext = '.js') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-agent-'));
  tmpDirs.push(dir);
  const file = path.join(dir, `app${ext}`);
  fs.writeFileSync(file, source);
  return file;
}

function cleanupTmp() {
  for (const dir of tmpDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Starts `node <file>` with the agent preloaded. Returns the child and a promise of
 * { code, signal, stdout, stderr } that resolves when it exits (or is killed after timeoutMs).
 */
function launch(node, file, { url, token, options, env = {}, args = [], nodeArgs = [], timeoutMs = 30000, agent = true } = {}) {
  const childEnv = { ...process.env, ...env };
  delete childEnv.NODE_OPTIONS;
  delete childEnv.PERF_LENS_URL;
  delete childEnv.PERF_LENS_TOKEN;
  delete childEnv.PERF_LENS_OPTIONS;
  if (agent) childEnv.NODE_OPTIONS = `--require ${agentPath}`;
  if (url) childEnv.PERF_LENS_URL = url;
  if (token) childEnv.PERF_LENS_TOKEN = token;
  if (options) childEnv.PERF_LENS_OPTIONS = typeof options === 'string' ? options : JSON.stringify(options);
  Object.assign(childEnv, env);
  const child = spawn(node, [...nodeArgs, file, ...args], { env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const exited = new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
  /** Resolves when the app printed `text` on stdout. */
  const printed = (text, ms = 15000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        if (stdout.includes(text)) {
          clearInterval(poll);
          clearTimeout(limit);
          resolve(stdout);
        }
      };
      const poll = setInterval(check, 20);
      const limit = setTimeout(() => {
        clearInterval(poll);
        reject(new Error(`app did not print ${JSON.stringify(text)}; stdout: ${stdout} stderr: ${stderr}`));
      }, ms);
      check();
    });
  return { child, exited, printed, stdout: () => stdout };
}

/** A free TCP port on 127.0.0.1 that nothing listens on (for a server that is not there). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const byType = (messages, type, pid) => messages.filter((m) => m.type === type && (pid === undefined || m.pid === pid));

/**
 * The requests the agent reported, in time order: its `http` messages (requests that ran
 * queries) and the ones its `httpSummary` messages stand for, as the session store sees them.
 */
function requestsOf(messages, pid) {
  const { expandHttpSummary } = core();
  const out = [...byType(messages, 'http', pid)];
  for (const m of byType(messages, 'httpSummary', pid)) out.push(...expandHttpSummary(m));
  return out.sort((a, b) => a.t - b.t);
}

/** The GCs of `pid` (or every process) in time order: each `gc` message and those its `gcSummary`s stand for. */
function gcsOf(messages, pid) {
  const { expandGcSummary } = core();
  const out = [...byType(messages, 'gc', pid)];
  for (const m of byType(messages, 'gcSummary', pid)) out.push(...expandGcSummary(m));
  return out.sort((a, b) => a.t - b.t);
}

module.exports = { agentPath, corePath, startServer, writeApp, cleanupTmp, launch, freePort, byType, requestsOf, gcsOf, summary };
