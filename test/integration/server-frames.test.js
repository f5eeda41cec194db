'use strict';
// SessionServer after authentication: every invalid frame is dropped and counted (server,
// connection, reason) and never closes the connection; good frames keep arriving in order.
const { CORE } = require('../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const WebSocket = require('ws');

const { SessionServer, MAX_FRAME_BYTES } = require(CORE);

const PID = 4321;
const memory = (t) => ({ type: 'memory', pid: PID, t, heapUsed: 1, heapTotal: 2, rss: 3, external: 4, arrayBuffers: 5 });
const hello = { type: 'hello', pid: PID, t: 1, protocol: 1, nodeVersion: 'v22.0.0', argv: ['node', 'a.js'], cwd: '/app' };
const query = { type: 'query', pid: PID, t: 2, durationMs: 1, db: 'postgres', text: 'select 1', scope: null, callsite: null, error: false };

/** A server and one authenticated client; `sentinel()` proves everything sent before was handled. */
async function setup(t) {
  const server = new SessionServer();
  await server.listen();
  const received = [];
  const dropped = [];
  server.on('message', (msg, conn) => received.push({ msg, conn }));
  server.on('frameDropped', (reason) => dropped.push(reason));
  const connected = new Promise((resolve) => server.once('connection', resolve));
  const ws = new WebSocket(server.url, { perMessageDeflate: false });
  ws.on('error', () => {});
  t.after(async () => {
    ws.terminate();
    await server.close();
  });
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  ws.send(JSON.stringify({ type: 'auth', token: server.token, protocol: 1 }));
  const conn = await connected;
  let n = 0;
  /** Sends a good message and waits for it: frames on one connection are handled in order. */
  async function sentinel() {
    const t = 1e12 + ++n;
    const arrived = new Promise((resolve) => {
      const on = (msg) => {
        if (msg.type === 'memory' && msg.t === t) {
          server.off('message', on);
          resolve(msg);
        }
      };
      server.on('message', on);
    });
    ws.send(JSON.stringify(memory(t)));
    await arrived;
  }
  return { server, conn, ws, received, dropped, sentinel };
}

/** Frames the server must drop, each with the reason it reports. */
const withField = (msg, field, value) => JSON.stringify({ ...msg, [field]: value });
const without = (msg, field) => {
  const copy = { ...msg };
  delete copy[field];
  return JSON.stringify(copy);
};
const BAD_FRAMES = [
  ['bad JSON', '{"type":"memory", pid: 1}', 'frame is not valid JSON'],
  ['truncated JSON', JSON.stringify(memory(1)).slice(0, -1), 'frame is not valid JSON'],
  ['binary garbage', { data: Buffer.from([0xc3, 0x28, 0x00, 0xff]), binary: true }, 'frame is not valid JSON'],
  ['a JSON number', '42', 'message is not an object'],
  ['a JSON array', JSON.stringify([memory(1)]), 'message is not an object'],
  ['an unknown type', JSON.stringify({ type: 'telemetry', pid: PID, t: 1 }), 'unknown message type "telemetry"'],
  ['a second auth frame', JSON.stringify({ type: 'auth', token: 'x', protocol: 1 }), 'unknown message type "auth"'],
  ['a string where a number goes', withField(memory(1), 'heapUsed', '1024'), 'memory.heapUsed is missing or has the wrong type'],
  ['a number where a string goes', withField(query, 'text', 12), 'query.text is missing or has the wrong type'],
  ['a float pid', withField(memory(1), 'pid', 12.5), 'memory.pid is missing or has the wrong type'],
  ['a pid past 2^53', withField(memory(1), 'pid', 2 ** 53 + 2), 'memory.pid is missing or has the wrong type'],
  ['1e400 (Infinity after parsing)', JSON.stringify(memory(1)).replace('"rss":3', '"rss":1e400'), 'memory.rss is missing or has the wrong type'],
  ['a missing required field', without(hello, 'cwd'), 'hello.cwd is missing or has the wrong type'],
  ['null where not nullable', withField(query, 'error', null), 'query.error is missing or has the wrong type'],
  ['a bad enum value', withField(query, 'db', 'oracle'), 'query.db is missing or has the wrong type'],
  ['an argv of 257 items', withField(hello, 'argv', Array(257).fill('x')), 'hello.argv is missing or has the wrong type'],
  ['a bad callsite', withField(query, 'callsite', { file: 'a.js', line: '3', column: 1 }), 'query.callsite is missing or has the wrong type'],
  [
    'a batch with one bad message',
    JSON.stringify({ type: 'batch', messages: [memory(1), memory(2), { ...memory(3), external: 'x' }, memory(4)] }),
    'memory.external is missing or has the wrong type',
  ],
  ['a batch whose messages is not an array', JSON.stringify({ type: 'batch', messages: { 0: memory(1) } }), 'batch.messages is not an array'],
  ['a batch without messages', JSON.stringify({ type: 'batch' }), 'batch.messages is not an array'],
];

for (const [what, frame, reason] of BAD_FRAMES) {
  test(`after auth, ${what} is dropped, counted, and the connection keeps delivering`, async (t) => {
    const { server, conn, ws, received, dropped, sentinel } = await setup(t);
    await sentinel();
    received.length = 0;
    ws.send(frame.data ?? frame, { binary: !!frame.binary });
    await sentinel();
    assert.deepEqual(dropped, [reason]);
    assert.equal(server.stats.framesDropped, 1);
    assert.equal(conn.framesDropped, 1);
    const reasons = Object.entries(server.stats.dropReasons);
    assert.equal(reasons.length, 1);
    assert.equal(reasons[0][1], 1);
    // nothing of the bad frame got through: only the sentinel arrived
    assert.deepEqual(received.map((r) => r.msg.type), ['memory']);
    assert.equal(received[0].msg.t > 1e12, true);
    assert.equal(server.stats.messages, 2);
    assert.equal(conn.messages, 2);
    assert.equal(ws.readyState, WebSocket.OPEN);
    // and it still delivers several good frames afterwards
    ws.send(JSON.stringify(hello));
    ws.send(JSON.stringify({ type: 'batch', messages: [memory(10), memory(11)] }));
    await sentinel();
    assert.deepEqual(received.map((r) => r.msg.type), ['memory', 'hello', 'memory', 'memory', 'memory']);
    assert.equal(conn.pid, PID);
    assert.equal(server.stats.framesDropped, 1);
  });
}

test('frames over 1 MiB are dropped and counted; one of exactly 1 MiB is read', async (t) => {
  const { server, conn, ws, received, dropped, sentinel } = await setup(t);
  const frameOf = (bytes) => {
    const base = JSON.stringify({ ...query, text: '' });
    return base.replace('"text":""', `"text":"${'s'.repeat(bytes - Buffer.byteLength(base))}"`);
  };
  const exact = frameOf(MAX_FRAME_BYTES);
  const over = frameOf(MAX_FRAME_BYTES + 1);
  const far = frameOf(4 * MAX_FRAME_BYTES);
  assert.equal(Buffer.byteLength(exact), MAX_FRAME_BYTES);
  ws.send(over);
  ws.send(exact);
  ws.send(far);
  ws.send(Buffer.from(over), { binary: true });
  await sentinel();
  assert.deepEqual(dropped, [
    `frame of ${MAX_FRAME_BYTES + 1} bytes is over the limit`,
    `frame of ${4 * MAX_FRAME_BYTES} bytes is over the limit`,
    `frame of ${MAX_FRAME_BYTES + 1} bytes is over the limit`,
  ]);
  assert.equal(server.stats.framesDropped, 3);
  assert.equal(conn.framesDropped, 3);
  assert.deepEqual(received.map((r) => r.msg.type), ['query', 'memory']);
  assert.equal(received[0].msg.text, JSON.parse(exact).text);
  assert.deepEqual(server.stats.dropReasons, { 'frame of N bytes is over the limit': 3 });
  assert.equal(ws.readyState, WebSocket.OPEN);
});

test('dropReasons groups reasons without echoing what the peer sent, and stays small', async (t) => {
  const { server, ws, sentinel } = await setup(t);
  ws.send(JSON.stringify({ type: 'a', pid: 1, t: 1 }));
  ws.send(JSON.stringify({ type: 'b', pid: 1, t: 1 }));
  ws.send(JSON.stringify({ type: 'c"d', pid: 1, t: 1 }));
  ws.send(JSON.stringify({ type: 'x'.repeat(100) + '1', pid: 1, t: 1 }));
  ws.send(JSON.stringify({ type: 'x'.repeat(100) + '2', pid: 1, t: 1 }));
  ws.send(JSON.stringify(memory('1')));
  ws.send(JSON.stringify(memory('2')));
  await sentinel();
  assert.equal(server.stats.framesDropped, 7);
  assert.deepEqual(server.stats.dropReasons, {
    'unknown message type …': 5,
    'memory.t is missing or has the wrong type': 2,
  });
  // many distinct oversized frames, many distinct garbage types: still a handful of keys
  for (let i = 0; i < 200; i++) ws.send(JSON.stringify({ type: `t${i}"\\"${'q'.repeat(i)}`, pid: 1, t: 1 }));
  for (let i = 1; i <= 5; i++) ws.send('x'.repeat(MAX_FRAME_BYTES + i));
  await sentinel();
  assert.equal(server.stats.framesDropped, 212);
  const keys = Object.keys(server.stats.dropReasons);
  assert.ok(keys.length <= 4, `dropReasons has ${keys.length} keys: ${keys.slice(0, 5).join(' | ')}`);
  assert.equal(Object.values(server.stats.dropReasons).reduce((a, b) => a + b, 0), 212);
});

test('10 000 malformed frames sent fast: no crash, exactly 10 000 drops, the next good message arrives', async (t) => {
  const { server, conn, ws, received, sentinel } = await setup(t);
  const kinds = [
    '{', 'null', '[]', '{"type":"nope"}', JSON.stringify({ ...memory(1), pid: 'x' }),
    JSON.stringify({ type: 'batch', messages: [memory(1), {}] }), JSON.stringify({ type: 'batch', messages: 1 }),
  ];
  for (let i = 0; i < 10_000; i++) {
    if (i % 997 === 0) ws.send(Buffer.from([i & 0xff, 0xfe]), { binary: true });
    else ws.send(kinds[i % kinds.length]);
  }
  await sentinel();
  assert.equal(server.stats.framesDropped, 10_000);
  assert.equal(conn.framesDropped, 10_000);
  assert.equal(Object.values(server.stats.dropReasons).reduce((a, b) => a + b, 0), 10_000);
  assert.deepEqual(received.map((r) => r.msg.type), ['memory']);
  assert.equal(server.stats.messages, 1);
  assert.equal(ws.readyState, WebSocket.OPEN);
});

test('a batch of 1000 valid messages arrives whole and in order, one event per message', async (t) => {
  const { server, conn, ws, received, sentinel } = await setup(t);
  const messages = [hello];
  for (let i = 0; i < 999; i++) messages.push(i % 2 ? memory(1000 + i) : { ...query, t: 1000 + i, text: `select ${i}` });
  ws.send(JSON.stringify({ type: 'batch', messages }));
  await sentinel();
  assert.equal(received.length, 1001);
  assert.deepEqual(received.slice(0, 1000).map((r) => r.msg), messages);
  assert.ok(received.every((r) => r.conn === conn));
  assert.equal(server.stats.messages, 1001);
  assert.equal(conn.messages, 1001);
  assert.equal(conn.pid, PID, 'the hello of a batch names the connection');
  assert.equal(server.stats.framesDropped, 0);
});

test('two connections are counted apart; disconnect names the connection with its pid', async (t) => {
  const { server, conn: a, ws: wsA, sentinel } = await setup(t);
  const connected = new Promise((resolve) => server.once('connection', resolve));
  const wsB = new WebSocket(server.url);
  wsB.on('error', () => {});
  t.after(() => wsB.terminate());
  await new Promise((resolve) => wsB.once('open', resolve));
  wsB.send(JSON.stringify({ type: 'auth', token: server.token, protocol: 1 }));
  const b = await connected;
  wsB.send('garbage');
  wsB.send(JSON.stringify({ ...hello, pid: 99 }));
  wsA.send(JSON.stringify(hello));
  const gone = new Promise((resolve) => server.once('disconnect', resolve));
  await sentinel();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(b.framesDropped, 1);
  assert.equal(a.framesDropped, 0);
  assert.equal(b.pid, 99);
  assert.equal(server.agents.length, 2);
  wsB.close();
  assert.equal(await gone, b);
  assert.deepEqual(server.agents, [a]);
  assert.equal(server.stats.framesDropped, 1);
});
