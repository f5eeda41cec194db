'use strict';
// The session server (dist/core.js, in a process of its own) against bad input: 100 000 random
// and malformed frames, oversized frames, wrong tokens, half-open connections and 1 000
// connections at once. Every frame ends as a delivered message or a counted drop, every
// refused peer gets a close code, and the server process stays up with a heap that plateaus.
const { CORE } = require('../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');
const WebSocket = require('ws');

const { decodeFrame, MAX_FRAME_BYTES } = require(CORE);

// The server process answers each line on stdin with its stats, heap after a full GC, and RSS.
const HOST = `
const { SessionServer } = require(${JSON.stringify(CORE)});
const s = new SessionServer({ authTimeoutMs: 1500 });
let connections = 0;
s.on('connection', () => connections++);
s.listen().then((url) => console.log(JSON.stringify({ url, token: s.token })));
require('node:readline').createInterface({ input: process.stdin }).on('line', () => {
  global.gc();
  const m = process.memoryUsage();
  console.log(JSON.stringify({ stats: s.stats, connections, agents: s.agents.length, heapUsed: m.heapUsed, rss: m.rss, polluted: ({}).polluted === undefined ? false : true }));
});
`;

async function startHost(t) {
  const child = spawn(process.execPath, ['--expose-gc', '-e', HOST], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  const lines = [];
  let waiting = null;
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, i)));
      buf = buf.slice(i + 1);
      if (waiting) waiting();
    }
  });
  const next = () => new Promise((resolve) => (waiting = () => ((waiting = null), resolve(lines.shift()))));
  const { url, token } = await next();
  const state = () => (child.stdin.write('\n'), next());
  /** Polls until the server has handled `n` frames after auth (messages + drops). */
  async function settled(predicate, what, ms = 60_000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const s = await state();
      if (predicate(s)) return s;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s.stats)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { child, url, token, state, settled };
}

async function agent(url, token) {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.on('error', () => {});
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  ws.send(JSON.stringify({ type: 'auth', token, protocol: 1 }));
  return ws;
}

// A seeded generator, so a failure names a reproducible case.
function prng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PID = 99;
const VALID = [
  { type: 'hello', pid: PID, t: 1, protocol: 1, nodeVersion: 'v20.0.0', argv: ['node'], cwd: '/' },
  { type: 'memory', pid: PID, t: 2, heapUsed: 1, heapTotal: 2, rss: 3, external: 4, arrayBuffers: 5 },
  { type: 'gc', pid: PID, t: 3, kind: 'major', durationMs: 1 },
  { type: 'http', pid: PID, t: 4, method: 'GET', route: '/', status: 200, durationMs: 1, scope: null },
  { type: 'query', pid: PID, t: 5, durationMs: 1, db: 'sqlite', text: 'select 1', scope: null, callsite: null, error: false },
  { type: 'dropped', pid: PID, t: 6, count: 1 },
  { type: 'result', pid: PID, t: 7, id: 1, ok: true },
];
const WRONG = ['', 'x', -1, 1.5, 1e308, null, true, [], {}, [[[[]]]], '\u0000', '\ud800', { __proto__: null }];

/** One malformed (or, by chance, valid) frame: string or { binary: Buffer }. */
function fuzzFrame(rnd) {
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const valid = pick(VALID);
  const text = JSON.stringify(valid);
  switch (Math.floor(rnd() * 10)) {
    case 0: // random bytes
      return { binary: Buffer.from(Array.from({ length: Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256))) };
    case 1: // a cut
      return text.slice(0, Math.floor(rnd() * text.length));
    case 2: { // one byte changed
      const i = Math.floor(rnd() * text.length);
      return text.slice(0, i) + String.fromCharCode(Math.floor(rnd() * 128)) + text.slice(i + 1);
    }
    case 3: { // a field of the wrong type
      const keys = Object.keys(valid);
      return JSON.stringify({ ...valid, [pick(keys)]: pick(WRONG) });
    }
    case 4: // deep nesting where a number goes
      return text.replace('"t":', `"t":${'['.repeat(2000 + Math.floor(rnd() * 20000))}1${']'.repeat(1)}`);
    case 5: // an unknown type with hostile text
      return JSON.stringify({ type: `"\\${'\ud83d'.repeat(Math.floor(rnd() * 50))}${rnd()}`, pid: PID, t: 1 });
    case 6: // a batch with one bad message somewhere
      return JSON.stringify({ type: 'batch', messages: [...Array(Math.floor(rnd() * 20)).fill(valid), { ...valid, pid: 'x' }, valid] });
    case 7: // prototype keys
      return text.replace('{', `{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},`);
    case 8: // numbers JSON cannot hold as finite values
      return text.replace(/"t":\d+/, `"t":${pick(['1e400', '-1e400', 'NaN', 'Infinity', '0x10', '01', '-'])}`);
    default: // not JSON at all
      return pick(['', ' ', 'null', 'true', '"str"', '[]', '{}', '{"type":null}', 'undefined', '\u0000\u0000', '{"type":"batch","messages":{}}']);
  }
}

