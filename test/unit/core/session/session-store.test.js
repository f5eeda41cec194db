'use strict';
// Session (one process's bounded streams) and SessionStore (one session per process, fed by
// the server or by a recording).
const { CORE } = require('../../../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const { Session, SessionStore, DEFAULT_SESSION_LIMITS } = require(CORE);

const T0 = 1_700_000_000_000;
const hello = (pid, t = T0, extra = {}) => ({
  type: 'hello', pid, t, protocol: 1, nodeVersion: 'v22.3.0', argv: ['/usr/local/bin/node', '/srv/app/server.js', '--port', '3000'], cwd: '/srv/app', ...extra,
});
const memory = (pid, t, heapUsed = 100) => ({ type: 'memory', pid, t, heapUsed, heapTotal: 200, rss: 300, external: 4, arrayBuffers: 5 });
const http = (pid, t, status = 200, durationMs = 1) => ({ type: 'http', pid, t, method: 'GET', route: '/', status, durationMs, scope: null });
const query = (pid, t, callsite = null) => ({ type: 'query', pid, t, durationMs: 1, db: 'sqlite', text: 'select 1', scope: null, callsite, error: false });
const bye = (pid, t, exitCode) => ({ type: 'bye', pid, t, ...(exitCode === undefined ? {} : { exitCode }) });
const dropped = (pid, t, count) => ({ type: 'dropped', pid, t, count });

test('Session.command: executable name, then arguments with the script relative to cwd', () => {
  const s = new Session(1);
  assert.equal(s.command, 'pid 1', 'before hello the pid stands in');
  s.ingest(hello(1));
  assert.equal(s.command, 'node server.js --port 3000');
  const cases = [
    [['/usr/bin/node'], '/x', 'node'],
    [['C:\\Program Files\\nodejs\\node.exe', 'C:\\app\\a.js'], 'D:\\', 'node.exe C:\\app\\a.js'],
    [['/usr/bin/node', '/srv/other/b.js'], '/srv/app', 'node /srv/other/b.js'],
    [['/usr/bin/node', '/srv/app-2/b.js'], '/srv/app', 'node /srv/app-2/b.js'], // a sibling dir is not inside cwd
    [['/usr/bin/node', '/srv/app/lib/c.js', '/srv/app/data.json'], '/srv/app', 'node lib/c.js data.json'],
    [['node', 'relative.js'], '/srv/app', 'node relative.js'],
  ];
  for (const [argv, cwd, want] of cases) {
    const x = new Session(2);
    x.ingest(hello(2, T0, { argv, cwd }));
    assert.equal(x.command, want, JSON.stringify(argv));
  }
});

test('Session keeps each stream in its buffer and counts http, errors, queries and drops', () => {
  const s = new Session(7);
  s.ingest(hello(7, T0));
  s.ingest(memory(7, T0 + 1000));
  s.ingest({ type: 'gc', pid: 7, t: T0 + 1100, kind: 'major', durationMs: 2 });
  s.ingest({ type: 'eventLoop', pid: 7, t: T0 + 1200, p50Ms: 1, p99Ms: 2, maxMs: 3, utilization: 0.1 });
  s.ingest({ type: 'cpu', pid: 7, t: T0 + 1300, userMs: 1, systemMs: 1, percent: 5 });
  for (const status of [200, 404, 500, 503, 499]) s.ingest(http(7, T0 + 1400, status));
  s.ingest(query(7, T0 + 1500));
  s.ingest({ type: 'listen', pid: 7, t: T0 + 1600, port: 3000, address: '127.0.0.1' });
  s.ingest({ type: 'heapMeasure', pid: 7, t: T0 + 1700, round: 0, heapUsed: 1, heapTotal: 2, rss: 3, external: 4, arrayBuffers: 5 });
  s.ingest(dropped(7, T0 + 1800, 3));
  s.ingest(dropped(7, T0 + 1900, 4));
  s.ingest({ type: 'result', pid: 7, t: T0 + 1950, id: 1, ok: true });
  assert.equal(s.memory.length, 1);
  assert.equal(s.gc.length, 1);
  assert.equal(s.eventLoop.length, 1);
  assert.equal(s.cpu.length, 1);
  assert.equal(s.http.length, 5);
  assert.equal(s.httpCount, 5);
  assert.equal(s.httpErrors, 2, '5xx only');
  assert.equal(s.queryCount, 1);
  assert.equal(s.listens.length, 1);
  assert.equal(s.heapMeasures.length, 1);
  assert.equal(s.agentDropped, 7);
  assert.equal(s.dropped, 7);
  s.framesDropped = 2;
  assert.equal(s.dropped, 9);
  assert.equal(s.startedAt, T0);
  assert.equal(s.firstT, T0);
  assert.equal(s.lastT, T0 + 1950);
  assert.equal(s.ended, false);
  s.ingest(bye(7, T0 + 2000, 0));
  assert.equal(s.ended, true);
  assert.equal(s.endedAt, T0 + 2000);
  assert.equal(s.exitCode, 0);
});

test('Session limits: a full buffer drops its oldest, while totals keep counting', () => {
  const limits = { ...DEFAULT_SESSION_LIMITS, http: 3, memory: 2 };
  const s = new Session(1, limits);
  for (let i = 0; i < 10; i++) s.ingest(http(1, T0 + i, 200, i));
  for (let i = 0; i < 5; i++) s.ingest(memory(1, T0 + i, i));
  assert.deepEqual(s.http.toArray().map((h) => h.durationMs), [7, 8, 9]);
  assert.equal(s.httpCount, 10);
  assert.equal(s.http.evicted, 7);
  assert.deepEqual(s.memory.toArray().map((m) => m.heapUsed), [3, 4]);
});

test('Session times: startedAt without hello is the first message, endedAt never precedes the last', () => {
  const s = new Session(3);
  assert.equal(s.startedAt, 0);
  s.ingest(memory(3, T0 + 500));
  s.ingest(memory(3, T0 + 100)); // out of order
  assert.equal(s.startedAt, T0 + 100);
  assert.equal(s.lastT, T0 + 500);
  s.end(T0 + 200, 1);
  assert.equal(s.endedAt, T0 + 500);
  assert.equal(s.exitCode, 1);
  s.end(T0 + 900, 2);
  assert.equal(s.endedAt, T0 + 500, 'a second end changes nothing');
  assert.equal(s.exitCode, 1);
});

test('Session maps query call sites and stacks through the location mapper', () => {
  const map = (l) => ({ file: l.file.replace('/dist/', '/src/').replace(/\.js$/, '.ts'), line: l.line + 10, column: l.column });
  const s = new Session(4, DEFAULT_SESSION_LIMITS, map);
  const loc = { file: '/app/dist/a.js', line: 1, column: 2 };
  const original = { ...query(4, T0, loc), stack: [loc] };
  s.ingest(original);
  s.ingest(query(4, T0 + 1, null));
  const [q1, q2] = s.queries.toArray();
  assert.deepEqual(q1.callsite, { file: '/app/src/a.ts', line: 11, column: 2 });
  assert.deepEqual(q1.stack, [{ file: '/app/src/a.ts', line: 11, column: 2 }]);
  assert.equal(original.callsite, loc, 'the received message is not changed');
  assert.equal(q2.callsite, null);
});

test('SessionStore: one session per pid, events for new sessions and ends', () => {
  const store = new SessionStore();
  const events = [];
  store.on('session', (s) => events.push(['session', s.pid]));
  store.on('end', (s) => events.push(['end', s.pid]));
  let messages = 0;
  store.on('message', () => messages++);
  store.ingest(hello(1));
  store.ingest(hello(2));
  store.ingest(memory(1, T0 + 1));
  store.ingest(memory(2, T0 + 1));
  store.ingest(memory(1, T0 + 2));
  assert.equal(store.sessions.length, 2);
  assert.equal(store.get(1).memory.length, 2);
  assert.equal(store.get(2).memory.length, 1);
  assert.deepEqual(store.liveSessions.map((s) => s.pid), [1, 2]);
  store.ingest(bye(1, T0 + 3, 0));
  assert.deepEqual(store.liveSessions.map((s) => s.pid), [2]);
  assert.equal(store.get(1).ended, true, 'an ended session can still be looked up');
  assert.equal(messages, 6);
  assert.deepEqual(events, [['session', 1], ['session', 2], ['end', 1]]);
  assert.equal(store.get(3), undefined);
});

test('SessionStore: a pid reused after bye starts a new session', () => {
  const store = new SessionStore();
  const first = store.ingest(hello(5, T0));
  store.ingest(bye(5, T0 + 10));
  const second = store.ingest(hello(5, T0 + 20, { argv: ['node', 'other.js'] }));
  assert.notEqual(first, second);
  assert.equal(store.sessions.length, 2);
  assert.equal(store.get(5), second);
  assert.equal(second.command, 'node other.js');
  assert.equal(first.ended, true);
  assert.equal(second.ended, false);
  // a second hello from a live process does not split it
  store.ingest(hello(5, T0 + 30, { argv: ['node', 'other.js'] }));
  assert.equal(store.sessions.length, 2);
});

test('SessionStore: a pid reused after a disconnect (no bye) starts a new session', () => {
  const store = new SessionStore();
  const first = store.ingest(hello(6, T0));
  store.disconnected(6, T0 + 10);
  assert.equal(first.ended, true);
  assert.equal(first.endedAt, T0 + 10);
  const second = store.ingest(hello(6, T0 + 20));
  assert.notEqual(first, second);
  assert.deepEqual(store.liveSessions, [second]);
});

test('SessionStore.disconnected: ends the session once, adds the server\'s dropped frames', () => {
  const store = new SessionStore();
  const ends = [];
  store.on('end', (s) => ends.push(s.pid));
  const s = store.ingest(hello(8, T0));
  store.ingest(dropped(8, T0 + 1, 2));
  store.disconnected(8, T0 + 5, 3);
  assert.equal(s.ended, true);
  assert.equal(s.framesDropped, 3);
  assert.equal(s.dropped, 5);
  store.disconnected(8, T0 + 6, 0);
  store.disconnected(12345, T0, 1); // unknown pid: nothing happens
  assert.deepEqual(ends, [8]);
  assert.equal(store.sessions.length, 1);
});

test('SessionStore: frames dropped by the server still count when the bye came first', () => {
  // The usual order: the agent says bye, then its connection closes and the server reports
  // how many of its frames it dropped.
  const store = new SessionStore();
  const ends = [];
  store.on('end', (s) => ends.push(s.pid));
  const s = store.ingest(hello(9, T0));
  store.ingest(bye(9, T0 + 5, 0));
  store.disconnected(9, T0 + 6, 4);
  assert.equal(s.framesDropped, 4);
  assert.equal(s.dropped, 4);
  assert.deepEqual(ends, [9], 'ended once');
  assert.equal(s.endedAt, T0 + 5);
});

test('SessionStore: a late message of an ended process joins its session, not a phantom one', () => {
  // `perf-lens run` records the server's drop count as a `dropped` message after the
  // connection closed, which is after the bye; a recording replays it in that order.
  const store = new SessionStore();
  const ends = [];
  store.on('end', (s) => ends.push(s.pid));
  const s = store.ingest(hello(10, T0));
  store.ingest(bye(10, T0 + 5));
  const late = store.ingest(dropped(10, T0 + 5, 6));
  assert.equal(late, s);
  assert.equal(store.sessions.length, 1);
  assert.equal(s.dropped, 6);
  assert.deepEqual(store.liveSessions, []);
  store.ingest(bye(10, T0 + 7));
  assert.deepEqual(ends, [10], 'a repeated bye does not end it twice');
  // a message for a pid never seen still opens a session (its hello may have been lost)
  const orphan = store.ingest(memory(11, T0));
  assert.equal(orphan.pid, 11);
  assert.equal(store.sessions.length, 2);
});

test('SessionStore keeps at most maxEndedSessions ended sessions, dropping the oldest', () => {
  const store = new SessionStore({ maxEndedSessions: 2 });
  const live = store.ingest(hello(100, T0));
  for (let pid = 1; pid <= 5; pid++) {
    store.ingest(hello(pid, T0 + pid));
    store.ingest(bye(pid, T0 + pid + 1));
  }
  store.ingest(hello(6, T0 + 10)); // trimming happens as new sessions arrive
  const pids = store.sessions.map((s) => s.pid);
  assert.ok(pids.includes(100), 'live sessions are never trimmed');
  assert.ok(pids.includes(6));
  assert.deepEqual(pids.filter((p) => p >= 1 && p <= 5), [4, 5]);
  assert.equal(live.ended, false);
});

test('SessionStore passes limits and the location mapper to every session', () => {
  const store = new SessionStore({
    limits: { ...DEFAULT_SESSION_LIMITS, queries: 1 },
    mapLocation: (l) => ({ ...l, line: 99 }),
  });
  store.ingest(query(1, T0, { file: '/a.js', line: 1, column: 1 }));
  store.ingest(query(1, T0 + 1, { file: '/a.js', line: 2, column: 1 }));
  const s = store.get(1);
  assert.equal(s.queries.length, 1);
  assert.equal(s.queryCount, 2);
  assert.equal(s.queries.last().callsite.line, 99);
});
