'use strict';
// FleetMetrics (dist/core.js) fed by a real SessionStore with messages shaped as the agent
// sends them (summaries included, which the store expands): what each series counts, its
// labels, and the caps that bound cardinality (routes, fingerprints with `other`, processes).
const { CORE } = require('../../../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');

const { SessionStore, FleetMetrics, QUERY_DURATION_BOUNDS } = require(CORE);

const T0 = 1_700_000_000_000;
const IDENTITY = { service: 'shop', instance: 'box-1', attributes: {} };

const hello = (pid, extra = {}) => ({ type: 'hello', pid, t: T0, protocol: 1, nodeVersion: 'v20.20.2', argv: ['/usr/bin/node', '/app/server.js'], cwd: '/app', startedAt: T0 - 500, ...extra });
const http = (pid, t, route, status, durationMs, scope = null, method = 'GET') => ({ type: 'http', pid, t, method, route, status, durationMs, scope });
const query = (pid, t, text, durationMs, scope = null, extra = {}) => ({
  type: 'query',
  pid,
  t,
  durationMs,
  db: 'postgres',
  text,
  scope: scope && { id: scope, name: 'GET /posts' },
  callsite: null,
  error: false,
  ...extra,
});

function setup(options) {
  const store = new SessionStore();
  const metrics = new FleetMetrics(store, IDENTITY, options, T0);
  return { store, metrics };
}

const family = (snap, name) => snap.families.find((f) => f.name === name);
const pointsWhere = (snap, name, labels) => (family(snap, name)?.points ?? []).filter((p) => Object.entries(labels).every(([k, v]) => p.labels[k] === v));
const one = (snap, name, labels) => {
  const ps = pointsWhere(snap, name, labels);
  assert.equal(ps.length, 1, `${name} ${JSON.stringify(labels)}: ${ps.length} points`);
  return ps[0];
};
/** cumulative count at `le` of a histogram point */
const atMost = (snap, name, point, le) => {
  const bounds = family(snap, name).bounds;
  let n = 0;
  for (let i = 0; i < bounds.length && bounds[i] <= le; i++) n += point.counts[i];
  return n;
};

test('every point carries pid, service and instance; gauges hold the last sample', () => {
  const { store, metrics } = setup();
  store.ingest(hello(11));
  store.ingest(hello(12, { isClusterWorker: true }));
  store.ingest({ type: 'memory', pid: 11, t: T0 + 1000, heapUsed: 10e6, heapTotal: 20e6, rss: 60e6, external: 1e6, arrayBuffers: 0 });
  store.ingest({ type: 'memory', pid: 11, t: T0 + 2000, heapUsed: 12e6, heapTotal: 20e6, rss: 61e6, external: 1e6, arrayBuffers: 0 });
  store.ingest({ type: 'eventLoop', pid: 11, t: T0 + 1000, p50Ms: 0.4, p99Ms: 3, maxMs: 120, utilization: 0.35 });
  const snap = metrics.snapshot(T0 + 3000);
  assert.equal(snap.startT, T0);
  assert.deepEqual(snap.resource, { service: 'shop', instance: 'box-1', attributes: {} });
  for (const f of snap.families) for (const p of f.points) assert.deepEqual([p.labels.pid, p.labels.service, p.labels.instance].map(Boolean), [true, true, true], `${f.name} lacks identity labels`);
  assert.equal(one(snap, 'perf_lens_heap_used_bytes', { pid: '11' }).value, 12e6);
  assert.equal(one(snap, 'perf_lens_rss_bytes', { pid: '11' }).value, 61e6);
  assert.equal(pointsWhere(snap, 'perf_lens_heap_used_bytes', { pid: '12' }).length, 0, 'no sample, no point');
  assert.equal(one(snap, 'perf_lens_process_info', { pid: '12' }).labels.cluster_worker, 'true');
  assert.equal(one(snap, 'perf_lens_process_start_time_seconds', { pid: '11' }).value, (T0 - 500) / 1000);
  assert.equal(one(snap, 'perf_lens_event_loop_delay_seconds', { pid: '11', stat: 'max' }).value, 0.12);
  assert.equal(one(snap, 'perf_lens_event_loop_utilization', { pid: '11' }).value, 0.35);
  const p99 = one(snap, 'perf_lens_event_loop_delay_p99_seconds', { pid: '11' });
  assert.equal(p99.count, 1);
  assert.equal(atMost(snap, 'perf_lens_event_loop_delay_p99_seconds', p99, 0.0025), 0);
  assert.equal(atMost(snap, 'perf_lens_event_loop_delay_p99_seconds', p99, 0.005), 1);
});

