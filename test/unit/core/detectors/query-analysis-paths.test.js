'use strict';
// The shortcuts an analysis takes over a big session (small scopes looked at only for keys
// that are an N+1 elsewhere, reads compared pair by pair before any Map, scopes named from the
// http messages in one pass) give the findings the plain paths give.
const { CORE } = require('../../../helpers/build');
const { test } = require('node:test');
const assert = require('node:assert/strict');

const core = require(CORE);
const { detectQueryFindings, queryDetector, scopeNamesFromHttp, Session } = core;

const FILE = '/app/src/routes/posts.js';
const T0 = 1_700_000_000_000;
const noFiles = { readSource: () => undefined };

function q(t, text, { scope, line = 20, column = 5, params, durationMs = 3, file = FILE } = {}) {
  return {
    type: 'query', pid: 7, t: T0 + t, durationMs, db: 'postgres', text, scope,
    callsite: { file, line, column }, error: false, ...(params ? { params } : {}),
  };
}
const http = (t, scope, route, durationMs, method = 'GET') => ({ type: 'http', pid: 7, t: T0 + t, method, route, status: 200, durationMs, scope });
const ofKind = (findings, kind) => findings.filter((f) => f.kind === kind);

/** A request running the comments query `n` times after one list query. */
function request(id, start, n, { name = 'GET /raw', ms = 3 } = {}) {
  const scope = { id, name };
  const out = [q(start, 'SELECT * FROM posts LIMIT 10', { scope, line: 12 })];
  for (let i = 0; i < n; i++) out.push(q(start + 5 + i * 4, 'SELECT * FROM comments WHERE post_id = $1', { scope, params: [String(i)], durationMs: ms }));
  return out;
}

test('requests that ran the loop fewer times than an N+1 takes still count in its route', () => {
  const queries = [...request('a', 0, 8), ...request('b', 1000, 2), ...request('c', 2000, 1), ...request('d', 3000, 0)];
  const names = new Map(['a', 'b', 'c', 'd'].map((id) => [id, 'GET /posts']));
  const [f, ...rest] = ofKind(detectQueryFindings(7, queries, { ...noFiles, scopeNames: names }), 'n-plus-one');
  assert.equal(rest.length, 0);
  assert.equal(f.data.count, 8);
  assert.deepEqual(f.data.routes.map((r) => [r.scope, r.requests, r.count, r.minCount]), [['GET /posts', 1, 8, 1]]);
  assert.ok(f.message.includes('ran 8 times in GET /posts (the most of 3 requests)'), f.message);
});

test('two call sites taking turns in one loop are two N+1s, each with its own count', () => {
  const scope = { id: 'r', name: 'GET /feed' };
  const queries = [q(0, 'SELECT * FROM posts LIMIT 10', { scope, line: 12 })];
  for (let i = 0; i < 6; i++) {
    queries.push(q(5 + i * 10, 'SELECT * FROM users WHERE id = $1', { scope, line: 30, params: [String(i)] }));
    queries.push(q(8 + i * 10, 'SELECT * FROM users WHERE id = $1', { scope, line: 31, params: [String(i)] }));
    if (i < 5) queries.push(q(9 + i * 10, 'SELECT * FROM tags WHERE post_id = $1', { scope, line: 30, column: 40, params: [String(i)] }));
  }
  const found = ofKind(detectQueryFindings(7, queries, noFiles), 'n-plus-one');
  assert.deepEqual(found.map((f) => [f.location.line, f.location.column, f.data.fingerprint, f.data.count]), [
    [30, 5, 'select * from users where id = ?', 6],
    [30, 40, 'select * from tags where post_id = ?', 5],
    [31, 5, 'select * from users where id = ?', 6],
  ]);
});

test('duplicates are found in small scopes (compared pair by pair) and big ones alike; distinct values are none', () => {
  const read = (scope, t, id, line = 44) => q(t, 'SELECT * FROM settings WHERE user_id = $1', { scope, line, params: [id] });
  const small = { id: 's', name: 'GET /small' };
  const big = { id: 'b', name: 'GET /big' };
  const distinct = { id: 'd', name: 'GET /distinct' };
  const queries = [
    read(small, 0, '1'), read(small, 1, '2'), read(small, 2, '1'), read(small, 3, '1'),
    ...Array.from({ length: 12 }, (_, i) =>
      i % 4 === 0 ? read(big, 100 + i, '9', 45) : q(100 + i, `SELECT * FROM table_${i} WHERE id = $1`, { scope: big, line: 50 + i, params: ['9'] })),
    read(distinct, 200, '1', 46), read(distinct, 201, '2', 46), read(distinct, 202, '3', 46),
  ];
  const found = ofKind(detectQueryFindings(7, queries, noFiles), 'duplicate-query');
  assert.deepEqual(found.map((f) => [f.location.line, f.data.count, f.data.scope]), [[44, 3, 'GET /small'], [45, 3, 'GET /big']]);
  assert.deepEqual(ofKind(detectQueryFindings(7, queries, { ...noFiles, duplicateMinCount: 2 }), 'duplicate-query').map((f) => f.data.count), [3, 3]);
});

test('a session names its scopes and times its requests from the http messages as the maps do', () => {
  const s = new Session(7);
  const messages = [
    // the last http message of r1 has no duration: its earlier one counts
    ...request('r1', 0, 10, { ms: 12 }), http(60, 'r1', '/posts', 150), http(61, 'r1', '/posts/again', NaN),
    // an agent's burst with an http message is a request, one without is work outside any
    ...request('b1', 1000, 6, { name: 'burst', ms: 12 }), http(1060, 'b1', '/jobs', 400, 'POST'),
    ...request('b2', 2000, 7, { name: 'burst', ms: 12 }),
    // no http message at all: the agent's name stays
    ...request('r3', 3000, 5, { name: 'GET /raw/3', ms: 12 }),
    http(3100, null, '/health', 1),
  ].sort((a, b) => a.t - b.t);
  for (const m of messages) s.ingest(m);

  const found = ofKind(queryDetector(s, {}), 'n-plus-one');
  assert.equal(found.length, 1);
  const [f] = found;
  assert.deepEqual(f.data.routes.map((r) => [r.scope, r.count]), [
    ['GET /posts/again', 10],
    ['outside any request', 7],
    ['POST /jobs', 6],
    ['GET /raw/3', 5],
  ]);
  assert.equal(f.data.requestMs, 150);
  assert.equal(f.data.costMs, 120);

  const all = s.http.toArray();
  const durations = new Map();
  for (const h of all) if (h.scope && Number.isFinite(h.durationMs)) durations.set(h.scope, h.durationMs);
  const viaMaps = detectQueryFindings(7, s.queries.toArray(), { scopeNames: scopeNamesFromHttp(all), scopeDurations: durations });
  assert.deepEqual(queryDetector(s, {}), viaMaps);
});
