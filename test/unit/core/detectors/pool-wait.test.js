'use strict';
// The pool-wait detector: per route, the p95 of its queries' waits for a pooled connection,
// the median share of request time spent waiting, one finding on the line that waited longest.
const { CORE } = require('../../../helpers/build');
const { test } = require('node:test');
const assert = require('node:assert/strict');

const { detectQueryFindings } = require(CORE);

const FILE = '/app/src/services/report.js';
const T0 = 1_700_000_000_000;

/** `n` requests of `route`, each with queries [line, waitMs] one after another, lasting `durationMs`. */
function requests(route, n, queries, durationMs, poolMax = 2) {
  const out = [];
  const durations = new Map();
  for (let r = 0; r < n; r++) {
    const scope = { id: `${route}-${r}`, name: route };
    durations.set(scope.id, durationMs);
    queries.forEach(([line, wait], i) => {
      out.push({
        type: 'query', pid: 7, t: T0 + r * 1000 + i * 30, durationMs: 2, db: 'postgres', text: `SELECT ${line} FROM t WHERE id = $1`,
        scope, callsite: { file: FILE, line, column: 3 }, error: false, poolWaitMs: wait, ...(poolMax && { poolMax }),
      });
    });
  }
  return { queries: out, durations };
}

const detect = (queries, durations, opts = {}) =>
  detectQueryFindings(7, queries, { readSource: () => undefined, scopeDurations: durations, ...opts }).filter((f) => f.kind === 'pool-wait');

test('a route whose queries wait 10 ms or more (p95) for a connection is a warning on the line that waited longest', () => {
  const { queries, durations } = requests('GET /report', 20, [[10, 4], [11, 12], [12, 1]], 200);
  const [f, ...rest] = detect(queries, durations);
  assert.equal(rest.length, 0);
  assert.equal(f.severity, 'warning');
  assert.deepEqual(f.location, { file: FILE, line: 11, column: 3 });
  assert.deepEqual(
    { scope: f.data.scope, p95: f.data.waitP95Ms, max: f.data.waitMaxMs, total: f.data.waitTotalMs, queries: f.data.queries, requests: f.data.requests, share: f.data.share, poolMax: f.data.poolMax },
    { scope: 'GET /report', p95: 12, max: 12, total: 340, queries: 60, requests: 20, share: 0.085, poolMax: 2 },
  );
  assert.equal(f.message.split('. ')[0], 'Requests of GET /report queue for a connection of a pool of 2: its queries waited 12.0 ms (p95) for one, 9 % of a request\'s time (median); this line waited the longest');
});

test('waiting a third of the request is an error; short waits, and waits outside requests, are no finding', () => {
  const slow = requests('GET /slow', 10, [[20, 40], [21, 40]], 200);
  assert.equal(detect(slow.queries, slow.durations)[0].severity, 'error');
  const quick = requests('GET /quick', 50, [[30, 2], [31, 3]], 20);
  assert.deepEqual(detect(quick.queries, quick.durations), []);
  const outside = requests('GET /x', 10, [[40, 50]], 100).queries.map((q) => ({ ...q, scope: null }));
  assert.deepEqual(detect(outside, new Map()), []);
});

test('the threshold is a setting; a pool that does not say its size is "the pool"', () => {
  const { queries, durations } = requests('GET /report', 10, [[10, 6]], 100, 0);
  assert.deepEqual(detect(queries, durations), []);
  const [f] = detect(queries, durations, { poolWaitMs: 5 });
  assert.equal(f.data.poolMax, null);
  assert.match(f.message, /queue for a connection of the pool: its queries waited 6\.00 ms \(p95\)/);
});

test('the finding goes on the app\'s line that waited longest, not on a library\'s query without one', () => {
  const { queries, durations } = requests('GET /report', 10, [[10, 15], [11, 5]], 100);
  // a query of the ORM's own (no application frame) that waited most of all
  const orm = queries.filter((q) => q.callsite.line === 10).map((q) => ({ ...q, callsite: null, poolWaitMs: 50 }));
  const [f] = detect([...queries, ...orm], durations);
  assert.deepEqual(f.location, { file: FILE, line: 10, column: 3 });
});