test('requests by method, route and status class; queries per request from the queries of each scope', () => {
  const { store, metrics } = setup();
  store.ingest(hello(21));
  // three requests to /posts: 1, 12 (an N+1) and 0 queries; a 404 and a 503 elsewhere
  store.ingest(query(21, T0 + 1, 'SELECT * FROM posts', 2, 'a'));
  store.ingest(http(21, T0 + 5, '/posts', 200, 4, 'a'));
  for (let i = 0; i < 12; i++) store.ingest(query(21, T0 + 10 + i, `SELECT * FROM authors WHERE id = ${i}`, 1, 'b'));
  store.ingest(http(21, T0 + 30, '/posts', 200, 40, 'b'));
  store.ingest(http(21, T0 + 31, '/posts', 200, 3, null));
  store.ingest(http(21, T0 + 32, '/users/:id', 404, 1, null));
  store.ingest(http(21, T0 + 33, '/users/:id', 503, 2500, null, 'POST'));
  store.ingest(http(21, T0 + 34, '/weird', 99, 1, null));
  const snap = metrics.snapshot(T0 + 1000);
  const posts = one(snap, 'perf_lens_http_request_duration_seconds', { pid: '21', method: 'GET', route: '/posts', status_class: '2xx' });
  assert.equal(posts.count, 3);
  assert.ok(Math.abs(posts.sum - 0.047) < 1e-9, `sum ${posts.sum}`);
  assert.equal(atMost(snap, 'perf_lens_http_request_duration_seconds', posts, 0.005), 2);
  assert.equal(one(snap, 'perf_lens_http_request_duration_seconds', { route: '/users/:id', status_class: '4xx', method: 'GET' }).count, 1);
  const err = one(snap, 'perf_lens_http_request_duration_seconds', { route: '/users/:id', status_class: '5xx', method: 'POST' });
  assert.equal(err.count, 1);
  assert.equal(atMost(snap, 'perf_lens_http_request_duration_seconds', err, 1), 0);
  assert.equal(one(snap, 'perf_lens_http_request_duration_seconds', { route: '/weird' }).labels.status_class, 'other');

  const qpr = one(snap, 'perf_lens_http_queries_per_request', { method: 'GET', route: '/posts' });
  assert.equal(qpr.count, 3);
  assert.equal(qpr.sum, 13);
  assert.equal(atMost(snap, 'perf_lens_http_queries_per_request', qpr, 0), 1);
  assert.equal(atMost(snap, 'perf_lens_http_queries_per_request', qpr, 1), 2);
  assert.equal(atMost(snap, 'perf_lens_http_queries_per_request', qpr, 10), 2);
  assert.equal(atMost(snap, 'perf_lens_http_queries_per_request', qpr, 20), 3);
});

test('requests folded into an httpSummary count one by one, with zero queries each', () => {
  const { store, metrics } = setup();
  store.ingest(hello(22));
  store.ingest({ type: 'httpSummary', pid: 22, fromT: T0, t: T0 + 1000, routes: [{ method: 'GET', route: '/health', status: 200, durationsMs: [0.4, 30], counts: [97, 3] }] });
  const snap = metrics.snapshot(T0 + 2000);
  const h = one(snap, 'perf_lens_http_request_duration_seconds', { route: '/health' });
  assert.equal(h.count, 100);
  assert.equal(atMost(snap, 'perf_lens_http_request_duration_seconds', h, 0.001), 97);
  const q = one(snap, 'perf_lens_http_queries_per_request', { route: '/health' });
  assert.equal(q.count, 100);
  assert.equal(q.sum, 0);
});

test('routes past the cap are counted under route "other", with nothing lost', () => {
  const { store, metrics } = setup({ maxRoutes: 3 });
  store.ingest(hello(31));
  for (let r = 0; r < 8; r++) for (let i = 0; i <= r; i++) store.ingest(http(31, T0 + r * 10 + i, `/r${r}`, 200, 1));
  const snap = metrics.snapshot(T0 + 1000);
  const points = pointsWhere(snap, 'perf_lens_http_request_duration_seconds', { pid: '31' });
  assert.deepEqual(points.map((p) => p.labels.route).sort(), ['/r0', '/r1', '/r2', 'other']);
  assert.equal(one(snap, 'perf_lens_http_request_duration_seconds', { route: 'other' }).count, 4 + 5 + 6 + 7 + 8);
  assert.equal(points.reduce((a, p) => a + p.count, 0), 36);
});

