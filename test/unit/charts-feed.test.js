'use strict';
// The live charts feed (ChartFeed, from dist/core.js) fed by a real SessionStore with messages
// shaped as the agent sends them: HTTP requests bucketed per second with their p95, GC pause
// time per second and major GCs as marks, bounded series, the time window, and what a
// webview that (re)loads gets back. PERF_LENS_DIST points at another build folder.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const DIST = path.resolve(process.env.PERF_LENS_DIST || path.join(__dirname, '..', '..', 'dist'));
const { SessionStore, ChartFeed } = require(path.join(DIST, 'core.js'));

const T0 = 1_700_000_000_000; // a whole second, epoch ms
const PID = 4242;

const hello = (pid = PID, t = T0) => ({ type: 'hello', pid, t, protocol: 1, nodeVersion: 'v20.20.2', argv: ['/usr/bin/node', '/app/server.js'], cwd: '/app', startedAt: t - 50 });
const http = (t, durationMs, status = 200, pid = PID) => ({ type: 'http', pid, t, method: 'GET', route: '/posts', status, durationMs, scope: `s${t}` });
const memory = (t, heapUsed, pid = PID) => ({ type: 'memory', pid, t, heapUsed, heapTotal: heapUsed * 2, rss: heapUsed * 3, external: 1000, arrayBuffers: 10 });
const gc = (t, kind, durationMs, heapUsedAfter) => ({ type: 'gc', pid: PID, t, kind, durationMs, ...(heapUsedAfter !== undefined && { heapUsedAfter }) });
const query = (t, text, durationMs) => ({ type: 'query', pid: PID, t, durationMs, db: 'postgres', text, scope: null, callsite: { file: '/app/routes/posts.js', line: 12, column: 5 }, error: false });

function setup(options) {
  const store = new SessionStore();
  const feed = new ChartFeed(options);
  const link = feed.attach(store);
  return { store, feed, link };
}

function seriesOf(update, pid = PID) {
  return update.series.find((s) => s.pid === pid);
}

test('HTTP requests become one point per second: count, p95 and errors, with empty seconds as zeros', () => {
  const { store, feed } = setup();
  store.ingest(hello());
  // Second 0: 20 requests of 1..20 ms, one of them a 500. Second 1: one request. Second 2: none.
  for (let i = 1; i <= 20; i++) store.ingest(http(T0 + i * 40, i, i === 7 ? 500 : 200));
  store.ingest(http(T0 + 1500, 3));
  store.ingest(http(T0 + 3100, 8)); // opens second 3

  const update = feed.takeUpdate(T0 + 3200);
  assert.deepEqual(seriesOf(update).http, [
    [T0, 20, 19, 1], // nearest-rank p95 of 1..20 is 19
    [T0 + 1000, 1, 3, 0],
    [T0 + 2000, 0, 0, 0],
  ]);
  assert.equal(update.processes[0].pid, PID);
  assert.equal(update.processes[0].command, 'node server.js');

  // Second 3 closes once the clock is past it (plus the batching grace), and quiet seconds follow as zeros.
  assert.equal(feed.takeUpdate(T0 + 4100), null, 'second 3 is still open 100 ms after its end');
  assert.deepEqual(seriesOf(feed.takeUpdate(T0 + 6300)).http, [
    [T0 + 3000, 1, 8, 0],
    [T0 + 4000, 0, 0, 0],
    [T0 + 5000, 0, 0, 0],
  ]);
});

test('a request reported after its second closed still counts, in the next second', () => {
  const { store, feed } = setup();
  store.ingest(hello());
  store.ingest(http(T0 + 100, 5));
  store.ingest(http(T0 + 1100, 5)); // closes second 0
  store.ingest(http(T0 + 900, 5)); // late: second 0 is gone
  store.ingest(http(T0 + 2100, 5));
  const points = seriesOf(feed.takeUpdate(T0 + 2200)).http;
  assert.deepEqual(points.map((p) => p[1]), [1, 2]);
});

test('GC pauses are summed per second by kind; major GCs become marks at the heap they left', () => {
  const { store, feed } = setup();
  store.ingest(hello());
  store.ingest(memory(T0 + 10, 50_000_000));
  store.ingest(gc(T0 + 100, 'minor', 1.25));
  store.ingest(gc(T0 + 200, 'minor', 0.75));
  store.ingest(gc(T0 + 300, 'major', 12.5, 30_000_000));
  store.ingest(gc(T0 + 400, 'incremental', 2));
  store.ingest(memory(T0 + 1010, 60_000_000));
  store.ingest(gc(T0 + 1200, 'major', 7)); // no heapUsedAfter: the last heap sample stands in
  const s = seriesOf(feed.takeUpdate(T0 + 2300));
  assert.deepEqual(s.gcPauses, [
    [T0, 2, 14.5, 4],
    [T0 + 1000, 0, 7, 1],
  ]);
  assert.deepEqual(s.gcMarks, [
    [T0 + 300, 12.5, 30_000_000],
    [T0 + 1200, 7, 60_000_000],
  ]);
  assert.deepEqual(s.memory, [
    [T0 + 10, 50_000_000, 100_000_000, 150_000_000, 1000],
    [T0 + 1010, 60_000_000, 120_000_000, 180_000_000, 1000],
  ]);
});

