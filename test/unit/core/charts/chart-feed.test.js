'use strict';
// The live charts feed (ChartFeed, from dist/core.js) fed by a real SessionStore with messages
// shaped as the agent sends them: HTTP requests bucketed per second with their p95, GC pause
// time per second and major GCs as marks, bounded series, the time window, and what a
// webview that (re)loads gets back.
const { CORE } = require('../../../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const { SessionStore, ChartFeed } = require(CORE);

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

/**
 * What a page following the documented contract shows for one per-second series: closed points
 * appended, the provisional point replaced by whatever comes next in its series. Fails the test
 * if a closed second comes twice or a provisional point arrives for a second already closed.
 */
function follower(name) {
  const closed = [];
  let open = null;
  return {
    apply(update, pid = PID) {
      const s = update && seriesOf(update, pid);
      if (!s) return;
      for (const p of s[name]) {
        assert.ok(closed.length === 0 || p[0] > closed.at(-1)[0], `closed ${name} points in order, one per second (${p[0] - T0})`);
        closed.push(p);
      }
      if (s[name].length) open = null;
      const prov = s.provisional?.[name];
      if (prov) {
        assert.ok(closed.length === 0 || prov[0] > closed.at(-1)[0], `provisional ${name} second ${prov[0] - T0} is still open`);
        open = prov;
      }
    },
    /** the points on the chart, oldest first */
    get shown() {
      return open ? [...closed, open] : closed.slice();
    },
  };
}

test('the open second is sent as a provisional point, updated while open, then finalised once', () => {
  const { store, feed } = setup();
  const page = follower('http');
  store.ingest(hello());
  store.ingest(http(T0 + 100, 1));
  store.ingest(http(T0 + 200, 2));
  store.ingest(http(T0 + 300, 3));

  let update = feed.takeUpdate(T0 + 350);
  page.apply(update);
  assert.deepEqual(seriesOf(update).http, [], 'no closed second yet');
  assert.deepEqual(seriesOf(update).provisional, { http: [T0, 3, 3, 0] }, 'the open second, as it stands');
  assert.equal(feed.takeUpdate(T0 + 450), null, 'an open second that did not change is not sent again');

  store.ingest(http(T0 + 500, 10, 500));
  store.ingest(http(T0 + 900, 4));
  update = feed.takeUpdate(T0 + 950);
  page.apply(update);
  assert.deepEqual(seriesOf(update).provisional.http, [T0, 5, 10, 1], 'its newer value: 5 requests, one error');
  assert.deepEqual(page.shown, [[T0, 5, 10, 1]], 'replaced, not appended');

  assert.equal(feed.takeUpdate(T0 + 1100), null, 'the second is kept open for the grace after its end');
  update = feed.takeUpdate(T0 + 1300);
  page.apply(update);
  assert.deepEqual(seriesOf(update).http, [[T0, 5, 10, 1]], 'finalised with the same totals');
  assert.equal(seriesOf(update).provisional, undefined, 'nothing is open any more');
  assert.deepEqual(page.shown, [[T0, 5, 10, 1]]);

  // The next second: provisional again, and the snapshot a reloading page gets carries it too.
  store.ingest(http(T0 + 1400, 7));
  page.apply(feed.takeUpdate(T0 + 1450));
  assert.deepEqual(page.shown, [
    [T0, 5, 10, 1],
    [T0 + 1000, 1, 7, 0],
  ]);
  const snap = feed.snapshot().series.find((s) => s.pid === PID);
  assert.deepEqual(snap.http, [[T0, 5, 10, 1]]);
  assert.deepEqual(snap.provisional, { http: [T0 + 1000, 1, 7, 0] });

  // A later event closes it at once; the quiet second after it closes with the clock.
  store.ingest(http(T0 + 2050, 2));
  update = feed.takeUpdate(T0 + 2100);
  page.apply(update);
  assert.deepEqual(seriesOf(update).http, [[T0 + 1000, 1, 7, 0]]);
  assert.deepEqual(seriesOf(update).provisional, { http: [T0 + 2000, 1, 2, 0] });
  page.apply(feed.takeUpdate(T0 + 3300));
  page.apply(feed.takeUpdate(T0 + 4300));
  assert.deepEqual(page.shown, [
    [T0, 5, 10, 1],
    [T0 + 1000, 1, 7, 0],
    [T0 + 2000, 1, 2, 0],
    [T0 + 3000, 0, 0, 0],
  ]);
});

test('GC pause seconds are provisional while open too; an ended process finalises its open seconds', () => {
  const { store, feed } = setup();
  const page = follower('gcPauses');
  store.ingest(hello());
  store.ingest(gc(T0 + 100, 'minor', 1.5));
  let update = feed.takeUpdate(T0 + 150);
  page.apply(update);
  assert.deepEqual(seriesOf(update).provisional, { gcPauses: [T0, 1.5, 0, 1] });
  store.ingest(gc(T0 + 400, 'major', 6, 1e6));
  update = feed.takeUpdate(T0 + 450);
  page.apply(update);
  assert.deepEqual(seriesOf(update).provisional, { gcPauses: [T0, 1.5, 6, 2] });
  assert.deepEqual(seriesOf(update).gcMarks, [[T0 + 400, 6, 1e6]], 'the major GC mark is not held back');

  store.ingest({ type: 'bye', pid: PID, t: T0 + 500 });
  update = feed.takeUpdate(T0 + 550);
  page.apply(update);
  assert.deepEqual(seriesOf(update).gcPauses, [[T0, 1.5, 6, 2]]);
  assert.equal(seriesOf(update).provisional, undefined);
  assert.equal(update.processes[0].ended, true);
  assert.deepEqual(page.shown, [[T0, 1.5, 6, 2]]);
  assert.equal(feed.takeUpdate(T0 + 5000), null);
});

test('pumped every 100 ms, what the page shows counts every request received so far, exactly, one point per second', () => {
  const { store, feed } = setup();
  const page = follower('http');
  store.ingest(hello());
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  // Requests reach the feed 0–150 ms after they happened, so some come after their second closed.
  const events = [];
  for (let t = T0 + 10; t < T0 + 8000; t += random() * 120) events.push({ t: Math.floor(t), arrives: t + random() * 150, status: random() < 0.1 ? 500 : 200 });
  events.sort((a, b) => a.arrives - b.arrives);
  let received = 0;
  let errors = 0;
  let sent = 0;
  for (let now = T0; now <= T0 + 10_000; now += 100) {
    while (received < events.length && events[received].arrives <= now) {
      const e = events[received++];
      if (e.status >= 500) errors++;
      store.ingest(http(e.t, 1, e.status));
    }
    const update = feed.takeUpdate(now);
    if (update) sent++;
    page.apply(update);
    const shown = page.shown;
    assert.equal(shown.reduce((n, p) => n + p[1], 0), received, `at +${now - T0} ms the chart counts all ${received} requests`);
    assert.equal(shown.reduce((n, p) => n + p[3], 0), errors, `at +${now - T0} ms the chart counts all ${errors} errors`);
    assert.equal(new Set(shown.map((p) => p[0])).size, shown.length, 'one point per second');
  }
  assert.equal(received, events.length);
  assert.deepEqual(page.shown.map((p) => p[0] - T0), [0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000], 'every second, each once');
  assert.ok(sent < 101, `only updates with something new (${sent} of 101 pumps)`);
});

test('cache reads become hits and misses per second, and only for a process that read a cache', () => {
  const { store, feed } = setup();
  store.ingest(hello());
  const read = (t, hits, misses) => ({ ...query(t, 'GET user:1', 0.2), db: 'redis', cacheHits: hits, cacheMisses: misses });
  // SQL queries and HTTP requests alone: no cache series at all, not even zeros
  store.ingest(query(T0 + 100, 'SELECT 1', 1));
  store.ingest(http(T0 + 200, 3));
  store.ingest(http(T0 + 1200, 3));
  const before = seriesOf(feed.takeUpdate(T0 + 1300));
  assert.deepEqual(before.cache, []);
  assert.equal(before.provisional.cache, undefined);
  // Second 2: a hit, a miss and an MGET of 3 keys (2 found); second 3 opens with one miss
  store.ingest(read(T0 + 2100, 1, 0));
  store.ingest(read(T0 + 2300, 0, 1));
  store.ingest(read(T0 + 2500, 2, 1));
  const open = seriesOf(feed.takeUpdate(T0 + 2600));
  assert.deepEqual(open.provisional.cache, [T0 + 2000, 3, 2], 'the open second shows before it closes');
  store.ingest(read(T0 + 3100, 0, 1));
  assert.deepEqual(seriesOf(feed.takeUpdate(T0 + 5300)).cache, [
    [T0 + 2000, 3, 2],
    [T0 + 3000, 0, 1],
    [T0 + 4000, 0, 0],
  ]);
  assert.deepEqual(feed.snapshot().series[0].cache.map((p) => p[1] + p[2]), [5, 1, 0]);
});

test('database pools become one point per sample: in use, open, waiting and max summed over the pools', () => {
  const { store, feed } = setup();
  store.ingest(hello());
  store.ingest({ type: 'pools', pid: PID, t: T0 + 1000, pools: [{ id: 1, driver: 'pg-pool', max: 2, size: 2, inUse: 2, waiting: 5 }] });
  store.ingest({ type: 'pools', pid: PID, t: T0 + 2000, pools: [{ id: 1, driver: 'pg-pool', max: 2, size: 2, inUse: 1, waiting: 0 }, { id: 2, driver: 'knex', max: null, size: 1, inUse: 1, waiting: 1 }] });
  assert.deepEqual(seriesOf(feed.takeUpdate(T0 + 2100)).pool, [
    [T0 + 1000, 2, 2, 5, 2],
    [T0 + 2000, 2, 3, 1, 2],
  ]);
});
