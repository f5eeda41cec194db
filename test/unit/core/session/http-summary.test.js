'use strict';
// An agent's httpSummary (requests that ran no query, folded per route, status and duration
// class) as the session store and everything after it see it: the `http` messages it stands for.
const { CORE } = require('../../../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');

const { expandHttpSummary, SessionStore, buildReport, analyzeSessions } = require(CORE);

const T = 1_700_000_000_000;
const SUMMARY = {
  type: 'httpSummary', pid: 7, t: T + 1000, fromT: T,
  routes: [
    { method: 'GET', route: '/health', status: 200, durationsMs: [0.05, 0.2], counts: [3, 1] },
    { method: 'POST', route: '/orders', status: 503, durationsMs: [12.5], counts: [2] },
  ],
};

test('a summary expands into one http message per request, each class spread evenly over the window', () => {
  const http = expandHttpSummary(SUMMARY);
  assert.equal(http.length, 6);
  for (let i = 1; i < http.length; i++) assert.ok(http[i].t >= http[i - 1].t, 'in time order');
  for (const h of http) {
    assert.equal(h.type, 'http');
    assert.equal(h.pid, 7);
    assert.equal(h.scope, null);
    assert.ok(h.t > T && h.t < T + 1000);
  }
  const fast = http.filter((h) => h.durationMs === 0.05);
  const expected = [1000 / 6, 1000 / 2, 5000 / 6];
  fast.forEach((h, i) => assert.ok(Math.abs(h.t - T - expected[i]) < 1e-3, `${h.t - T} ms into the window`));
  assert.equal(http.find((h) => h.durationMs === 0.2).t, T + 500, 'a class of one sits mid-window');
  assert.deepEqual(http.filter((h) => h.route === '/orders').map((h) => [h.method, h.status, h.durationMs]), [['POST', 503, 12.5], ['POST', 503, 12.5]]);
});

test('a window of no length puts every request at its end', () => {
  const http = expandHttpSummary({ ...SUMMARY, fromT: SUMMARY.t + 5 });
  assert.ok(http.every((h) => h.t === SUMMARY.t));
});

test('the store counts a summary as its requests and its listeners see them as http messages', () => {
  const store = new SessionStore();
  const seen = [];
  store.on('message', (_s, m) => seen.push(m.type));
  store.ingest({ type: 'hello', pid: 7, t: T - 10, protocol: 1, nodeVersion: 'v20.20.2', argv: ['node', 'app.js'], cwd: '/srv' });
  store.ingest({ type: 'http', pid: 7, t: T + 10, method: 'GET', route: '/posts', status: 200, durationMs: 40, scope: '7:1' });
  store.ingest(SUMMARY);
  assert.deepEqual(seen, ['hello', 'http', 'http', 'http', 'http', 'http', 'http', 'http']);
  const s = store.get(7);
  assert.equal(s.httpCount, 7);
  assert.equal(s.httpErrors, 2);
  const report = buildReport({ sessions: [s], findings: analyzeSessions([s]).findings });
  assert.equal(report.processes[0].metrics.http.requests, 7);
  assert.equal(report.processes[0].metrics.http.errors, 2);
  assert.equal(report.processes[0].metrics.http.p50Ms, 0.2, 'the 4th of 7: 0.05 ×3, 0.2, 12.5 ×2, 40');
  assert.equal(report.processes[0].metrics.http.p99Ms, 40);
});
