'use strict';
// Wire validation (src/protocol/validate.ts through dist/core.js): every message type, every
// field kind, and the frame/batch/auth decoders. A frame that fails is dropped whole with a
// reason a developer can read.
const { CORE } = require('../../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const core = require(CORE);
const { validateMessage, decodeFrame, readAuthFrame, MESSAGE_TYPES, MAX_FRAME_BYTES } = core;

const loc = { file: '/app/src/a.js', line: 3, column: 7 };
/** One valid message of every type (optional fields left out). */
const VALID = {
  hello: { type: 'hello', pid: 10, t: 1.5, protocol: 1, nodeVersion: 'v22.1.0', argv: ['/usr/bin/node', '/app/a.js'], cwd: '/app' },
  memory: { type: 'memory', pid: 10, t: 2, heapUsed: 1, heapTotal: 2, rss: 3, external: 4, arrayBuffers: 5 },
  gc: { type: 'gc', pid: 10, t: 2, kind: 'major', durationMs: 0.5 },
  eventLoop: { type: 'eventLoop', pid: 10, t: 2, p50Ms: 1, p99Ms: 2, maxMs: 3, utilization: 0.5 },
  cpu: { type: 'cpu', pid: 10, t: 2, userMs: 1, systemMs: 1, percent: 12.5 },
  http: { type: 'http', pid: 10, t: 2, method: 'GET', route: '/posts', status: 200, durationMs: 3.1, scope: null },
  httpSummary: {
    type: 'httpSummary', pid: 10, t: 2000, fromT: 1000,
    routes: [{ method: 'GET', route: '/health', status: 200, durationsMs: [0.051, 0.12], counts: [900, 3] }],
  },
  gcSummary: {
    type: 'gcSummary', pid: 10, t: 2000, fromT: 1000,
    pauses: [{ kind: 'minor', durationsMs: [0.12, 0.4], counts: [95, 2] }],
  },
  query: { type: 'query', pid: 10, t: 2, durationMs: 1.2, db: 'postgres', text: 'select 1', scope: null, callsite: null, error: false },
  listen: { type: 'listen', pid: 10, t: 2, port: 3000, address: '127.0.0.1' },
  pools: { type: 'pools', pid: 10, t: 2, pools: [{ id: 1, driver: 'pg-pool', max: 2, size: 2, inUse: 1, waiting: 0 }] },
  dropped: { type: 'dropped', pid: 10, t: 2, count: 4 },
  bye: { type: 'bye', pid: 10, t: 2 },
  heapMeasure: { type: 'heapMeasure', pid: 10, t: 2, round: 0, heapUsed: 1, heapTotal: 2, rss: 3, external: 4, arrayBuffers: 5 },
  heapSites: {
    type: 'heapSites', pid: 10, t: 2, intervalBytes: 32768, totalBytes: 1e6,
    sites: [{ name: 'grow', url: '/app/a.js', line: 3, column: 1, bytes: 5e5, count: 12 }],
  },
  result: { type: 'result', pid: 10, t: 2, id: 1, ok: true },
};

/** Required fields per type and their kind: what a wrong value looks like for each. */
const REQUIRED = {
  hello: { pid: 'int', t: 'number', protocol: 'int', nodeVersion: 'string', argv: 'string[]', cwd: 'string' },
  memory: { pid: 'int', t: 'number', heapUsed: 'number', heapTotal: 'number', rss: 'number', external: 'number', arrayBuffers: 'number' },
  gc: { pid: 'int', t: 'number', kind: 'enum', durationMs: 'number' },
  eventLoop: { pid: 'int', t: 'number', p50Ms: 'number', p99Ms: 'number', maxMs: 'number', utilization: 'number' },
  cpu: { pid: 'int', t: 'number', userMs: 'number', systemMs: 'number', percent: 'number' },
  http: { pid: 'int', t: 'number', method: 'string', route: 'string', status: 'int', durationMs: 'number', scope: 'nullable-string' },
  httpSummary: { pid: 'int', t: 'number', fromT: 'number', routes: 'summaryRoute[]' },
  gcSummary: { pid: 'int', t: 'number', fromT: 'number', pauses: 'gcPauses[]' },
  query: {
    pid: 'int', t: 'number', durationMs: 'number', db: 'enum', text: 'string',
    scope: 'nullable-scope', callsite: 'nullable-location', error: 'boolean',
  },
  listen: { pid: 'int', t: 'number', port: 'int', address: 'string' },
  pools: { pid: 'int', t: 'number', pools: 'poolStats[]' },
  dropped: { pid: 'int', t: 'number', count: 'int' },
  bye: { pid: 'int', t: 'number' },
  heapMeasure: { pid: 'int', t: 'number', round: 'int', heapUsed: 'number', heapTotal: 'number', rss: 'number', external: 'number', arrayBuffers: 'number' },
  heapSites: { pid: 'int', t: 'number', intervalBytes: 'number', totalBytes: 'number', sites: 'heapSite[]' },
  result: { pid: 'int', t: 'number', id: 'int', ok: 'boolean' },
};

/** Values of the wrong kind for a field kind (JSON-representable unless noted). */
const WRONG = {
  int: ['12', 1.5, true, [], {}, 2 ** 53, -(2 ** 53), null],
  number: ['1', true, [], {}, null],
  string: [1, true, [], {}, null],
  boolean: [0, 1, 'true', null, []],
  'string[]': ['a', [1], ['a', null], {}, null],
  enum: ['MAJOR', 'nope', 1, null],
  'nullable-string': [1, true, {}],
  'heapSite[]': [
    null, {}, [{ name: 'f', url: 'u', line: 1, column: 1, bytes: '1', count: 1 }],
    [{ name: 'f', url: 'u', line: 1.5, column: 1, bytes: 1, count: 1 }], [{ url: 'u', line: 1, column: 1, bytes: 1, count: 1 }],
  ],
  'summaryRoute[]': [
    null, {}, [null], [{ route: '/', status: 200, durationsMs: [1], counts: [1] }],
    [{ method: 'GET', route: '/', status: 200.5, durationsMs: [1], counts: [1] }],
    // classes and counts must pair up; a class holds at least one request, a duration is ≥ 0
    [{ method: 'GET', route: '/', status: 200, durationsMs: [1, 2], counts: [1] }],
    [{ method: 'GET', route: '/', status: 200, durationsMs: [1], counts: [0] }],
    [{ method: 'GET', route: '/', status: 200, durationsMs: [1], counts: [1.5] }],
    [{ method: 'GET', route: '/', status: 200, durationsMs: [-1], counts: [1] }],
    [{ method: 'GET', route: '/', status: 200, durationsMs: ['1'], counts: [1] }],
    // at most a million requests in one message: it cannot expand into more
    [{ method: 'GET', route: '/', status: 200, durationsMs: [1, 2], counts: [600_000, 400_001] }],
  ],
  'poolStats[]': [
    null, {}, [null], [{ id: 1, driver: 'pg-pool', max: 2, size: 2, inUse: 1 }],
    [{ id: 1, driver: 'pg-pool', max: 0, size: 2, inUse: 1, waiting: 0 }],
    [{ id: 1, driver: 7, max: 2, size: 2, inUse: 1, waiting: 0 }],
  ],
  'gcPauses[]': [
    null, {}, [null], [{ durationsMs: [1], counts: [1] }],
    [{ kind: 'Minor', durationsMs: [1], counts: [1] }],
    [{ kind: 'minor', durationsMs: [1, 2], counts: [1] }],
    [{ kind: 'minor', durationsMs: [1], counts: [0] }],
    [{ kind: 'minor', durationsMs: [-0.5], counts: [1] }],
    // one entry per kind at most, and at most a million collections in all
    Array.from({ length: 5 }, () => ({ kind: 'minor', durationsMs: [1], counts: [1] })),
    [{ kind: 'minor', durationsMs: [1, 2], counts: [600_000, 400_001] }],
  ],
  'nullable-scope': ['s1', 1, { id: 's1' }, { name: 'x' }, { id: 1, name: 'x' }, []],
  'nullable-location': [
    'a.js:1:1', {}, { file: 'a.js', line: 1 }, { file: 'a.js', line: 1.5, column: 1 },
    { file: 'a.js', line: '1', column: 1 }, { file: 1, line: 1, column: 1 }, { file: 'a', line: -1, column: 1 },
  ],
};

const expectRejected = (msg, reason) => {
  const v = validateMessage(msg);
  assert.equal(v.ok, false, `accepted ${JSON.stringify(msg).slice(0, 200)}`);
  if (reason) assert.equal(v.reason, reason);
  return v;
};
const expectAccepted = (msg) => {
  const v = validateMessage(msg);
  assert.equal(v.ok, true, `rejected ${JSON.stringify(msg).slice(0, 200)}: ${v.reason}`);
  assert.equal(v.value, msg, 'the validated message is the object received, untouched');
};

test('the schema table covers exactly the message types of the protocol', () => {
  assert.deepEqual([...MESSAGE_TYPES].sort(), Object.keys(VALID).sort());
});

test('one valid message of every type is accepted as is', () => {
  for (const msg of Object.values(VALID)) expectAccepted(msg);
});

test('a missing required field is rejected and the reason names type and field', () => {
  for (const [type, fields] of Object.entries(REQUIRED)) {
    for (const field of Object.keys(fields)) {
      const msg = { ...VALID[type] };
      delete msg[field];
      expectRejected(msg, `${type}.${field} is missing or has the wrong type`);
    }
  }
});

test('a required field of the wrong kind is rejected, for every field of every type', () => {
  for (const [type, fields] of Object.entries(REQUIRED)) {
    for (const [field, kind] of Object.entries(fields)) {
      for (const bad of WRONG[kind]) {
        expectRejected({ ...VALID[type], [field]: bad }, `${type}.${field} is missing or has the wrong type`);
      }
    }
  }
});

test('null is accepted only where the protocol says nullable', () => {
  expectAccepted({ ...VALID.http, scope: null });
  expectAccepted({ ...VALID.query, scope: null, callsite: null });
  expectRejected({ ...VALID.query, text: null }, 'query.text is missing or has the wrong type');
  expectRejected({ ...VALID.memory, heapUsed: null }, 'memory.heapUsed is missing or has the wrong type');
  expectRejected({ ...VALID.hello, argv: null }, 'hello.argv is missing or has the wrong type');
  // optional is not nullable
  expectRejected({ ...VALID.hello, ppid: null }, 'hello.ppid is missing or has the wrong type');
  expectRejected({ ...VALID.bye, exitCode: null }, 'bye.exitCode is missing or has the wrong type');
});

test('pid and other int fields take whole numbers only; number fields take fractions and huge values', () => {
  expectRejected({ ...VALID.memory, pid: 10.5 }, 'memory.pid is missing or has the wrong type');
  expectRejected({ ...VALID.memory, pid: Number.MAX_SAFE_INTEGER + 1 });
  expectAccepted({ ...VALID.memory, pid: Number.MAX_SAFE_INTEGER });
  expectAccepted({ ...VALID.memory, pid: 10.0 }); // 10.0 is 10 in JSON and JS
  expectAccepted({ ...VALID.memory, heapUsed: 1e308, t: 1.7e12 + 0.25 });
  expectAccepted({ ...VALID.memory, rss: -1 }); // the validator checks types, not plausibility
  expectRejected({ ...VALID.memory, heapUsed: Infinity }, 'memory.heapUsed is missing or has the wrong type');
  expectRejected({ ...VALID.memory, heapUsed: NaN }, 'memory.heapUsed is missing or has the wrong type');
  expectRejected({ ...VALID.http, status: 200.5 }, 'http.status is missing or has the wrong type');
});

test('numbers too large for a double parse to Infinity in JSON and are rejected', () => {
  const text = JSON.stringify(VALID.memory).replace('"heapUsed":1', '"heapUsed":1e400');
  assert.match(text, /1e400/);
  const d = decodeFrame(text);
  assert.deepEqual(d, { ok: false, reason: 'memory.heapUsed is missing or has the wrong type' });
  const huge = JSON.stringify(VALID.memory).replace('"heapUsed":1', '"heapUsed":1e308');
  assert.equal(decodeFrame(huge).ok, true);
});

test('optional fields are accepted when right and rejected when of the wrong kind', () => {
  const fullHello = {
    ...VALID.hello, ppid: 1, execArgv: ['--inspect'], startedAt: 1.5, via: 'attach', heapLimit: 4e9, isClusterWorker: true,
  };
  expectAccepted(fullHello);
  for (const [field, bad] of [['ppid', 1.5], ['execArgv', 'x'], ['startedAt', '1'], ['via', 'ssh'], ['heapLimit', '1'], ['isClusterWorker', 1]]) {
    expectRejected({ ...fullHello, [field]: bad }, `hello.${field} is missing or has the wrong type`);
  }
  const fullQuery = {
    ...VALID.query, scope: { id: 's1', name: 'GET /posts' }, callsite: loc, params: ['1', 'a'], stack: [loc, loc], truncated: true,
  };
  expectAccepted(fullQuery);
  for (const [field, bad] of [['params', [1]], ['stack', [loc, { file: 'x' }]], ['stack', loc], ['truncated', 'yes']]) {
    expectRejected({ ...fullQuery, [field]: bad }, `query.${field} is missing or has the wrong type`);
  }
  expectAccepted({ ...VALID.result, ok: false, error: 'unknown command', data: { any: ['thing'] } });
  expectAccepted({ ...VALID.result, data: null }); // data is 'any'
  expectRejected({ ...VALID.result, error: 5 }, 'result.error is missing or has the wrong type');
  expectAccepted({ ...VALID.gc, heapUsedAfter: 5 });
  expectRejected({ ...VALID.gc, heapUsedAfter: '5' }, 'gc.heapUsedAfter is missing or has the wrong type');
  expectAccepted({ ...VALID.bye, exitCode: 1 });
  expectRejected({ ...VALID.http, path: 1 }, 'http.path is missing or has the wrong type');
});

test('every enum value is accepted and nothing else', () => {
  for (const kind of ['minor', 'major', 'incremental', 'weakcb']) expectAccepted({ ...VALID.gc, kind });
  for (const db of ['postgres', 'mysql', 'sqlite', 'mongodb', 'redis', 'other']) expectAccepted({ ...VALID.query, db });
  expectRejected({ ...VALID.query, db: 'Postgres' }, 'query.db is missing or has the wrong type');
  expectAccepted({ ...VALID.hello, via: 'launch' });
});

test('lists hold at most 256 items', () => {
  const strings = (n) => Array.from({ length: n }, (_, i) => `a${i}`);
  expectAccepted({ ...VALID.hello, argv: strings(256) });
  expectRejected({ ...VALID.hello, argv: strings(257) }, 'hello.argv is missing or has the wrong type');
  expectRejected({ ...VALID.hello, execArgv: strings(257) }, 'hello.execArgv is missing or has the wrong type');
  expectAccepted({ ...VALID.query, params: strings(256) });
  expectRejected({ ...VALID.query, params: strings(257) }, 'query.params is missing or has the wrong type');
  expectAccepted({ ...VALID.query, stack: Array(256).fill(loc) });
  expectRejected({ ...VALID.query, stack: Array(257).fill(loc) }, 'query.stack is missing or has the wrong type');
  expectAccepted({ ...VALID.hello, argv: [] });
});

test('non-objects and unknown types are rejected with a short reason', () => {
  for (const v of [null, 1, 'hello', true, [], [VALID.bye]]) expectRejected(v, 'message is not an object');
  expectRejected({ pid: 1, t: 1 }, 'unknown message type "undefined"');
  expectRejected({ ...VALID.bye, type: 'nope' }, 'unknown message type "nope"');
  expectRejected({ ...VALID.bye, type: 7 }, 'unknown message type "7"');
  // names inherited from Object.prototype are not message types
  for (const type of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) expectRejected({ ...VALID.bye, type });
  // batch and auth are frames, not messages
  expectRejected({ type: 'batch', messages: [] }, 'unknown message type "batch"');
  expectRejected({ type: 'auth', token: 'x', protocol: 1 }, 'unknown message type "auth"');
  const long = expectRejected({ ...VALID.bye, type: 'x'.repeat(5000) });
  assert.ok(long.reason.length < 80, `the reason echoes at most a short piece of the type: ${long.reason.length} chars`);
});

test('extra fields are kept (extensions add optional fields) but cannot replace required ones', () => {
  expectAccepted({ ...VALID.memory, futureField: { nested: true } });
});

test('decodeFrame: a single message, a batch, and every way a frame is dropped', () => {
  assert.deepEqual(decodeFrame(JSON.stringify(VALID.memory)), { ok: true, messages: [VALID.memory] });
  assert.deepEqual(decodeFrame(Buffer.from(JSON.stringify(VALID.bye))), { ok: true, messages: [VALID.bye] });
  const all = Object.values(VALID);
  assert.deepEqual(decodeFrame(JSON.stringify({ type: 'batch', messages: all })), { ok: true, messages: all });
  assert.deepEqual(decodeFrame('{"type":"batch","messages":[]}'), { ok: true, messages: [] });

  assert.deepEqual(decodeFrame('{"type":"memory",'), { ok: false, reason: 'frame is not valid JSON' });
  assert.deepEqual(decodeFrame(''), { ok: false, reason: 'frame is not valid JSON' });
  assert.deepEqual(decodeFrame(Buffer.from([0xff, 0x00, 0x12])), { ok: false, reason: 'frame is not valid JSON' });
  assert.deepEqual(decodeFrame('null'), { ok: false, reason: 'message is not an object' });
  assert.deepEqual(decodeFrame('[1,2]'), { ok: false, reason: 'message is not an object' });
  for (const messages of [undefined, null, {}, 'x', 3]) {
    assert.deepEqual(decodeFrame(JSON.stringify({ type: 'batch', messages })), { ok: false, reason: 'batch.messages is not an array' });
  }
  // one bad message drops the whole batch, wherever it is
  for (const at of [0, 5, all.length]) {
    const messages = [...all];
    messages.splice(at, 0, { ...VALID.memory, rss: 'big' });
    assert.deepEqual(decodeFrame(JSON.stringify({ type: 'batch', messages })), {
      ok: false, reason: 'memory.rss is missing or has the wrong type',
    });
  }
  // batches do not nest
  const nested = { type: 'batch', messages: [{ type: 'batch', messages: [VALID.bye] }] };
  assert.deepEqual(decodeFrame(JSON.stringify(nested)), { ok: false, reason: 'unknown message type "batch"' });
});

test('decodeFrame: frames over MAX_FRAME_BYTES (counted in bytes, not chars) are dropped before parsing', () => {
  assert.equal(MAX_FRAME_BYTES, 1024 * 1024);
  const pad = (n, ch) => JSON.stringify({ ...VALID.query, text: '' }).replace('"text":""', `"text":"${ch.repeat(n)}"`);
  const base = Buffer.byteLength(pad(0, 'a'));
  const exact = pad(MAX_FRAME_BYTES - base, 'a');
  assert.equal(Buffer.byteLength(exact), MAX_FRAME_BYTES);
  assert.equal(decodeFrame(exact).ok, true, 'a frame of exactly the limit is read');
  const over = pad(MAX_FRAME_BYTES - base + 1, 'a');
  assert.deepEqual(decodeFrame(over), { ok: false, reason: `frame of ${MAX_FRAME_BYTES + 1} bytes is over the limit` });
  assert.equal(decodeFrame(Buffer.from(over)).ok, false);
  // 'é' is two bytes: under the limit in chars, over it in bytes
  const multi = pad(Math.ceil((MAX_FRAME_BYTES - base) / 2) + 1, 'é');
  assert.ok(multi.length < MAX_FRAME_BYTES);
  assert.equal(decodeFrame(multi).ok, false);
});

test('readAuthFrame: only a JSON auth frame with a string token and an integer protocol', () => {
  assert.deepEqual(readAuthFrame('{"type":"auth","token":"abc","protocol":1}'), { type: 'auth', token: 'abc', protocol: 1 });
  assert.deepEqual(readAuthFrame(Buffer.from('{"type":"auth","token":"","protocol":9}')), { type: 'auth', token: '', protocol: 9 });
  for (const bad of [
    '', 'abc', 'null', '[]', '{"type":"auth"}', '{"type":"auth","token":"abc"}', '{"type":"auth","token":1,"protocol":1}',
    '{"type":"auth","token":"abc","protocol":"1"}', '{"type":"auth","token":"abc","protocol":1.5}',
    '{"type":"hello","token":"abc","protocol":1}', '{"token":"abc","protocol":1}', JSON.stringify(VALID.hello),
  ]) {
    assert.equal(readAuthFrame(bad), null, bad);
  }
  assert.equal(readAuthFrame(Buffer.from([0xde, 0xad, 0xbe, 0xef])), null);
  // an auth frame is small: a huge one is not read at all
  assert.equal(readAuthFrame(JSON.stringify({ type: 'auth', token: 'a'.repeat(5000), protocol: 1 })), null);
});

test('decodeFrame: http rows of a batch come out as the http messages they stand for, each in its place', () => {
  const hello = { type: 'hello', pid: 10, t: 9, protocol: 1, nodeVersion: 'v20.1.0', argv: ['node'], cwd: '/' };
  const gc = { type: 'gc', pid: 10, t: 1, kind: 'major', durationMs: 0.5 };
  const bye = { type: 'bye', pid: 10, t: 6 };
  const frame = {
    type: 'batch',
    messages: [hello, gc, bye],
    http: { pid: 10, rows: [[1, 2, 'GET', '/users/:id', 200, 1.25, '10:1', '/users/7'], [2, 3, 'POST', '/s', 500, 0.5, null], [4, 5, 'GET', '/', 304, 0.001, '10:3']] },
  };
  const d = decodeFrame(JSON.stringify(frame));
  assert.equal(d.ok, true, d.reason);
  // The order of the batch is kept exactly, whatever the times say (hello first, bye last).
  assert.deepEqual(d.messages, [
    hello,
    { type: 'http', pid: 10, t: 2, method: 'GET', route: '/users/:id', status: 200, durationMs: 1.25, scope: '10:1', path: '/users/7' },
    { type: 'http', pid: 10, t: 3, method: 'POST', route: '/s', status: 500, durationMs: 0.5, scope: null, path: '/s' },
    gc,
    { type: 'http', pid: 10, t: 5, method: 'GET', route: '/', status: 304, durationMs: 0.001, scope: '10:3', path: '/' },
    bye,
  ]);
  // Rows alone, with no other message, are a batch too.
  const only = decodeFrame(JSON.stringify({ type: 'batch', messages: [], http: { pid: 3, rows: [[0, 1, 'GET', '/', 200, 1, null]] } }));
  assert.equal(only.ok, true, only.reason);
  assert.deepEqual(only.messages, [{ type: 'http', pid: 3, t: 1, method: 'GET', route: '/', status: 200, durationMs: 1, scope: null, path: '/' }]);
});

test('decodeFrame: one bad http row drops the whole batch, with a reason', () => {
  const good = [0, 1, 'GET', '/', 200, 1, null];
  const cases = [
    [{ pid: 1, rows: 'x' }, /http\.rows is not an array/],
    [[good], /batch\.http is not an object/],
    [null, /batch\.http is not an object/],
    [{ pid: 1, rows: [good, [2, 1, 'GET', '/', 200, 1]] }, /7 or 8 fields/],
    [{ pid: 1, rows: [good, [2, ...good.slice(1), '/p', 'extra']] }, /7 or 8 fields/],
    [{ pid: 1, rows: [good, { t: 1 }] }, /7 or 8 fields/],
    [{ pid: 1, rows: [[0, 1, 'GET', '/', '200', 1, null]] }, /http\.status/],
    [{ pid: 1, rows: [[0, 1, 'GET', '/', 200, 1, 7]] }, /http\.scope/],
    [{ pid: 1, rows: [[0, 1, 'GET', '/', 200, 1, null, 9]] }, /http\.path/],
    [{ pid: 1.5, rows: [good] }, /http\.pid/],
    [{ rows: [good] }, /http\.pid/],
    // places: out of the batch, repeated, going back, not a whole number
    [{ pid: 1, rows: [[2, 1, 'GET', '/', 200, 1, null]] }, /no valid place/],
    [{ pid: 1, rows: [good, good] }, /no valid place/],
    [{ pid: 1, rows: [[1, 1, 'GET', '/', 200, 1, null], good] }, /no valid place/],
    [{ pid: 1, rows: [[0.5, 1, 'GET', '/', 200, 1, null]] }, /no valid place/],
    [{ pid: 1, rows: [[-1, 1, 'GET', '/', 200, 1, null]] }, /no valid place/],
  ];
  for (const [http, reason] of cases) {
    const d = decodeFrame(JSON.stringify({ type: 'batch', messages: [VALID.memory], http }));
    assert.equal(d.ok, false, JSON.stringify(http));
    assert.match(d.reason, reason, JSON.stringify(http));
  }
});

test('a query\'s cache counts are non-negative integers; its pool wait a non-negative number, its pool size a count', () => {
  const q = { type: 'query', pid: 1, t: 1, durationMs: 0.2, db: 'redis', text: 'GET user:1', scope: null, callsite: null, error: false };
  assert.equal(validateMessage({ ...q, cacheHits: 1, cacheMisses: 0 }).ok, true);
  assert.equal(validateMessage({ ...q, db: 'postgres', poolWaitMs: 12.5, poolMax: 2 }).ok, true);
  for (const bad of [{ cacheHits: -1 }, { cacheMisses: 1.5 }, { cacheHits: '1' }, { poolWaitMs: -0.1 }, { poolWaitMs: Infinity }, { poolMax: 1.5 }]) {
    const r = validateMessage({ ...q, ...bad });
    assert.equal(r.ok, false, JSON.stringify(bad));
    assert.match(r.reason, /cache(Hits|Misses)|pool(WaitMs|Max)/);
  }
});

test('a pools message: counts that are non-negative integers, a max or null, a short driver name', () => {
  const pool = { id: 1, driver: 'pg-pool', max: 2, size: 2, inUse: 2, waiting: 3 };
  const msg = (pools) => ({ type: 'pools', pid: 1, t: 1, pools });
  assert.equal(validateMessage(msg([pool, { ...pool, id: 2, max: null }])).ok, true);
  assert.equal(validateMessage(msg([])).ok, true);
  for (const bad of [{ waiting: -1 }, { inUse: 1.5 }, { max: 0 }, { driver: 'x'.repeat(40) }, { id: '1' }]) {
    const r = validateMessage(msg([{ ...pool, ...bad }]));
    assert.equal(r.ok, false, JSON.stringify(bad));
    assert.match(r.reason, /pools/);
  }
  assert.equal(validateMessage(msg(Array.from({ length: 65 }, (_, i) => ({ ...pool, id: i })))).ok, false, 'at most 64 pools');
});
