'use strict';
// formatSummary: the human summary `run` and `analyze` print; findings as file:line:col.
const { CORE } = require('../../../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const { SessionStore, buildReport, formatSummary } = require(CORE);

const T0 = 1_700_000_000_000;
const MB = 1024 * 1024;

function reportOf(findings, { dropped = 0 } = {}) {
  const store = new SessionStore();
  store.ingest({ type: 'hello', pid: 9, t: T0, protocol: 1, nodeVersion: 'v22.3.0', argv: ['/usr/bin/node', '/p/app.js'], cwd: '/p' });
  store.ingest({ type: 'memory', pid: 9, t: T0 + 1000, heapUsed: 10 * MB, heapTotal: 1, rss: 50 * MB, external: 0, arrayBuffers: 0 });
  store.ingest({ type: 'memory', pid: 9, t: T0 + 2000, heapUsed: 30 * MB, heapTotal: 1, rss: 60 * MB, external: 0, arrayBuffers: 0 });
  store.ingest({ type: 'memory', pid: 9, t: T0 + 3000, heapUsed: 20 * MB, heapTotal: 1, rss: 55 * MB, external: 0, arrayBuffers: 0 });
  store.ingest({ type: 'gc', pid: 9, t: T0 + 1500, kind: 'major', durationMs: 4 });
  store.ingest({ type: 'gc', pid: 9, t: T0 + 1600, kind: 'minor', durationMs: 1.5 });
  for (const d of [2, 4, 6]) store.ingest({ type: 'http', pid: 9, t: T0 + 2500, method: 'GET', route: '/', status: d === 6 ? 502 : 200, durationMs: d, scope: null });
  if (dropped) store.ingest({ type: 'dropped', pid: 9, t: T0 + 2600, count: dropped });
  store.ingest({ type: 'bye', pid: 9, t: T0 + 4500 });
  return buildReport({ sessions: store.sessions, findings });
}

const finding = (severity, file, line, column, kind = 'n-plus-one') => ({
  id: `${kind}${line}`, kind, severity, message: `${kind} at ${line}.`, pid: 9,
  location: file ? { file, line, column } : null, related: [], data: {},
});

test('the summary names the processes, their metrics, and says when there is nothing to fix', () => {
  const text = formatSummary(reportOf([]), '/p');
  const lines = text.split('\n');
  assert.equal(lines[0], 'Perf Lens: 1 process over 4.5 s');
  assert.equal(lines[1], '  pid 9  node app.js  (v22.3.0)');
  assert.equal(lines[2], '    heap 10.0 MB → 20.0 MB, peak 30.0 MB  rss peak 60.0 MB  gc 2 (1 major, 5.5 ms)  event loop p99 ≤ 0.0 ms');
  assert.equal(lines[3], '    http 3 requests, 1 errors, p50 4.0 ms p95 6.0 ms p99 6.0 ms  queries 0');
  assert.equal(lines[4], 'No findings.');
  assert.equal(lines.length, 5);
});

test('dropped messages are shown when there were any', () => {
  assert.match(formatSummary(reportOf([], { dropped: 12 }), '/p'), /dropped 12 messages/);
  assert.doesNotMatch(formatSummary(reportOf([]), '/p'), /dropped/);
});

test('findings are listed errors first as file:line:col relative to the root', () => {
  const text = formatSummary(reportOf([
    finding('info', '/p/src/c.js', 3, 1, 'gc-pressure'),
    finding('warning', '/p/src/a.js', 42, 17),
    finding('error', '/p/src/b.js', 7, 2, 'leak'),
    finding('warning', null, 0, 0, 'heap-growth'),
    finding('warning', '/elsewhere/lib.js', 1, 1),
    finding('warning', '/p/..gen/x.js', 5, 6),
  ]), '/p');
  const lines = text.split('\n');
  const at = lines.indexOf('6 findings:');
  assert.ok(at > 0, text);
  assert.deepEqual(lines.slice(at + 1), [
    '  src/b.js:7:2: error leak: leak at 7.',
    '  src/a.js:42:17: warning n-plus-one: n-plus-one at 42.',
    '  pid 9: warning heap-growth: heap-growth at 0.',
    '  /elsewhere/lib.js:1:1: warning n-plus-one: n-plus-one at 1.',
    '  ..gen/x.js:5:6: warning n-plus-one: n-plus-one at 5.',
    '  src/c.js:3:1: info gc-pressure: gc-pressure at 3.',
  ]);
  assert.match(formatSummary(reportOf([finding('error', '/p/a.js', 1, 1)]), '/p'), /\n1 finding:\n/);
});

test('an empty report says so without failing', () => {
  const text = formatSummary(buildReport({ sessions: [], findings: [], startedAt: T0, endedAt: T0 }), '/p');
  assert.equal(text, 'Perf Lens: 0 processes over 0.0 s\nNo findings.');
});
