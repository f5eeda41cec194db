'use strict';
// A real SessionServer + SessionStore from dist/core.js doing what `perf-lens run` does with
// every message (validate, ingest into per-process sessions, source-mapped), minus writing files.
const path = require('node:path');
const { EventEmitter } = require('node:events');

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

module.exports = { startSessionHost };
