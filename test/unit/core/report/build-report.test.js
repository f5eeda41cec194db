'use strict';
// buildReport: the `--json` report of docs/report.md, field by field, from real
// Sessions fed with protocol messages.
const { ROOT, CORE } = require('../../../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const { SessionStore, buildReport, processReport, TOOL_VERSION, findingId } = require(CORE);
const pkg = require(path.join(ROOT, 'package.json'));

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** A process that said hello, sent a bit of every stream, and said bye. */
function feed(store, pid, start, { durations = [], extra = [] } = {}) {
  store.ingest({ type: 'hello', pid, t: start, protocol: 1, nodeVersion: 'v22.3.0', argv: ['/usr/bin/node', '/srv/app.js'], cwd: '/srv', heapLimit: 4e9 });
  store.ingest({ type: 'memory', pid, t: start + 1000, heapUsed: 10, heapTotal: 20, rss: 30, external: 40, arrayBuffers: 50, heapLimit: 4e9 });
  store.ingest({ type: 'gc', pid, t: start + 1100, kind: 'minor', durationMs: 0.123456, heapUsedAfter: 9 });
  store.ingest({ type: 'eventLoop', pid, t: start + 1200, p50Ms: 1.00049, p99Ms: 2.5, maxMs: 9.87654, meanMs: 1.2, utilization: 0.33333 });
  durations.forEach((d, i) => {
    const status = i % 10 === 0 ? 500 : 200;
    store.ingest({ type: 'http', pid, t: start + 1300 + i, method: 'GET', route: '/x', status, durationMs: d, scope: null });
  });
  for (const m of extra) store.ingest({ pid, ...m });
  store.ingest({ type: 'bye', pid, t: start + 5000, exitCode: 0 });
}

const finding = {
  id: findingId('n-plus-one', { file: '/srv/app.js', line: 3, column: 5 }, 'select ?'),
  kind: 'n-plus-one', severity: 'warning', message: 'Batch it.', pid: 42,
  location: { file: '/srv/app.js', line: 3, column: 5 }, related: [], data: { count: 12 },
};

test('the report has exactly the top-level fields of the contract', () => {
  const store = new SessionStore();
  feed(store, 42, T0);
  const report = buildReport({ sessions: store.sessions, findings: [finding] });
  assert.deepEqual(Object.keys(report), ['version', 'tool', 'startedAt', 'endedAt', 'processes', 'findings']);
  assert.equal(report.version, 1);
  assert.deepEqual(report.tool, { name: 'perf-lens', version: pkg.version });
  assert.equal(TOOL_VERSION, pkg.version, 'the tool version is the package version');
  assert.match(report.startedAt, ISO);
  assert.match(report.endedAt, ISO);
  assert.equal(report.startedAt, '2025-01-02T03:04:05.678Z');
  assert.equal(report.endedAt, new Date(T0 + 5000).toISOString());
  assert.deepEqual(report.findings, [finding]);
  assert.deepEqual(JSON.parse(JSON.stringify(report)), report, 'plain JSON, nothing lost in serialization');
});

test('each process has exactly the contract fields, metrics shapes included', () => {
  const store = new SessionStore();
  feed(store, 42, T0);
  const [p] = buildReport({ sessions: store.sessions, findings: [] }).processes;
  assert.deepEqual(Object.keys(p), ['pid', 'command', 'nodeVersion', 'startedAt', 'endedAt', 'metrics', 'dropped']);
  assert.equal(p.pid, 42);
  assert.equal(p.command, 'node app.js');
  assert.equal(p.nodeVersion, 'v22.3.0');
  assert.equal(p.startedAt, new Date(T0).toISOString());
  assert.equal(p.endedAt, new Date(T0 + 5000).toISOString());
  assert.equal(p.dropped, 0);
  assert.deepEqual(Object.keys(p.metrics), ['memory', 'gc', 'eventLoop', 'http', 'queries']);
  // only the contract's fields, even when the message carried more (heapLimit, heapUsedAfter, meanMs)
  assert.deepEqual(p.metrics.memory, [{ t: T0 + 1000, heapUsed: 10, heapTotal: 20, rss: 30, external: 40, arrayBuffers: 50 }]);
  assert.deepEqual(p.metrics.gc, [{ t: T0 + 1100, kind: 'minor', durationMs: 0.123 }]);
  assert.deepEqual(p.metrics.eventLoop, [{ t: T0 + 1200, p50Ms: 1, p99Ms: 2.5, maxMs: 9.877, utilization: 0.333 }]);
  assert.deepEqual(p.metrics.http, { requests: 0, errors: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0 });
  assert.deepEqual(p.metrics.queries, []);
});

test('http p50/p95/p99 are nearest-rank percentiles of the request durations', () => {
  // 1..100 ms in a scrambled order: nearest rank gives 50, 95, 99
  const durations = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
  const store = new SessionStore();
  feed(store, 42, T0, { durations });
  const { http } = buildReport({ sessions: store.sessions, findings: [] }).processes[0].metrics;
  assert.deepEqual(http, { requests: 100, errors: 10, p50Ms: 50, p95Ms: 95, p99Ms: 99 });

  const small = new SessionStore();
  feed(small, 1, T0, { durations: [3.33333, 1, 2, 10] }); // sorted 1 2 3.333 10
  assert.deepEqual(buildReport({ sessions: small.sessions, findings: [] }).processes[0].metrics.http, {
    requests: 4, errors: 1, p50Ms: 2, p95Ms: 10, p99Ms: 10,
  });
  const one = new SessionStore();
  feed(one, 1, T0, { durations: [7.25] });
  assert.deepEqual(buildReport({ sessions: one.sessions, findings: [] }).processes[0].metrics.http, {
    requests: 1, errors: 1, p50Ms: 7.25, p95Ms: 7.25, p99Ms: 7.25,
  });
});

test('dropped adds the agent\'s own count and the frames the server dropped', () => {
  const store = new SessionStore();
  feed(store, 42, T0, { extra: [{ type: 'dropped', t: T0 + 2000, count: 17 }] });
  store.disconnected(42, T0 + 6000, 3);
  assert.equal(buildReport({ sessions: store.sessions, findings: [] }).processes[0].dropped, 20);
});

test('processes are ordered by start, then pid; the run spans the earliest start to the latest end', () => {
  const store = new SessionStore();
  feed(store, 30, T0 + 2000);
  feed(store, 20, T0);
  feed(store, 10, T0);
  const report = buildReport({ sessions: store.sessions, findings: [] });
  assert.deepEqual(report.processes.map((p) => p.pid), [10, 20, 30]);
  assert.equal(report.startedAt, new Date(T0).toISOString());
  assert.equal(report.endedAt, new Date(T0 + 7000).toISOString());
  // explicit bounds win
  const bounded = buildReport({ sessions: store.sessions, findings: [], startedAt: T0 - 1, endedAt: T0 + 99_999 });
  assert.equal(bounded.startedAt, new Date(T0 - 1).toISOString());
  assert.equal(bounded.endedAt, new Date(T0 + 99_999).toISOString());
  // the end is never before the start
  const inverted = buildReport({ sessions: [], findings: [], startedAt: T0, endedAt: T0 - 10 });
  assert.equal(inverted.endedAt, inverted.startedAt);
});

test('a session that never ended reports its last message as its end; one without hello has empty names', () => {
  const store = new SessionStore();
  store.ingest({ type: 'memory', pid: 5, t: T0, heapUsed: 1, heapTotal: 2, rss: 3, external: 4, arrayBuffers: 5 });
  store.ingest({ type: 'memory', pid: 5, t: T0 + 700, heapUsed: 1, heapTotal: 2, rss: 3, external: 4, arrayBuffers: 5 });
  const p = processReport(store.get(5));
  assert.equal(p.command, 'pid 5');
  assert.equal(p.nodeVersion, '');
  assert.equal(p.startedAt, new Date(T0).toISOString());
  assert.equal(p.endedAt, new Date(T0 + 700).toISOString());
  assert.equal(p.metrics.memory.length, 2);
});

test('an empty run is still a valid report', () => {
  const report = buildReport({ sessions: [], findings: [] });
  assert.deepEqual(report.processes, []);
  assert.deepEqual(report.findings, []);
  assert.match(report.startedAt, ISO);
  assert.equal(report.endedAt, report.startedAt);
});

test('the query table comes from the aggregator, per session', () => {
  const store = new SessionStore();
  feed(store, 42, T0);
  const row = { fingerprint: 'select ? from t', db: 'sqlite', count: 2, totalMs: 3, p50Ms: 1, p95Ms: 2, maxMs: 2 };
  const seen = [];
  const report = buildReport({ sessions: store.sessions, findings: [], aggregateQueries: (s) => (seen.push(s.pid), [row]) });
  assert.deepEqual(report.processes[0].metrics.queries, [row]);
  assert.deepEqual(seen, [42]);
});

test('the same input gives the same report, byte for byte', () => {
  const make = () => {
    const store = new SessionStore();
    feed(store, 2, T0, { durations: [5, 1, 3] });
    feed(store, 1, T0 + 1);
    return JSON.stringify(buildReport({ sessions: store.sessions, findings: [finding] }));
  };
  assert.equal(make(), make());
});
