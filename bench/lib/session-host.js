'use strict';
// A real SessionServer + SessionStore from dist/core.js doing what `perf-lens run` does with
// every message (validate, ingest into per-process sessions), minus writing files.
const path = require('node:path');
const { EventEmitter } = require('node:events');

/**
 * @param {string} corePath  dist/core.js
 * @returns {Promise<EventEmitter & { url: string, token: string, close(): Promise<void> }>}
 *   emits 'hello' (pid) and 'disconnect' ({ pid, messages, framesDropped })
 */
async function startSessionHost(corePath) {
  const core = require(path.resolve(corePath));
  const server = new core.SessionServer();
  const store = new core.SessionStore();
  const events = new EventEmitter();
  server.on('message', (msg) => {
    if (msg.type === 'result') return;
    store.ingest(msg);
    if (msg.type === 'hello') events.emit('hello', msg.pid);
  });
  server.on('disconnect', (conn) => {
    if (conn.pid !== null) store.disconnected(conn.pid, Date.now());
    events.emit('disconnect', { pid: conn.pid, messages: conn.messages, framesDropped: conn.framesDropped });
  });
  const url = await server.listen();
  return Object.assign(events, { url, token: server.token, close: () => server.close() });
}

module.exports = { startSessionHost };
