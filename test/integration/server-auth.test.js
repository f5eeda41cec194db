'use strict';
// SessionServer before authentication: where it listens, its token, and how it refuses a
// peer that does not open with the right auth frame. Real `ws` clients against a real server.
const { CORE } = require('../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const WebSocket = require('ws');

const { SessionServer, tokensMatch, newToken, CLOSE_UNAUTHORIZED, CLOSE_PROTOCOL, CLOSE_AUTH_TIMEOUT } = require(
  CORE,
);

const hello = (pid) => ({ type: 'hello', pid, t: Date.now(), protocol: 1, nodeVersion: process.version, argv: ['node', 'app.js'], cwd: '/app' });

async function startServer(t, options) {
  const server = new SessionServer(options);
  const received = [];
  server.on('message', (msg) => received.push(msg));
  await server.listen();
  t.after(() => server.close());
  return { server, received };
}

/** A raw client; `closed` resolves with the close code and reason the server sent. */
function connect(t, url) {
  const ws = new WebSocket(url);
  const closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const opened = new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.on('error', () => {});
  t.after(() => ws.terminate());
  return { ws, closed, opened };
}

/** Connects, sends `frames` back to back (the first is what the server judges), awaits the close. */
async function sendAndAwaitClose(t, server, frames) {
  const c = connect(t, server.url);
  await c.opened;
  for (const f of frames) c.ws.send(f.data ?? f, { binary: !!f.binary });
  return c.closed;
}

function refusesConnections(host, port) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', (err) => resolve(err.code));
  });
}

