'use strict';
// An agent's gcSummary (minor GCs folded into duration classes) as the session store, the
// recording and the report see it: the `gc` messages it stands for.
const { CORE } = require('../../../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');

const { expandGcSummary, expandSummary, SessionStore, buildReport, analyzeSessions, postGcPoints } = require(CORE);

const T = 1_700_000_000_000;
const SUMMARY = {
  type: 'gcSummary', pid: 9, t: T + 1000, fromT: T,
  pauses: [{ kind: 'minor', durationsMs: [0.1, 0.45], counts: [4, 1] }],
};

test('a summary expands into one minor gc per collection, each class spread over the window', () => {
  const gcs = expandGcSummary(SUMMARY);
  assert.equal(gcs.length, 5);
  for (let i = 1; i < gcs.length; i++) assert.ok(gcs[i].t >= gcs[i - 1].t, 'in time order');
  for (const g of gcs) {
    assert.deepEqual(Object.keys(g).sort(), ['durationMs', 'kind', 'pid', 't', 'type']);
    assert.equal(g.type, 'gc');
    assert.equal(g.kind, 'minor');
    assert.equal(g.pid, 9);
  }
  assert.deepEqual(gcs.filter((g) => g.durationMs === 0.1).map((g) => g.t - T), [125, 375, 625, 875]);
  assert.equal(gcs.find((g) => g.durationMs === 0.45).t, T + 500);
  assert.equal(expandSummary(SUMMARY).length, 5);
  assert.equal(expandSummary({ type: 'bye', pid: 9, t: T }), null, 'other messages are not summaries');
});

test('the store keeps the folded GCs as gc messages; the report counts them and their pause time', () => {
  const store = new SessionStore();
  const seen = [];
  store.on('message', (_s, m) => seen.push(m.type));
  store.ingest({ type: 'hello', pid: 9, t: T - 10, protocol: 1, nodeVersion: 'v20.20.2', argv: ['node', 'app.js'], cwd: '/srv' });
  store.ingest({ type: 'gc', pid: 9, t: T + 900, kind: 'major', durationMs: 6, heapUsedAfter: 30e6 });
  store.ingest(SUMMARY);
  assert.deepEqual(seen, ['hello', 'gc', 'gc', 'gc', 'gc', 'gc', 'gc']);
  const s = store.get(9);
  assert.equal(s.gc.length, 6);
  // only the major GC says how big the heap was after it: the leak trend reads it alone
  assert.deepEqual(postGcPoints(s), [{ x: T + 900, y: 30e6 }]);
  const report = buildReport({ sessions: [s], findings: analyzeSessions([s]).findings });
  const gc = report.processes[0].metrics.gc;
  assert.equal(gc.length, 6);
  assert.equal(gc.filter((g) => g.kind === 'minor').length, 5);
  assert.ok(Math.abs(gc.reduce((a, g) => a + g.durationMs, 0) - (6 + 0.4 + 0.45)) < 1e-9);
});
