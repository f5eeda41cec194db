// The session server killed mid-session and started again on the same address: the app serves
// on throughout; meanwhile the agent retries with a growing delay (no busy loop), and once a
// server listens there again it reconnects on its own, says hello again and streams again.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { spawn } = require('node:child_process');
const { corePath, writeApp, cleanupTmp, launch, freePort } = require('../helpers/agent-harness');

/** A message carrying requests: one of them (`http`) or a second's worth (`httpSummary`). */
const isRequests = (m) => m.type === 'http' || m.type === 'httpSummary';

after(cleanupTmp);

// A session server in its own process (so it can be SIGKILLed): prints one JSON line per message.
function serverProcess(port, token) {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const { SessionServer } = require(${JSON.stringify(corePath)});
       const s = new SessionServer({ port: ${port}, token: ${JSON.stringify(token)} });
       s.on('message', (m) => console.log(JSON.stringify({ type: m.type, pid: m.pid, t: m.t })));
       s.listen().then(() => console.log(JSON.stringify({ type: 'listening' })));`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const seen = [];
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      seen.push(JSON.parse(buf.slice(0, i)));
      buf = buf.slice(i + 1);
    }
  });
  return { child, seen };
}

async function until(check, ms, what) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const APP = `
const http = require('node:http');
const server = http.createServer((req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  let answered = 0;
  setInterval(() => http.get({ host: '127.0.0.1', port, path: '/ping', agent: false }, (r) => { r.resume(); r.on('end', () => answered++); }), 20);
  setInterval(() => console.log('answered ' + answered), 200);
});
`;

test('server killed: the app serves on, the agent backs off, then reconnects to a new server on that address', { timeout: 90_000 }, async (t) => {
  const port = await freePort();
  const token = 'restart-token';
  let srv = serverProcess(port, token);
  t.after(() => srv.child.kill('SIGKILL'));
  await until(() => srv.seen.some((m) => m.type === 'listening'), 10_000, 'the first server');
  const app = launch(process.execPath, writeApp(APP), { url: `ws://127.0.0.1:${port}/`, token, timeoutMs: 80_000 });
  t.after(() => app.child.kill('SIGKILL'));
  await until(() => srv.seen.some(isRequests), 10_000, 'requests at the first server');
  const pid = app.child.pid;
  assert.ok(srv.seen.some((m) => m.type === 'hello' && m.pid === pid));

  srv.child.kill('SIGKILL');
  await new Promise((r) => srv.child.once('exit', r));
  const killedAt = Date.now();
  const answered = () => Number((app.stdout().match(/answered (\d+)/g) || ['answered 0']).pop().split(' ')[1]);

  // While nobody speaks WebSocket there, count the agent's connection attempts: a TCP listener
  // that hangs up at once. The gaps between attempts must grow (backoff), not stay tight.
  const attempts = [];
  const counter = net.createServer((s) => (attempts.push(Date.now()), s.destroy()));
  await new Promise((r) => counter.listen(port, '127.0.0.1', r));
  const before = answered();
  await new Promise((r) => setTimeout(r, 8000));
  await new Promise((r) => counter.close(r));
  const gaps = attempts.slice(1).map((a, i) => a - attempts[i]);
  t.diagnostic(`attempts while down: ${attempts.length}, gaps ${gaps.join(', ')} ms`);
  assert.ok(attempts.length >= 3, `${attempts.length} attempts in 8 s: it kept trying`);
  assert.ok(attempts.length <= 15, `${attempts.length} attempts in 8 s: no busy loop`);
  assert.ok(Math.max(...gaps) >= 1500, `the delay grew: ${gaps.join(', ')}`);
  assert.ok(Math.max(...gaps) <= 6500, `the delay is capped: ${gaps.join(', ')}`);
  assert.ok(answered() > before + 100, 'the app kept serving while the server was gone');
  assert.equal(app.child.exitCode, null);

  // A new server on the same address: the agent comes back by itself.
  srv = serverProcess(port, token);
  await until(() => srv.seen.some((m) => m.type === 'listening'), 10_000, 'the second server');
  const back = Date.now();
  await until(() => srv.seen.some((m) => m.type === 'hello' && m.pid === pid), 15_000, 'hello at the new server');
  await until(() => srv.seen.some((m) => isRequests(m) && m.t >= back), 10_000, 'fresh requests at the new server');
  t.diagnostic(`reconnected ${srv.seen.find((m) => m.type === 'hello').t - back} ms after the new server listened`);
  // What happened while nobody listened was queued (bounded) and arrives now.
  assert.ok(srv.seen.some((m) => isRequests(m) && m.t > killedAt && m.t < back), 'the backlog of the outage arrived');
});