test('series are bounded and a reload gets only the time window, newest last', () => {
  const { store, feed } = setup({ maxPoints: 10, windowMs: 5000 });
  store.ingest(hello());
  for (let i = 0; i < 50; i++) store.ingest(memory(T0 + i * 1000, 1e6 + i));
  // Nobody took updates: what is pending is bounded like the buffer.
  const pending = seriesOf(feed.takeUpdate(T0 + 50_000)).memory;
  assert.equal(pending.length, 10);
  assert.equal(pending.at(-1)[1], 1e6 + 49);

  const snap = feed.snapshot();
  assert.equal(snap.windowMs, 5000);
  const mem = snap.series.find((s) => s.pid === PID).memory;
  assert.deepEqual(mem.map((p) => p[0] - T0), [44_000, 45_000, 46_000, 47_000, 48_000, 49_000]);
  assert.equal(feed.takeUpdate(T0 + 50_000), null, 'nothing new after the update was taken');
});

test('event-loop delay passes through; top queries group by fingerprint, most total time first', () => {
  const { store, feed } = setup({ topQueries: 2 });
  store.ingest(hello());
  store.ingest({ type: 'eventLoop', pid: PID, t: T0 + 500, p50Ms: 1.0234, p99Ms: 5.5, maxMs: 40.1, utilization: 0.3 });
  for (let id = 1; id <= 10; id++) store.ingest(query(T0 + id, `SELECT * FROM comments WHERE post_id = ${id}`, 2));
  store.ingest(query(T0 + 20, 'SELECT * FROM posts', 15));
  store.ingest(query(T0 + 21, 'SELECT count(*) FROM users', 1));
  const update = feed.takeUpdate(T0 + 600);
  assert.deepEqual(seriesOf(update).eventLoop, [[T0 + 500, 1.023, 5.5, 40.1]]);
  const rows = update.queries[PID];
  assert.equal(rows.length, 2);
  assert.deepEqual(
    rows.map((r) => [r.count, r.totalMs, r.meanMs, r.p95Ms, r.maxMs]),
    [
      [10, 20, 2, 2, 2],
      [1, 15, 15, 15, 15],
    ],
  );
  assert.match(rows[0].fingerprint, /post_id = \?/i);
  assert.equal(feed.takeUpdate(T0 + 700), null, 'query totals are sent only when they change');
});

test('charts opened late replay what the sessions hold; ended processes stop drawing empty seconds', () => {
  const store = new SessionStore();
  store.ingest(hello());
  for (let i = 0; i < 5; i++) store.ingest(memory(T0 + i * 1000, 1e6 * (i + 1)));
  store.ingest(http(T0 + 300, 4));
  store.ingest(http(T0 + 2300, 6));
  store.ingest({ type: 'bye', pid: PID, t: T0 + 4500 });

  const feed = new ChartFeed();
  feed.attach(store);
  const snap = feed.snapshot();
  const s = snap.series.find((x) => x.pid === PID);
  assert.equal(s.memory.length, 5);
  assert.deepEqual(s.http, [
    [T0, 1, 4, 0],
    [T0 + 1000, 0, 0, 0],
    [T0 + 2000, 1, 6, 0],
  ]);
  assert.equal(snap.processes[0].ended, true);
  feed.takeUpdate(T0 + 5000);
  assert.equal(feed.takeUpdate(T0 + 60_000), null, 'no zeros after the process ended');
});

test('several processes each get their series; the oldest ended ones are let go', () => {
  const { store, feed } = setup({ maxProcesses: 2 });
  for (const pid of [1, 2, 3]) {
    store.ingest(hello(pid, T0 + pid));
    store.ingest(memory(T0 + 100 + pid, 1000 * pid, pid));
    if (pid === 1) store.ingest({ type: 'bye', pid, t: T0 + 200 });
  }
  const update = feed.takeUpdate(T0 + 500);
  assert.deepEqual(update.processes.map((p) => p.pid), [2, 3]);
  assert.deepEqual(update.series.map((s) => [s.pid, s.memory[0][1]]), [
    [2, 2000],
    [3, 3000],
  ]);
});

test('detached feeds stop following the store', () => {
  const { store, feed, link } = setup();
  store.ingest(hello());
  feed.takeUpdate(T0);
  link.dispose();
  store.ingest(memory(T0 + 10, 1));
  assert.equal(feed.takeUpdate(T0 + 20), null);
});
