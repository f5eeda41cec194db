'use strict';
// Key figures of a run (the report's optional `figures`), computed by the built core from a real
// SessionStore fed with protocol messages.
const { CORE } = require('../../../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { T0, hello, request, memory } = require('../../../fixtures/reporting/messages');

const core = require(CORE);

function storeOf(messages) {
  const store = new core.SessionStore();
  for (const m of messages) store.ingest(m);
  for (const s of store.liveSessions) store.disconnected(s.pid, s.lastT);
  return store;
}

test('per route and overall: requests, errors, error rate, percentiles, throughput, queries per request', () => {
  const msgs = [hello(1)];
  // GET /posts: 100 requests 10 ms apart, latency 1..100 ms, 3 queries each, every 10th a 500
  for (let i = 0; i < 100; i++) {
    msgs.push(...request({ t: T0 + 1000 + i * 10, route: '/posts', durationMs: i + 1, queries: 3, status: i % 10 === 9 ? 500 : 200 }));
  }
  // POST /sessions: 20 requests, no queries, 2 ms each
  for (let i = 0; i < 20; i++) msgs.push(...request({ t: T0 + 1005 + i * 50, method: 'POST', route: '/sessions', durationMs: 2 }));
  // a query outside any request counts in the run's total only
  msgs.push({ type: 'query', pid: 1, t: T0 + 5, durationMs: 1, db: 'sqlite', text: 'PRAGMA x', scope: null, callsite: null, error: false });
  const f = core.computeFigures(storeOf(msgs).sessions);

  const posts = f.routes['GET /posts'];
  assert.equal(posts.requests, 100);
  assert.equal(posts.errors, 10);
  assert.equal(posts.errorRate, 0.1);
  assert.deepEqual([posts.p50Ms, posts.p95Ms, posts.p99Ms], [50, 95, 99], 'nearest-rank percentiles of 1..100');
  assert.equal(posts.throughputPerS, 100, '99 gaps of 10 ms');
  assert.equal(posts.queries, 300);
  assert.equal(posts.queriesPerRequest, 3);

  const sessions = f.routes['POST /sessions'];
  assert.equal(sessions.requests, 20);
  assert.equal(sessions.queriesPerRequest, 0);
  assert.equal(sessions.errors, 0);

  assert.equal(f.overall.requests, 120);
  assert.equal(f.overall.errors, 10);
  assert.equal(f.overall.queries, 300, 'queries inside requests');
  assert.equal(f.overall.queriesTotal, 301, 'every query');
  assert.equal(f.overall.queriesPerRequest, 2.5);
  // samples kept for compare, aligned per request
  assert.equal(f.samples.routes['GET /posts'].latencyMs.length, 100);
  assert.deepEqual(new Set(f.samples.routes['GET /posts'].queries), new Set([3]));
  assert.equal(f.samples.routes['GET /posts'].gapsMs.length, 99);
  // the timeline counts every request and query once
  assert.equal(f.timeline.requests.reduce((a, b) => a + b, 0), 120);
  assert.equal(f.timeline.errors.reduce((a, b) => a + b, 0), 10);
  assert.equal(f.timeline.queries.reduce((a, b) => a + b, 0), 301);
});

test('a heap slope needs its window: a 2.8 s run says "not enough data", never MB/min from seconds', () => {
  const short = [hello(7)];
  // the case: 2.8 s of samples rising 28 MB would read "603 MB/min" extrapolated
  for (let i = 0; i <= 14; i++) short.push(memory(7, T0 + i * 200, 10e6 + i * 2e6));
  short.push({ type: 'bye', pid: 7, t: T0 + 2800 });
  const f = core.computeFigures(storeOf(short).sessions);
  assert.equal(f.overall.heapSlopeBytesPerMin, null);
  assert.equal(f.overall.heapWindowMs, 2800);
  assert.equal(f.samples.overall.heapSlopeCi, null);
  assert.equal(core.formatRunFigure(f.overall, 'heapSlopeBytesPerMin'), 'not enough data (2.8 s of heap samples; needs 60 s)');
  const md = core.markdownFigures(f);
  assert.match(md, /\| heap slope \| not enough data \(2\.8 s of heap samples; needs 60 s\) \|/);
  assert.doesNotMatch(md, /MB\/min/);
  // the same rise over 60 s and 5 samples is a figure
  const long = [hello(8)];
  for (let i = 0; i <= 6; i++) long.push(memory(8, T0 + i * 10_000, 10e6 + i * 1e6));
  assert.equal(core.computeFigures(storeOf(long).sessions).overall.heapSlopeBytesPerMin, 6e6);
});

test('runtime figures: Theil–Sen heap slope with its interval, peak RSS, GC share, event-loop p99', () => {
  const msgs = [hello(7)];
  // heap grows 1 MB per minute, one sample every 6 s over 5 minutes, with one outlier
  for (let i = 0; i <= 50; i++) {
    const t = T0 + i * 6000;
    const heap = 10e6 + (i * 6000 * 1e6) / 60_000 + (i === 20 ? 40e6 : 0);
    msgs.push(memory(7, t, heap, 50e6 + i * 1000));
    msgs.push({ type: 'eventLoop', pid: 7, t, p50Ms: 1, p99Ms: i === 33 ? 80 : 10 + (i % 3), maxMs: 90, utilization: 0.2 });
  }
  // 300 ms of GC over 300 s of life: 0.1 %
  for (let i = 0; i < 30; i++) msgs.push({ type: 'gc', pid: 7, t: T0 + i * 10_000, kind: i % 5 ? 'minor' : 'major', durationMs: 10 });
  msgs.push({ type: 'bye', pid: 7, t: T0 + 300_000 });
  const f = core.computeFigures(storeOf(msgs).sessions);
  assert.ok(Math.abs(f.overall.heapSlopeBytesPerMin - 1e6) < 1e3, `slope ${f.overall.heapSlopeBytesPerMin}: the outlier does not move it`);
  const [lo, hi] = f.samples.overall.heapSlopeCi;
  assert.ok(lo <= 1e6 && hi >= 1e6 && hi - lo < 1e5, `interval ${lo}..${hi}`);
  assert.equal(f.overall.peakRssBytes, 50e6 + 50 * 1000);
  assert.equal(f.overall.gcShare, 0.001);
  assert.equal(f.overall.eventLoopP99Ms, 80);
  assert.equal(f.overall.requests, 0);
  assert.equal(f.overall.throughputPerS, null);
  assert.equal(f.overall.queriesPerRequest, null);
  assert.deepEqual(f.routes, {});
  assert.equal(f.samples.overall.gcMsPerSecond.length, 300, 'one entry per second of life');
});

test('samples stay bounded on a long run, and figures still count everything', () => {
  const msgs = [hello(1)];
  for (let i = 0; i < 6000; i++) msgs.push(...request({ t: T0 + i, route: '/hot', durationMs: (i % 7) + 1 }));
  const f = core.computeFigures(storeOf(msgs).sessions);
  assert.equal(f.routes['GET /hot'].requests, 6000);
  assert.ok(f.samples.routes['GET /hot'].latencyMs.length <= 2000);
  assert.ok(f.samples.overall.latencyMs.length <= 2000);
  assert.ok(f.timeline.requests.length <= 300);
  assert.ok(JSON.stringify(f).length < 200_000, 'a few hundred KB at most in the report');
});

test('withFigures adds figures once, as a new top-level field after the contract fields', () => {
  const store = storeOf([hello(1), ...request({ t: T0 + 10, durationMs: 3 })]);
  const report = core.buildReport({ sessions: store.sessions, findings: [] });
  const full = core.withFigures(report, store.sessions);
  assert.deepEqual(Object.keys(full), [...Object.keys(report), 'figures']);
  assert.equal(full.version, 1);
  assert.equal(full.figures.routes['GET /posts'].requests, 1);
  assert.equal(core.withFigures(full, []), full, 'kept when already there');
});
