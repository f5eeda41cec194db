'use strict';
// The session server compares tokens in constant time: every auth attempt, whatever the length
// or prefix of the token given, goes through crypto.timingSafeEqual on two equal-length
// digests (never `===`, never an early exit on length). Checked in a fresh process where
// timingSafeEqual is wrapped before dist/core.js loads, against a real server and real sockets.
const { CORE } = require('../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');


const SCRIPT = `
const crypto = require('node:crypto');
const calls = [];
const real = crypto.timingSafeEqual;
crypto.timingSafeEqual = (a, b) => (calls.push([a.length, b.length]), real(a, b));
const WebSocket = require(${JSON.stringify(require.resolve('ws'))});
const { SessionServer } = require(${JSON.stringify(CORE)});
(async () => {
  const s = new SessionServer({ token: 'the-right-token-0123456789abcdef' });
  const url = await s.listen();
  const tokens = ['', 'x', 'the-right-token-0123456789abcdeX', 'Xhe-right-token-0123456789abcdef', 'the-right-token', 'the-right-token-0123456789abcdef-and-more', 'y'.repeat(3000), 'the-right-token-0123456789abcdef'];
  const codes = [];
  for (const token of tokens) {
    const ws = new WebSocket(url);
    ws.on('error', () => {});
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'auth', token, protocol: 1 }));
    codes.push(await new Promise((resolve) => {
      ws.once('close', (c) => resolve(c));
      setTimeout(() => (ws.close(), resolve('open')), 300);
    }));
  }
  await s.close();
  console.log(JSON.stringify({ calls, codes, count: tokens.length }));
})();
`;

test('every auth attempt goes through timingSafeEqual on equal-length digests, whatever the token', () => {
  const out = JSON.parse(execFileSync(process.execPath, ['-e', SCRIPT], { encoding: 'utf8', timeout: 30_000 }).trim().split('\n').pop());
  assert.equal(out.calls.length, out.count, `timingSafeEqual called ${out.calls.length} times for ${out.count} attempts`);
  for (const [a, b] of out.calls) {
    assert.equal(a, b);
    assert.equal(a, 32, 'sha-256 digests');
  }
  assert.deepEqual(out.codes, [4001, 4001, 4001, 4001, 4001, 4001, 4001, 'open']);
});