test('100 000 random and malformed frames: each is a delivered message or a counted drop; the heap plateaus', { timeout: 300_000 }, async (t) => {
  const host = await startHost(t);
  const ws = await agent(host.url, host.token);
  await host.settled((s) => s.connections === 1, 'auth');
  const rnd = prng(20251127);
  let expectDropped = 0;
  let expectMessages = 0;
  const heaps = [];
  const ROUNDS = 10;
  const PER_ROUND = 10_000;
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < PER_ROUND; i++) {
      const f = fuzzFrame(rnd);
      const data = typeof f === 'string' ? f : f.binary;
      const d = decodeFrame(data); // what the server must conclude for this exact frame
      if (d.ok) expectMessages += d.messages.length;
      else expectDropped++;
      ws.send(data, { binary: typeof f !== 'string' });
      if (i % 500 === 499) await new Promise((r) => setImmediate(r)); // let the socket drain
    }
    const s = await host.settled((x) => x.stats.framesDropped === expectDropped && x.stats.messages === expectMessages, `round ${round}`);
    heaps.push(s.heapUsed);
  }
  const final = await host.state();
  t.diagnostic(`${ROUNDS * PER_ROUND} frames: ${final.stats.framesDropped} dropped, ${final.stats.messages} delivered; drop reasons ${Object.keys(final.stats.dropReasons).length}; heap after GC per 10k: ${heaps.map((h) => (h / 1048576).toFixed(1)).join(' ')} MB`);
  assert.ok(expectDropped >= 0.85 * ROUNDS * PER_ROUND, 'the fuzz is mostly bad frames');
  assert.equal(final.stats.framesDropped, expectDropped);
  assert.equal(final.stats.messages, expectMessages);
  assert.equal(final.polluted, false, 'no prototype was polluted');
  assert.equal(ws.readyState, WebSocket.OPEN, 'bad frames never close an authenticated connection');
  assert.ok(Object.keys(final.stats.dropReasons).length <= 64, 'the reason table stays small');
  // Plateau: the heap after GC at the end is within a few MB of where it was after 20 000.
  assert.ok(heaps[heaps.length - 1] <= heaps[1] + 8 * 1048576, `heap grew: ${heaps.join(', ')}`);
  ws.terminate();
});

test('oversized frames: up to 16 MiB dropped and counted, past it only that peer is cut off', async (t) => {
  const host = await startHost(t);
  const good = await agent(host.url, host.token);
  const big = await agent(host.url, host.token);
  await host.settled((s) => s.connections === 2, 'auth');
  for (const size of [MAX_FRAME_BYTES + 1, 2 * MAX_FRAME_BYTES, 8 * MAX_FRAME_BYTES, 16 * MAX_FRAME_BYTES]) big.send('x'.repeat(size));
  await host.settled((s) => s.stats.framesDropped === 4, '4 oversized drops');
  const closed = new Promise((resolve) => big.once('close', (code) => resolve(code)));
  big.send(Buffer.alloc(16 * MAX_FRAME_BYTES + 1, 0x20));
  assert.equal(await closed, 1009, 'message too big');
  good.send(JSON.stringify(VALID[1]));
  const s = await host.settled((x) => x.stats.messages === 1 && x.agents === 1, 'the other peer still delivers, alone');
  assert.ok(s.rss < 512 * 1048576, `rss ${s.rss}`);
  good.terminate();
});

