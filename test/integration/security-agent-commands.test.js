// The agent inside the app obeys only commands it knows: any other name is answered ok:false
// ("unknown command") and does nothing; frames that are not commands at all are ignored.
// The app serves throughout and its own output stays clean.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { WebSocketServer } = require('ws');
const { startServer, writeApp, cleanupTmp, launch, byType } = require('../helpers/agent-harness');

after(cleanupTmp);

const APP = `
const http = require('node:http');
const server = http.createServer((req, res) => res.end('alive'));
server.listen(0, '127.0.0.1', () => console.log('ready ' + server.address().port));
process.stdin.on('data', () => process.exit(0));
`;

const NAMES = ['', 'exec', 'eval', 'shell', 'require', 'process.exit', 'exit', 'kill', '__proto__', 'constructor', 'toString',
  'hasOwnProperty', 'valueOf', 'PING', 'ping ', ' ping', 'ping\\u0000', 'measureHeap\\n', 'heapsnapshot', '../ping', 'x'.repeat(10_000), '\ud800'];

test('unknown command names are answered ok:false and do nothing; the app serves on', async (t) => {
  const srv = await startServer();
  t.after(() => srv.close());
  const app = launch(process.execPath, writeApp(APP), { url: srv.url, token: srv.token, timeoutMs: 60_000 });
  t.after(() => app.child.kill('SIGKILL'));
  await app.printed('ready');
  const port = Number(/ready (\d+)/.exec(app.stdout())[1]);
  await srv.waitFor((ms) => byType(ms, 'hello').length > 0, 15_000, 'hello');
  const pid = app.child.pid;
  for (const name of NAMES) {
    const res = await srv.server.sendCommand(pid, name, { path: '/tmp/x', code: 'process.exit(1)' }, 10_000);
    assert.equal(res.ok, false, `"${name.slice(0, 20)}" was obeyed`);
    assert.equal(res.error, 'unknown command');
  }
  const known = await srv.server.sendCommand(pid, 'ping', {}, 10_000);
  assert.equal(known.ok, true, 'a known command still works');
  assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'alive');
  app.child.stdin.write('x');
  const run = await app.exited;
  assert.equal(run.code, 0);
  assert.equal(run.stderr, '');
  assert.equal(run.stdout, `ready ${port}\n`);
});

test('garbage from the server side (not JSON, not commands, bad ids, huge frames) is ignored by the agent', async (t) => {
  // A stand-in server that accepts the agent and sends it nonsense, then one real command.
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  t.after(() => new Promise((r) => (wss.clients.forEach((c) => c.terminate()), wss.close(r))));
  const got = [];
  const connected = new Promise((resolve) => wss.once('connection', (ws) => {
    ws.on('message', (d) => {
      const m = JSON.parse(String(d));
      for (const x of m.type === 'batch' ? m.messages : [m]) got.push(x);
    });
    resolve(ws);
  }));
  const app = launch(process.execPath, writeApp(APP), { url: `ws://127.0.0.1:${wss.address().port}/`, token: 't', timeoutMs: 60_000 });
  t.after(() => app.child.kill('SIGKILL'));
  await app.printed('ready');
  const port = Number(/ready (\d+)/.exec(app.stdout())[1]);
  const ws = await connected;
  const junk = ['', 'null', '[]', '{', '{"type":"command"}', '{"type":"command","id":"1","name":"ping"}', '{"type":"command","id":1.5,"name":"ping"}',
    '{"type":"command","id":1,"name":{"toString":1}}', '{"type":"command","id":1e400,"name":"ping"}', JSON.stringify({ type: 'command', id: 2, name: 'ping', args: 'x' }).replace('"x"', '[[[[[[]]]]]]'),
    Buffer.from([0xff, 0xfe, 0x00]), 'x'.repeat(4 * 1024 * 1024), '{"type":"command","id":3,"name":"ping","__proto__":{"polluted":1}}'];
  for (const j of junk) ws.send(j);
  ws.send(JSON.stringify({ type: 'command', id: 99, name: 'ping' }));
  const deadline = Date.now() + 10_000;
  while (!got.some((m) => m.type === 'result' && m.id === 99)) {
    assert.ok(Date.now() < deadline, `no answer to the real command; got ${got.map((m) => m.type)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const results = got.filter((m) => m.type === 'result');
  // Only well-formed commands were answered: id 2 (args not an object: ping ignores args), 3 and 99.
  assert.deepEqual(results.map((r) => r.id).sort((a, b) => a - b), [2, 3, 99]);
  assert.ok(results.every((r) => r.ok === true));
  assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'alive');
  app.child.stdin.write('x');
  const run = await app.exited;
  assert.equal(run.code, 0);
  assert.equal(run.stderr, '');
});