test('query fingerprints: the heaviest get their own series, the rest "other"; counters never go down', () => {
  const { store, metrics } = setup({ topFingerprints: 2, maxFingerprintSeries: 3 });
  store.ingest(hello(41));
  let sent = 0;
  const q = (text, ms) => {
    store.ingest(query(41, T0 + sent, text, ms));
    sent++;
  };
  // literals differ, fingerprints do not: one series for each shape
  for (let i = 0; i < 5; i++) q(`SELECT * FROM users WHERE id = ${i}`, 1);
  for (let i = 0; i < 5; i++) q(`SELECT * FROM posts WHERE author_id = ${i}`, 2);
  q('SELECT 1', 0.1);
  const first = metrics.snapshot(T0 + 100);
  const fps = (snap) => pointsWhere(snap, 'perf_lens_query_duration_seconds', { pid: '41' }).map((p) => p.labels.fingerprint).sort();
  assert.deepEqual(fps(first), ['other', 'select * from posts where author_id = ?', 'select * from users where id = ?']);
  assert.equal(one(first, 'perf_lens_query_duration_seconds', { fingerprint: 'select * from users where id = ?' }).count, 5);
  const otherBefore = one(first, 'perf_lens_query_duration_seconds', { fingerprint: 'other' });
  assert.equal(otherBefore.count, 1);
  assert.equal(otherBefore.labels.db, 'postgres');

  // a slow report query becomes the heaviest: promoted at the next snapshot, from zero
  for (let i = 0; i < 3; i++) q(`SELECT count(*) FROM orders WHERE day = '2024-01-0${i + 1}'`, 400);
  const second = metrics.snapshot(T0 + 200);
  assert.deepEqual(fps(second), ['other', 'select * from posts where author_id = ?', 'select * from users where id = ?', 'select count(*) from orders where day = ?']);
  const other = one(second, 'perf_lens_query_duration_seconds', { fingerprint: 'other' });
  assert.equal(other.count, 4, 'its queries before the promotion stay in other');
  assert.equal(one(second, 'perf_lens_query_duration_seconds', { fingerprint: 'select count(*) from orders where day = ?' }).count, 0);

  // the cap of own series is reached: a new heavy shape stays in other
  for (let i = 0; i < 3; i++) q(`DELETE FROM sessions WHERE id = ${i}`, 900);
  q("SELECT count(*) FROM orders WHERE day = '2024-02-01'", 400);
  const third = metrics.snapshot(T0 + 300);
  assert.equal(fps(third).length, 4);
  assert.equal(one(third, 'perf_lens_query_duration_seconds', { fingerprint: 'other' }).count, 7);
  assert.equal(one(third, 'perf_lens_query_duration_seconds', { fingerprint: 'select count(*) from orders where day = ?' }).count, 1);
  const all = pointsWhere(third, 'perf_lens_query_duration_seconds', { pid: '41' });
  assert.equal(all.reduce((a, p) => a + p.count, 0), sent, 'every query counted once');
  assert.deepEqual(family(third, 'perf_lens_query_duration_seconds').bounds, QUERY_DURATION_BOUNDS);
});

test('Redis commands share a series per key pattern; cache reads count hits and misses; pool waits', () => {
  const { store, metrics } = setup();
  store.ingest(hello(51));
  for (let i = 0; i < 4; i++) store.ingest(query(51, T0 + i, `GET user:${i}`, 0.2, null, { db: 'redis', cacheHits: i % 2, cacheMisses: 1 - (i % 2) }));
  store.ingest(query(51, T0 + 9, 'MGET user:1 user:2 user:3', 0.3, null, { db: 'redis', cacheHits: 2, cacheMisses: 1 }));
  store.ingest(query(51, T0 + 10, 'SELECT 1', 1, null, { poolWaitMs: 0 }));
  store.ingest(query(51, T0 + 11, 'SELECT 1', 1, null, { poolWaitMs: 30 }));
  store.ingest({ type: 'pools', pid: 51, t: T0 + 12, pools: [{ id: 1, driver: 'pg-pool', max: 10, size: 10, inUse: 10, waiting: 4 }] });
  const snap = metrics.snapshot(T0 + 100);
  assert.equal(one(snap, 'perf_lens_query_duration_seconds', { db: 'redis', fingerprint: 'get user:?' }).count, 4);
  assert.equal(one(snap, 'perf_lens_cache_reads', { result: 'hit' }).value, 4);
  assert.equal(one(snap, 'perf_lens_cache_reads', { result: 'miss' }).value, 3);
  const wait = one(snap, 'perf_lens_pool_wait_seconds', { db: 'postgres' });
  assert.equal(wait.count, 2);
  assert.equal(atMost(snap, 'perf_lens_pool_wait_seconds', wait, 0), 1, 'no wait lands in le="0"');
  assert.equal(atMost(snap, 'perf_lens_pool_wait_seconds', wait, 0.025), 1);
  assert.equal(one(snap, 'perf_lens_pool_waiting', { pool: '1', driver: 'pg-pool' }).value, 4);
  assert.equal(one(snap, 'perf_lens_pool_connections_in_use', { pool: '1' }).value, 10);
  assert.equal(one(snap, 'perf_lens_pool_connections_max', { pool: '1' }).value, 10);
});