test('2 000 wrong tokens in waves: each closed with 4001, nothing delivered, the right token still works', { timeout: 120_000 }, async (t) => {
  const host = await startHost(t);
  const rnd = prng(7);
  const wrong = (i) => {
    switch (i % 8) {
      case 0: return JSON.stringify({ type: 'auth', token: host.token.slice(0, -1), protocol: 1 });
      case 1: return JSON.stringify({ type: 'auth', token: host.token + 'x', protocol: 1 });
      case 2: return JSON.stringify({ type: 'auth', token: '', protocol: 1 });
      case 3: return JSON.stringify({ type: 'auth', token: 'x'.repeat(5000), protocol: 1 });
      case 4: return JSON.stringify({ type: 'auth', token: [host.token], protocol: 1 });
      case 5: return JSON.stringify({ ...VALID[0] }); // data before auth
      case 6: return Buffer.from(host.token); // the token without the frame
      default: return JSON.stringify({ type: 'auth', token: rnd().toString(36), protocol: 1 });
    }
  };
  const codes = new Map();
  for (let wave = 0; wave < 10; wave++) {
    await Promise.all(
      Array.from({ length: 200 }, async (_, j) => {
        const ws = new WebSocket(host.url, { perMessageDeflate: false });
        ws.on('error', () => {});
        await new Promise((r) => ws.once('open', r));
        const code = await new Promise((resolve) => {
          ws.once('close', (c) => resolve(c));
          ws.send(wrong(wave * 200 + j));
        });
        codes.set(code, (codes.get(code) || 0) + 1);
      }),
    );
  }
  assert.deepEqual([...codes], [[4001, 2000]]);
  const s = await host.state();
  assert.equal(s.stats.connectionsRefused, 2000);
  assert.equal(s.stats.messages, 0);
  assert.equal(s.connections, 0);
  const ws = await agent(host.url, host.token);
  ws.send(JSON.stringify(VALID[1]));
  await host.settled((x) => x.stats.messages === 1, 'the right token delivers');
  ws.terminate();
});

test('slow and half-open peers (silent TCP, half an upgrade, upgraded but no auth) do not block a real agent', { timeout: 60_000 }, async (t) => {
  const host = await startHost(t);
  const { port } = new URL(host.url);
  const sockets = [];
  t.after(() => sockets.forEach((s) => s.destroy()));
  const connect = () => new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: Number(port) }, () => resolve(s));
    s.on('error', () => {});
    sockets.push(s);
  });
  for (let i = 0; i < 200; i++) await connect(); // silent
  for (let i = 0; i < 200; i++) (await connect()).write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConn`); // half a request
  const noAuth = [];
  for (let i = 0; i < 200; i++) {
    const ws = new WebSocket(host.url, { perMessageDeflate: false });
    ws.on('error', () => {});
    noAuth.push(new Promise((resolve) => ws.once('close', (c) => resolve(c))));
  }
  // A real agent connects and is served while all of them hang on.
  const ws = await agent(host.url, host.token);
  ws.send(JSON.stringify(VALID[1]));
  await host.settled((x) => x.stats.messages === 1, 'the agent delivers beside 600 slow peers', 10_000);
  // Upgraded peers that never authenticate are closed with 4003 after authTimeoutMs (1.5 s here).
  const codes = await Promise.all(noAuth);
  assert.ok(codes.every((c) => c === 4003), `close codes ${[...new Set(codes)]}`);
  const s = await host.state();
  assert.equal(s.stats.connectionsRefused, 200);
  assert.equal(s.agents, 1);
  ws.terminate();
});

test('1 000 agents at once: all accepted, all delivered, all gone after close; memory returns', { timeout: 120_000 }, async (t) => {
  const host = await startHost(t);
  const before = await host.state();
  const clients = await Promise.all(Array.from({ length: 1000 }, () => agent(host.url, host.token)));
  clients.forEach((ws, i) => ws.send(JSON.stringify({ ...VALID[0], pid: 10_000 + i })));
  const full = await host.settled((x) => x.stats.messages === 1000, '1000 hellos');
  assert.equal(full.agents, 1000);
  assert.equal(full.stats.connectionsRefused, 0);
  await Promise.all(clients.map((ws) => new Promise((r) => (ws.once('close', r), ws.close()))));
  const after = await host.settled((x) => x.agents === 0, 'all closed');
  t.diagnostic(`heap after GC: before ${(before.heapUsed / 1048576).toFixed(1)} MB, with 1000 ${(full.heapUsed / 1048576).toFixed(1)} MB, after ${(after.heapUsed / 1048576).toFixed(1)} MB`);
  assert.ok(after.heapUsed <= before.heapUsed + 4 * 1048576, 'connection state is let go');
});