test('the server listens on 127.0.0.1 only, on a random port, with a fresh random token', async (t) => {
  const { server: a } = await startServer(t);
  const { server: b } = await startServer(t);
  for (const s of [a, b]) {
    assert.match(s.url, /^ws:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(s.url, `ws://127.0.0.1:${s.port}/`);
    assert.ok(s.port > 1024, `port ${s.port}`);
    assert.match(s.token, /^[A-Za-z0-9_-]{32,}$/, 'the token is long and safe in an environment variable');
  }
  assert.notEqual(a.port, b.port);
  assert.notEqual(a.token, b.token);
  // Linux routes all of 127/8 to loopback: a socket bound to 0.0.0.0 or to the loopback
  // interface as a whole would answer on 127.0.0.2 too; one bound to 127.0.0.1 refuses.
  assert.equal(await refusesConnections('127.0.0.1', a.port), false);
  assert.equal(await refusesConnections('127.0.0.2', a.port), 'ECONNREFUSED');
  const external = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
  if (external) assert.equal(await refusesConnections(external.address, a.port), 'ECONNREFUSED');
  assert.equal(await refusesConnections('::1', a.port), 'ECONNREFUSED');
});

test('an explicit token is used as given', async (t) => {
  const { server } = await startServer(t, { token: 'my-secret-token' });
  assert.equal(server.token, 'my-secret-token');
});

test('tokensMatch compares sha256 digests in constant time: equal, different, different lengths', () => {
  const tok = newToken();
  assert.equal(tokensMatch(tok, tok), true);
  assert.equal(tokensMatch(tok, String(tok)), true);
  assert.equal(tokensMatch(tok, tok.slice(0, -1) + (tok.endsWith('A') ? 'B' : 'A')), false);
  assert.equal(tokensMatch(tok, tok.slice(0, 5)), false, 'a prefix is not a match (and lengths may differ)');
  assert.equal(tokensMatch(tok, tok + 'x'), false);
  assert.equal(tokensMatch(tok, ''), false);
  assert.equal(tokensMatch('', ''), true);
  assert.equal(tokensMatch('é', 'e\u0301'), false, 'compared as bytes, not as normalized text');
  assert.notEqual(newToken(), newToken());
});

test('a peer with the right token and protocol is accepted and its messages are delivered', async (t) => {
  const { server, received } = await startServer(t);
  const connected = new Promise((resolve) => server.once('connection', resolve));
  const got = new Promise((resolve) => server.once('message', resolve));
  const c = connect(t, server.url);
  await c.opened;
  c.ws.send(JSON.stringify({ type: 'auth', token: server.token, protocol: 1 }));
  c.ws.send(JSON.stringify(hello(77)));
  const conn = await connected;
  assert.equal(conn.authenticated, true);
  assert.deepEqual(await got, received[0]);
  assert.equal(received[0].pid, 77);
  assert.equal(conn.pid, 77);
  assert.equal(server.stats.connectionsRefused, 0);
  assert.deepEqual(server.agents, [conn]);
});

/** Every way to open a connection without the token: each is refused with 4001. */
const UNAUTHORIZED = [
  ['no token field', (s) => [JSON.stringify({ type: 'auth', protocol: 1 })]],
  ['a wrong token', (s) => [JSON.stringify({ type: 'auth', token: s.token.slice(0, -2) + 'xx', protocol: 1 })]],
  ['a token of another length', (s) => [JSON.stringify({ type: 'auth', token: s.token + 'x', protocol: 1 })]],
  ['an empty token', (s) => [JSON.stringify({ type: 'auth', token: '', protocol: 1 })]],
  ['a non-JSON first frame', () => ['hello there']],
  ['a binary first frame', () => [{ data: Buffer.from([0x00, 0xff, 0x13, 0x37]), binary: true }]],
  ['a valid message instead of auth', () => [JSON.stringify(hello(5))]],
  ['a batch instead of auth', () => [JSON.stringify({ type: 'batch', messages: [hello(5)] })]],
  ['an empty frame', () => ['']],
];

for (const [what, frames] of UNAUTHORIZED) {
  test(`a peer opening with ${what} is closed with 4001 and nothing it sent is processed`, async (t) => {
    const { server, received } = await startServer(t);
    let connections = 0;
    server.on('connection', () => connections++);
    // Good-looking traffic right behind the bad first frame, even a correct auth frame:
    // none of it may count, because the connection is already refused.
    const follow = [
      JSON.stringify(hello(5)),
      JSON.stringify({ type: 'batch', messages: [hello(6), { type: 'bye', pid: 6, t: 1 }] }),
      JSON.stringify({ type: 'auth', token: server.token, protocol: 1 }),
      JSON.stringify(hello(7)),
    ];
    const close = await sendAndAwaitClose(t, server, [...frames(server), ...follow]);
    assert.equal(close.code, CLOSE_UNAUTHORIZED);
    assert.equal(close.code, 4001);
    assert.equal(close.reason, 'perf-lens: missing or wrong token');
    assert.deepEqual(received, []);
    assert.equal(connections, 0);
    assert.equal(server.stats.messages, 0);
    assert.equal(server.stats.framesDropped, 0, 'refused frames are not data frames');
    assert.equal(server.stats.connectionsRefused, 1, 'one refused connection counts once');
    assert.deepEqual(server.agents, []);
  });
}

test('a peer that sends nothing is closed with 4003 after authTimeoutMs', async (t) => {
  const { server, received } = await startServer(t, { authTimeoutMs: 150 });
  const c = connect(t, server.url);
  await c.opened;
  const close = await c.closed;
  assert.equal(close.code, CLOSE_AUTH_TIMEOUT);
  assert.equal(close.code, 4003);
  assert.equal(close.reason, 'perf-lens: no auth frame in time');
  assert.equal(server.stats.connectionsRefused, 1);
  assert.deepEqual(received, []);
});

test('an authenticated peer is not cut off by the auth timer', async (t) => {
  const { server, received } = await startServer(t, { authTimeoutMs: 100 });
  const c = connect(t, server.url);
  await c.opened;
  c.ws.send(JSON.stringify({ type: 'auth', token: server.token, protocol: 1 }));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(c.ws.readyState, WebSocket.OPEN);
  const got = new Promise((resolve) => server.once('message', resolve));
  c.ws.send(JSON.stringify(hello(9)));
  assert.equal((await got).pid, 9);
  assert.equal(received.length, 1);
  assert.equal(server.stats.connectionsRefused, 0);
});

test('the right token with another protocol version is closed with 4002 naming the version', async (t) => {
  const { server, received } = await startServer(t);
  const close = await sendAndAwaitClose(t, server, [
    JSON.stringify({ type: 'auth', token: server.token, protocol: 2 }),
    JSON.stringify(hello(5)),
  ]);
  assert.equal(close.code, CLOSE_PROTOCOL);
  assert.equal(close.code, 4002);
  assert.equal(close.reason, 'perf-lens: protocol 2 is not supported');
  assert.deepEqual(received, []);
  assert.equal(server.stats.connectionsRefused, 1);
});

test('a peer that closes before sending anything is not counted as refused', async (t) => {
  const { server } = await startServer(t, { authTimeoutMs: 100 });
  const c = connect(t, server.url);
  await c.opened;
  c.ws.close();
  await c.closed;
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(server.stats.connectionsRefused, 0);
});

test('a refused peer does not disturb an authenticated one', async (t) => {
  const { server, received } = await startServer(t);
  const good = connect(t, server.url);
  await good.opened;
  good.ws.send(JSON.stringify({ type: 'auth', token: server.token, protocol: 1 }));
  await sendAndAwaitClose(t, server, ['nope', JSON.stringify(hello(1))]);
  const got = new Promise((resolve) => server.once('message', resolve));
  good.ws.send(JSON.stringify(hello(2)));
  assert.equal((await got).pid, 2);
  assert.deepEqual(received.map((m) => m.pid), [2]);
  assert.equal(server.stats.connectionsRefused, 1);
});

test('connections past maxConnections are refused and counted', async (t) => {
  const { server } = await startServer(t, { maxConnections: 1 });
  const first = connect(t, server.url);
  await first.opened;
  const second = connect(t, server.url);
  const close = await second.closed;
  assert.equal(close.reason, 'perf-lens: too many connections');
  assert.equal(server.stats.connectionsRefused, 1);
  assert.equal(first.ws.readyState, WebSocket.OPEN);
});
