'use strict';
// Verdict statistics of `compare`: a change is better or worse only when the interval from the
// samples clears the smallest change that matters; noise alone stays "same".
const { CORE } = require('../../../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { T0, APP, hello, request } = require('../../../fixtures/reporting/messages');

const core = require(CORE);

/** Log-normal-ish latencies with a fixed seed, like a real route's: most fast, a long tail. */
function latencies(n, medianMs, seed) {
  let a = seed >>> 0;
  const rand = () => ((a = (a * 1664525 + 1013904223) >>> 0) / 4294967296);
  return Array.from({ length: n }, () => {
    const z = Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
    return Math.round(medianMs * Math.exp(0.5 * z) * 1000) / 1000;
  });
}

/** A report of one process: `routes` is { 'GET /x': { lat: [...], queries: n, errors: k } }. */
function report(routes, findings = []) {
  const store = new core.SessionStore();
  store.ingest(hello(1));
  let t = T0 + 100;
  for (const [key, r] of Object.entries(routes)) {
    const [method, route] = key.split(' ');
    r.lat.forEach((d, i) => {
      const cache = r.hits === undefined ? undefined : i < r.hits ? [1, 0] : [0, 1];
      for (const m of request({ t: (t += 5), method, route, durationMs: d, queries: r.queries ?? 0, status: i < (r.errors ?? 0) ? 500 : 200, cache })) store.ingest(m);
    });
  }
  store.disconnected(1, t);
  return core.withFigures(core.buildReport({ sessions: store.sessions, findings }), store.sessions);
}

const change = (scope, figure) => scope.changes.find((c) => c.figure === figure);

test('two samples of the same distribution: every figure the same, no regression', () => {
  const base = report({ 'GET /a': { lat: latencies(400, 20, 1), queries: 2 }, 'GET /b': { lat: latencies(200, 5, 2) } });
  const head = report({ 'GET /a': { lat: latencies(400, 20, 3), queries: 2 }, 'GET /b': { lat: latencies(200, 5, 4) } });
  const c = core.compareReports(base, head);
  const verdicts = [c.overall, ...c.routes].flatMap((s) => s.changes.map((x) => `${s.scope} ${x.figure} ${x.verdict}`));
  assert.deepEqual(verdicts.filter((v) => !v.endsWith(' same')), []);
  assert.equal(c.regressions, 0);
  // the interval of a judged figure straddles zero
  const p50 = change(c.routes[0], 'p50Ms');
  assert.ok(p50.interval[0] < 0 && p50.interval[1] > 0, JSON.stringify(p50));
});

test('a route 50 % slower is worse, with an interval that excludes no change; the other route stays the same', () => {
  const base = report({ 'GET /a': { lat: latencies(400, 20, 1) }, 'GET /b': { lat: latencies(200, 5, 2) } });
  const head = report({ 'GET /a': { lat: latencies(400, 30, 3) }, 'GET /b': { lat: latencies(200, 5, 4) } });
  const c = core.compareReports(base, head);
  const a = c.routes.find((s) => s.scope === 'GET /a');
  assert.equal(change(a, 'p50Ms').verdict, 'worse');
  assert.ok(change(a, 'p50Ms').interval[0] > 2, 'the whole interval above the smallest change that matters');
  assert.equal(change(c.routes.find((s) => s.scope === 'GET /b'), 'p50Ms').verdict, 'same');
  assert.ok(c.regressions >= 1);
  // the reverse is an improvement
  const back = core.compareReports(head, base);
  assert.equal(change(back.routes.find((s) => s.scope === 'GET /a'), 'p50Ms').verdict, 'better');
});

test('a tail percentile needs a tail: p99 of 100 requests is not judged, p99 of 1000 is', () => {
  const small = core.compareReports(report({ 'GET /a': { lat: latencies(100, 10, 1) } }), report({ 'GET /a': { lat: latencies(100, 40, 2) } }));
  assert.equal(change(small.routes[0], 'p99Ms').verdict, 'same');
  assert.match(change(small.routes[0], 'p99Ms').note, /too few samples/);
  assert.equal(change(small.routes[0], 'p50Ms').verdict, 'worse');
  const big = core.compareReports(report({ 'GET /a': { lat: latencies(1000, 10, 1) } }), report({ 'GET /a': { lat: latencies(1000, 40, 2) } }));
  assert.equal(change(big.routes[0], 'p99Ms').verdict, 'worse');
});

test('queries per request: an N+1 fixed is better; error rate from counts: 0 → 10 % of 300 is worse, 0 → 1 is the same', () => {
  const lat = latencies(300, 3, 9);
  const c = core.compareReports(report({ 'GET /p': { lat, queries: 21 } }), report({ 'GET /p': { lat, queries: 2 } }));
  const q = change(c.routes[0], 'queriesPerRequest');
  assert.deepEqual([q.base, q.head, q.verdict], [21, 2, 'better']);
  assert.equal(change(c.overall, 'queriesPerRequest').verdict, 'better');
  const errs = core.compareReports(report({ 'GET /p': { lat } }), report({ 'GET /p': { lat, errors: 30 } }));
  assert.equal(change(errs.routes[0], 'errorRate').verdict, 'worse');
  const one = core.compareReports(report({ 'GET /p': { lat } }), report({ 'GET /p': { lat, errors: 1 } }));
  assert.equal(change(one.routes[0], 'errorRate').verdict, 'same');
});

test('cache hit rate from counts: 90 % → 50 % of 300 reads is worse, 90 % → 88 % the same, no reads not judged', () => {
  const lat = latencies(300, 3, 11);
  const c = core.compareReports(report({ 'GET /p': { lat, hits: 270 } }), report({ 'GET /p': { lat, hits: 150 } }));
  const route = change(c.routes[0], 'cacheHitRate');
  assert.deepEqual([route.base, route.head, route.verdict], [0.9, 0.5, 'worse']);
  assert.equal(change(c.overall, 'cacheHitRate').verdict, 'worse');
  assert.ok(c.regressions >= 2);
  assert.equal(change(core.compareReports(report({ 'GET /p': { lat, hits: 150 } }), report({ 'GET /p': { lat, hits: 270 } })).routes[0], 'cacheHitRate').verdict, 'better');
  assert.equal(change(core.compareReports(report({ 'GET /p': { lat, hits: 270 } }), report({ 'GET /p': { lat, hits: 264 } })).routes[0], 'cacheHitRate').verdict, 'same');
  const none = change(core.compareReports(report({ 'GET /p': { lat } }), report({ 'GET /p': { lat } })).routes[0], 'cacheHitRate');
  assert.deepEqual([none.base, none.head, none.verdict, none.note], [null, null, 'same', 'not measured in both runs']);
});

test('new and fixed findings by id; routes only on one side are marked, not judged', () => {
  const f = (id, severity = 'warning') => ({ id, kind: 'n-plus-one', severity, message: `finding ${id}`, pid: 1, location: { file: APP, line: 3, column: 1 }, related: [], data: {} });
  const base = report({ 'GET /old': { lat: latencies(20, 3, 1) } }, [f('kept'), f('fixed')]);
  const head = report({ 'GET /new': { lat: latencies(20, 3, 2) } }, [f('kept'), f('new'), f('note', 'info')]);
  const c = core.compareReports(base, head);
  assert.deepEqual(c.newFindings.map((x) => x.id), ['new', 'note']);
  assert.deepEqual(c.fixedFindings.map((x) => x.id), ['fixed']);
  assert.equal(c.regressions, 1, 'a new warning is a regression, a new info is not');
  assert.deepEqual(c.routes.map((s) => [s.scope, s.presence]), [['GET /new', 'new'], ['GET /old', 'gone']]);
  assert.ok(c.routes.every((s) => s.changes.every((x) => x.verdict === 'same')));
});

test('a report without figures cannot be compared, and says so', () => {
  const plain = { version: 1, tool: { name: 'perf-lens', version: '0.1.0' }, startedAt: '', endedAt: '', processes: [], findings: [] };
  assert.throws(() => core.compareReports(plain, plain, {}, ['old.json', 'new.json']), /old\.json has no key figures/);
  assert.throws(() => core.compareReports({ hello: 1 }, plain, {}, ['x.json', 'y.json']), /x\.json is not a Perf Lens JSON report/);
});

test('the Markdown of a comparison: a table per scope with the interval and verdict, new and fixed findings', () => {
  const base = report({ 'GET /p': { lat: latencies(300, 3, 9), queries: 21 } }, [{ id: 'n1', kind: 'n-plus-one', severity: 'error', message: 'N+1 query', pid: 1, location: { file: APP, line: 24, column: 5 }, related: [], data: {} }]);
  const head = report({ 'GET /p': { lat: latencies(300, 3, 9), queries: 2 } });
  const md = core.formatComparisonMarkdown(core.compareReports(base, head), '/srv/shop', ['base.json', 'head.json']);
  assert.match(md, /^# Perf Lens comparison\n\n`base\.json` → `head\.json`: 2 better, 0 worse, 0 new findings, 1 fixed: no regression\./);
  assert.match(md, /### `GET \/p`\n\n\| figure \| base \| head \| change \| 95 % interval of the change \| verdict \|/);
  assert.match(md, /\| queries per request \| 21 \| 2 \| −19 \(−90 %\) \| −19 … −19 \| \*\*better\*\* \|/);
  assert.match(md, /## Fixed findings \(1\)\n\n- \*\*error\*\* `app\.js:24:5` n-plus-one: N\+1 query/);
  assert.match(md, /## New findings \(0\)\n\nNone\./);
});
