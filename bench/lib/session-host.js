'use strict';
// A real SessionServer + SessionStore from dist/core.js doing what `perf-lens run` does with
// every message (validate, ingest into per-process sessions, source-mapped), minus writing files.
const path = require('node:path');
const { EventEmitter } = require('node:events');
const { spawn } = require('node:child_process');
const { onJsonLines, nodeCommand } = require('./procs');

/**
 * @param {string} corePath  dist/core.js
 * @returns {Promise<EventEmitter & { url: string, token: string, close(): Promise<void> }>}
 *   emits 'hello' (pid) and 'disconnect' ({ pid, messages, framesDropped, types: {type: count} })
 */
async function startSessionHost(corePath) {
  const core = require(path.resolve(corePath));
  const server = new core.SessionServer();
  const store = core.createSessionStore();
  const events = new EventEmitter();
  const types = new Map(); // pid → { type: count }: what the agent's traffic is made of
  server.on('message', (msg) => {
    const t = types.get(msg.pid) || {};
    t[msg.type] = (t[msg.type] || 0) + 1;
    types.set(msg.pid, t);
  });
  core.connectSessionServer(server, store, {
    onMessage: (msg) => {
      if (msg.type === 'hello') events.emit('hello', msg.pid);
    },
    onDisconnect: (conn) => {
      events.emit('disconnect', { pid: conn.pid, messages: conn.messages, framesDropped: conn.framesDropped, types: types.get(conn.pid) || {} });
      types.delete(conn.pid);
    },
  });
  const url = await server.listen();
  return Object.assign(events, { url, token: server.token, close: () => server.close() });
}

/** The session server in its own process; same events as startSessionHost. */
async function startHostProcess(corePath, nice, cpus) {
  const [cmd, args] = nodeCommand([path.join(__dirname, 'session-host-process.js'), corePath], cpus);
  // `nice` and taskset exec in place, so the pid stays the server's.
  const child = nice
    ? spawn('nice', ['-n', String(nice), cmd, ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
    : spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const events = new EventEmitter();
  const ready = new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the session host exited (code ${code})`)));
    onJsonLines(child.stdout, (o) => {
      if (o.url) resolve(o);
      if (o.hello) events.emit('hello', o.hello);
      if (o.disconnect) events.emit('disconnect', o.disconnect);
    });
  });
  const { url, token } = await ready;
  const close = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.stdin.end();
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
  return Object.assign(events, { url, token, pid: child.pid, close });
}

/** Resolves when `host` emits `event` for `pid` (or null after timeoutMs). */
function waitForPid(host, event, pid, timeoutMs) {
  return new Promise((resolve) => {
    const onEvent = (value) => {
      const p = typeof value === 'number' ? value : value.pid;
      if (p !== pid) return;
      clearTimeout(timer);
      host.off(event, onEvent);
      resolve(value);
    };
    const timer = setTimeout(() => {
      host.off(event, onEvent);
      resolve(null);
    }, timeoutMs);
    host.on(event, onEvent);
  });
}

module.exports = { startSessionHost, startHostProcess, waitForPid };

