'use strict';
// The held-connection detector: a transaction's idle span (no query of its own between BEGIN
// and COMMIT) is a finding only when other requests waited for a pooled connection during it.
const { CORE } = require('../../../helpers/build');
const { test } = require('node:test');
const assert = require('node:assert/strict');

const { detectQueryFindings } = require(CORE);

const FILE = '/app/src/services/orders.js';
const T0 = 1_700_000_000_000;

const query = (t, text, { scope, conn, line, durationMs = 2, poolWaitMs, poolMax = 2 }) => ({
  type: 'query', pid: 9, t: T0 + t, durationMs, db: 'postgres', text, scope, callsite: { file: FILE, line, column: 5 }, error: false,
  ...(conn !== undefined && { conn }), ...(poolWaitMs !== undefined && { poolWaitMs }), poolMax,
});

/** A request that locks a row, idles `idleMs` inside the transaction, then updates and commits. */
function transaction(id, start, idleMs) {
  const scope = { id: `ship-${id}`, name: 'POST /orders/:id/ship' };
  return [
    query(start, 'BEGIN', { scope, conn: 1, line: 10 }),
    query(start + 3, 'SELECT * FROM orders WHERE id = $1 FOR UPDATE', { scope, conn: 1, line: 11 }),
    query(start + 5 + idleMs, 'UPDATE orders SET shipped = true WHERE id = $1', { scope, conn: 1, line: 13 }),
    query(start + 8 + idleMs, 'COMMIT', { scope, conn: 1, line: 14 }),
  ];
}

const detect = (queries, opts = {}) => detectQueryFindings(9, queries, { readSource: () => undefined, ...opts }).filter((f) => f.kind === 'held-connection');

test('an idle transaction while others wait for a connection is a finding on the query before the idle span', () => {
  const waiting = [40, 60, 80].map((t, i) => query(t, 'SELECT 1', { scope: { id: `r${i}`, name: 'GET /status' }, line: 30, poolWaitMs: 30 }));
  const [f, ...rest] = detect([...transaction(1, 0, 100), ...waiting]);
  assert.equal(rest.length, 0);
  assert.deepEqual(f.location, { file: FILE, line: 11, column: 5 });
  assert.deepEqual([f.data.scope, f.data.idleP95Ms, f.data.holds, f.data.waitingQueries, f.data.waitedMs, f.data.poolMax], ['POST /orders/:id/ship', 100, 1, 3, 90, 2]);
  assert.match(f.message, /stays open 100 ms \(p95 of 1\) after this query with no query of its own, holding one of the pool's 2 connections while 3 queries of other requests waited for one \(90\.0 ms in all\)/);
});

test('no waits during the idle span, a short idle span, or queries outside a transaction: no finding', () => {
  const laterWait = query(500, 'SELECT 1', { scope: { id: 'r', name: 'GET /status' }, line: 30, poolWaitMs: 20 });
  assert.deepEqual(detect([...transaction(1, 0, 100), laterWait]), [], 'the wait came after the transaction');
  const during = query(60, 'SELECT 1', { scope: { id: 'r', name: 'GET /status' }, line: 30, poolWaitMs: 30 });
  assert.deepEqual(detect([...transaction(1, 0, 30), during]), [], 'idle 30 ms < 50 ms');
  const noTx = transaction(1, 0, 100).filter((q) => q.text !== 'BEGIN' && q.text !== 'COMMIT');
  assert.deepEqual(detect([...noTx, during]), [], 'no BEGIN: no transaction');
  assert.equal(detect([...transaction(1, 0, 30), during], { heldConnectionMs: 20 }).length, 1, 'the threshold is a setting');
});
