'use strict';
// Query rows on the wire (src/protocol/query-rows.ts, decoded by decodeFrame): what the agent
// writes with QueryRowsWriter comes out of decodeFrame as the very query messages it stood for,
// in their places among the batch's other messages and http rows; a broken row drops the batch.
const { CORE } = require('../../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');

const { decodeFrame, QueryRowsWriter } = require(CORE);

const handler = { file: '/srv/app/src/orders/order-service.js', line: 41, column: 23 };
const loop = { file: '/srv/app/src/orders/order-service.js', line: 37, column: 5 };
const route = { file: '/srv/app/src/routes/orders.js', line: 12, column: 9 };
const knexFrame = { file: '/srv/app/node_modules/knex/lib/execution/runner.js', line: 160, column: 7 };
const scope = { id: '10:4', name: 'GET /orders/:id' };

/** Every field a query message can carry, and the bare minimum. */
const FULL = {
  type: 'query', pid: 10, t: 1796277921115.416, durationMs: 6.661, db: 'redis', text: 'GET user:0:profile', scope, callsite: handler, error: false,
  params: ['#195db374'], stack: [loop, route], orm: 'ioredis', callerLibrary: 'graphql', truncated: true, cacheHits: 0, cacheMisses: 1,
  poolWaitMs: 12.5, poolMax: 2, conn: 3,
};
const BARE = { type: 'query', pid: 10, t: 5, durationMs: 0.25, db: 'postgres', text: 'select 1', scope: null, callsite: null, error: true };
const NO_APP_FRAME = { type: 'query', pid: 10, t: 6, durationMs: 1, db: 'postgres', text: 'select 2', scope, callsite: null, error: false, library: knexFrame, orm: 'knex' };

function frameOf(chunk, extra = {}) {
  const messages = [];
  const writer = new QueryRowsWriter(10);
  chunk.forEach((m, at) => (m.type === 'query' ? writer.add(at, m) : messages.push(m)));
  return { type: 'batch', messages, queries: writer.finish(), ...extra };
}

test('query rows come out as the query messages they stand for, in their places, every field kept', () => {
  const gc = { type: 'gc', pid: 10, t: 1, kind: 'major', durationMs: 0.5 };
  const bye = { type: 'bye', pid: 10, t: 9 };
  const chunk = [FULL, gc, BARE, NO_APP_FRAME, { ...FULL, t: FULL.t + 1, stack: [route] }, bye];
  const d = decodeFrame(JSON.stringify(frameOf(chunk)));
  assert.equal(d.ok, true, d.reason);
  assert.deepEqual(d.messages, chunk);
});

test('each file and each location object is written once however many queries name it', () => {
  const chunk = Array.from({ length: 50 }, (_, i) => ({ ...FULL, t: i, text: `GET user:${i}:profile` }));
  const frame = frameOf(chunk);
  assert.deepEqual(frame.queries.files, ['/srv/app/src/orders/order-service.js', '/srv/app/src/routes/orders.js']);
  assert.equal(frame.queries.locs.length, 3);
  const asRows = JSON.stringify(frame).length;
  const asObjects = JSON.stringify({ type: 'batch', messages: chunk }).length;
  assert.ok(asRows < asObjects / 2, `${asRows} bytes as rows against ${asObjects} as objects`);
  const d = decodeFrame(JSON.stringify(frame));
  assert.equal(d.ok, true, d.reason);
  assert.deepEqual(d.messages, chunk);
});

test('query rows and http rows share one batch, each message in its place', () => {
  const memory = { type: 'memory', pid: 10, t: 3, heapUsed: 1, heapTotal: 2, rss: 3, external: 0, arrayBuffers: 0 };
  const chunk = [BARE, null, memory, FULL, null];
  const frame = frameOf(chunk.filter(Boolean));
  // hand-placed: the query rows at 0 and 3, http rows at 1 and 4, memory at 2
  const writer = new QueryRowsWriter(10);
  writer.add(0, BARE);
  writer.add(3, FULL);
  frame.messages = [memory];
  frame.queries = writer.finish();
  frame.http = { pid: 10, rows: [[1, 2, 'GET', '/a', 200, 1, null], [4, 5, 'GET', '/b', 404, 2, '10:4']] };
  const d = decodeFrame(JSON.stringify(frame));
  assert.equal(d.ok, true, d.reason);
  assert.deepEqual(
    d.messages.map((m) => `${m.type} ${m.t}`),
    ['query 5', 'http 2', 'memory 3', `query ${FULL.t}`, 'http 5'],
  );
});

test('a broken query row drops the whole batch with a reason', () => {
  const good = () => frameOf([FULL]);
  const cases = [
    [(f) => (f.queries = 'x'), /batch\.queries is not an object/],
    [(f) => (f.queries.files = [1]), /files is not an array of strings/],
    [(f) => (f.queries.rows = {}), /locs or rows is not an array/],
    [(f) => (f.queries.locs[0] = [9, 1, 1]), /loc is not \[file index, line, column\]/],
    [(f) => (f.queries.locs[0] = [0, 1]), /loc is not/],
    [(f) => (f.queries.rows[0] = f.queries.rows[0].slice(0, 8)), /9 or 10 fields/],
    [(f) => (f.queries.rows[0][7] = 99), /names no loc of the batch/],
    [(f) => (f.queries.rows[0][9].stack = [0, 42]), /names no loc of the batch/],
    [(f) => (f.queries.rows[0][9].stack = 0), /stack that is not an array/],
    [(f) => (f.queries.rows[0][9].library = -1), /names no loc of the batch/],
    [(f) => (f.queries.rows[0][9] = [1]), /ends in no object/],
    [(f) => (f.queries.rows[0][9].text = 'x'), /repeats text/],
    [(f) => (f.queries.rows[0][8] = true), /error flag other than 0 or 1/],
    [(f) => (f.queries.rows[0][0] = 1), /batch\.queries row has no valid place/],
    [(f) => (f.queries.rows[0][3] = 'oracle'), /query\.db/],
    [(f) => (f.queries.rows[0][6] = null), /query\.scope/],
    [(f) => (f.queries.rows[0][9].cacheHits = -1), /query\.cacheHits/],
    [(f) => (f.queries.pid = 'x'), /query\.pid/],
    [(f) => (f.http = { pid: 10, rows: [[0, 1, 'GET', '/', 200, 1, null]] }), /no valid place/],
  ];
  for (const [breakIt, reason] of cases) {
    const frame = good();
    breakIt(frame);
    const d = decodeFrame(JSON.stringify(frame));
    assert.equal(d.ok, false, breakIt.toString());
    assert.match(d.reason, reason, breakIt.toString());
  }
});