test('GC pauses by kind (summaries expanded), dropped messages, findings by kind and severity', () => {
  const { store, metrics } = setup();
  store.ingest(hello(61));
  store.ingest({ type: 'gc', pid: 61, t: T0 + 5, kind: 'major', durationMs: 40, heapUsedAfter: 1e6 });
  store.ingest({ type: 'gcSummary', pid: 61, fromT: T0, t: T0 + 1000, pauses: [{ kind: 'minor', durationsMs: [0.5, 2], counts: [30, 2] }] });
  store.ingest({ type: 'dropped', pid: 61, t: T0 + 20, count: 7 });
  metrics.setFindings([
    { id: 'a', kind: 'n-plus-one', severity: 'warning', message: 'x', pid: 61, location: null, related: [], data: {} },
    { id: 'b', kind: 'n-plus-one', severity: 'warning', message: 'x', pid: 61, location: null, related: [], data: {} },
    { id: 'c', kind: 'slow-query', severity: 'error', message: 'x', pid: 61, location: null, related: [], data: {} },
    { id: 'd', kind: 'leak', severity: 'error', message: 'x', pid: 999, location: null, related: [], data: {} },
  ]);
  const snap = metrics.snapshot(T0 + 2000);
  assert.equal(one(snap, 'perf_lens_gc_pause_seconds', { kind: 'minor' }).count, 32);
  const major = one(snap, 'perf_lens_gc_pause_seconds', { kind: 'major' });
  assert.equal(major.count, 1);
  assert.equal(major.sum, 0.04);
  assert.equal(one(snap, 'perf_lens_agent_dropped_messages', { pid: '61' }).value, 7);
  assert.equal(one(snap, 'perf_lens_findings', { kind: 'n-plus-one', severity: 'warning' }).value, 2);
  assert.equal(one(snap, 'perf_lens_findings', { kind: 'slow-query', severity: 'error' }).value, 1);
  assert.equal(pointsWhere(snap, 'perf_lens_findings', { pid: '999' }).length, 0, 'no series for a process not exported');
  metrics.setFindings([]);
  assert.equal(family(metrics.snapshot(T0 + 2100), 'perf_lens_findings'), undefined, 'findings that went away leave no series');
});

test('an ended process reads up 0, keeps its counts for the retention, then its series go', () => {
  const { store, metrics } = setup({ endedRetentionMs: 60_000 });
  store.ingest(hello(71));
  store.ingest(http(71, T0 + 1, '/a', 200, 1));
  store.ingest({ type: 'bye', pid: 71, t: T0 + 10 });
  const during = metrics.snapshot(T0 + 30_000);
  assert.equal(one(during, 'perf_lens_process_up', { pid: '71' }).value, 0);
  assert.equal(one(during, 'perf_lens_http_request_duration_seconds', { pid: '71' }).count, 1);
  // a connection that closed without a bye ends as well
  store.ingest(hello(72));
  store.disconnected(72, T0 + 50);
  assert.equal(one(metrics.snapshot(T0 + 40_000), 'perf_lens_process_up', { pid: '72' }).value, 0);
  const after = metrics.snapshot(T0 + 70_100);
  assert.equal(after.families.length, 0);
  assert.equal(metrics.processCount, 0);
});

test('processes past the cap: the oldest ended one goes first; a reused pid starts afresh', () => {
  const { store, metrics } = setup({ maxProcesses: 3 });
  for (const pid of [81, 82, 83]) store.ingest(hello(pid));
  store.ingest({ type: 'bye', pid: 82, t: T0 + 5 });
  store.ingest(hello(84));
  const pids = (snap) => pointsWhere(snap, 'perf_lens_process_up', {}).map((p) => p.labels.pid).sort();
  assert.deepEqual(pids(metrics.snapshot(T0 + 10)), ['81', '83', '84']);
  store.ingest(hello(85));
  assert.deepEqual(pids(metrics.snapshot(T0 + 20)), ['83', '84', '85'], 'all live: the oldest goes');

  store.ingest(http(85, T0 + 21, '/a', 200, 1));
  store.ingest({ type: 'bye', pid: 85, t: T0 + 22 });
  store.ingest(hello(85)); // a new process with the same pid
  const snap = metrics.snapshot(T0 + 30);
  assert.equal(one(snap, 'perf_lens_process_up', { pid: '85' }).value, 1);
  assert.equal(pointsWhere(snap, 'perf_lens_http_request_duration_seconds', { pid: '85' }).length, 0);
});

test('dispose stops listening to the store', () => {
  const { store, metrics } = setup();
  store.ingest(hello(91));
  metrics.dispose();
  store.ingest(http(91, T0 + 1, '/a', 200, 1));
  assert.equal(family(metrics.snapshot(T0 + 10), 'perf_lens_http_request_duration_seconds'), undefined);
});
