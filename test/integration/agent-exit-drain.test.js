'use strict';
// A script that ends right after a synchronous burst of 40 000 queries: the agent keeps it
// alive (at most 2 s) until the socket has written every message, so none is lost and the
// bye arrives; the app's own output and exit code are unchanged.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { startServer, launch, byType } = require('../helpers/agent-harness');

const file = path.join(__dirname, '..', 'fixtures', 'capture', 'sync-burst.cjs');
const OPTIONS = { maxQueue: 100000, probes: { memory: false, gc: false, eventLoop: false, cpu: false, http: false, queries: true } };

test('a script ending on a burst of 40 000 queries sends every one of them, then its bye', async (t) => {
  const srv = await startServer();
  t.after(() => srv.close());
  const app = launch(process.execPath, file, { url: srv.url, token: srv.token, options: OPTIONS, timeoutMs: 60_000 });
  const pid = app.child.pid;
  const result = await app.exited;
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, 'found 40000\n');
  await srv.waitFor((ms) => ms.some((m) => m.type === 'bye' && m.pid === pid), 15_000, `bye from ${pid}`);
  const burst = byType(srv.messages, 'query', pid).filter((q) => q.text === 'SELECT name FROM t WHERE id = ?');
  assert.equal(burst.length, 40000);
  assert.equal(byType(srv.messages, 'dropped', pid).length, 0);
});
