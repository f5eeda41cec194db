'use strict';
// SessionServer.sendCommand against fake agents (real `ws` clients that speak the protocol):
// round trip, unknown pid, timeout, agent gone, server closed.
const { CORE } = require('../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const WebSocket = require('ws');

const { SessionServer } = require(CORE);

async function startServer(t, options) {
  const server = new SessionServer(options);
  await server.listen();
  t.after(() => server.close());
  return server;
}

/**
 * A fake agent: authenticates, says hello as `pid`, and answers commands with `answer(frame)`
 * (return undefined to stay silent). `commands` holds every command frame it received.
 */
async function fakeAgent(t, server, pid, answer = (cmd) => ({ ok: true, data: { echo: cmd.name, args: cmd.args } })) {
  const ws = new WebSocket(server.url);
  ws.on('error', () => {});
  t.after(() => ws.terminate());
  const commands = [];
  const closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
  ws.on('message', (data) => {
    const cmd = JSON.parse(data.toString());
    commands.push(cmd);
    const reply = answer(cmd);
    if (reply) ws.send(JSON.stringify({ type: 'result', pid, t: Date.now(), id: cmd.id, ...reply }));
  });
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  const ready = new Promise((resolve) => {
    const on = (msg, conn) => {
      if (msg.type === 'hello' && msg.pid === pid) {
        server.off('message', on);
        resolve(conn);
      }
    };
    server.on('message', on);
  });
  ws.send(JSON.stringify({ type: 'auth', token: server.token, protocol: 1 }));
  ws.send(JSON.stringify({ type: 'hello', pid, t: Date.now(), protocol: 1, nodeVersion: 'v22.0.0', argv: ['node'], cwd: '/' }));
  const conn = await ready;
  return { ws, conn, commands, closed };
}

test('a command goes out as a command frame and resolves with the agent\'s result message', async (t) => {
  const server = await startServer(t);
  const agent = await fakeAgent(t, server, 501);
  const results = [];
  server.on('message', (msg) => msg.type === 'result' && results.push(msg));
  const result = await server.sendCommand(501, 'measureHeap', { round: 2 });
  assert.equal(result.type, 'result');
  assert.equal(result.pid, 501);
  assert.equal(result.ok, true);
  assert.deepEqual(result.data, { echo: 'measureHeap', args: { round: 2 } });
  assert.equal(agent.commands.length, 1);
  const frame = agent.commands[0];
  assert.deepEqual(Object.keys(frame).sort(), ['args', 'id', 'name', 'type']);
  assert.equal(frame.type, 'command');
  assert.equal(frame.name, 'measureHeap');
  assert.deepEqual(frame.args, { round: 2 });
  assert.ok(Number.isInteger(frame.id) && frame.id > 0);
  assert.equal(result.id, frame.id);
  assert.deepEqual(results, [result], 'the result is also delivered as a message');
});

test('an ok:false answer resolves (the caller reads ok and error), and null data is delivered', async (t) => {
  const server = await startServer(t);
  await fakeAgent(t, server, 502, (cmd) =>
    cmd.name === 'nothing' ? { ok: true, data: null } : { ok: false, error: 'unknown command' },
  );
  const bad = await server.sendCommand(502, 'frobnicate');
  assert.equal(bad.ok, false);
  assert.equal(bad.error, 'unknown command');
  const empty = await server.sendCommand(502, 'nothing', {}, 2000);
  assert.equal(empty.ok, true);
  assert.equal(empty.data, null);
});

test('concurrent commands answered out of order each get their own result', async (t) => {
  const server = await startServer(t);
  const held = [];
  const agent = await fakeAgent(t, server, 503, (cmd) => {
    held.push(cmd);
    if (held.length === 3) {
      for (const c of held.reverse()) {
        agent.ws.send(JSON.stringify({ type: 'result', pid: 503, t: 1, id: c.id, ok: true, data: c.args.n }));
      }
    }
  });
  const answers = await Promise.all([1, 2, 3].map((n) => server.sendCommand(503, 'n', { n })));
  assert.deepEqual(answers.map((r) => r.data), [1, 2, 3]);
  assert.equal(new Set(agent.commands.map((c) => c.id)).size, 3, 'each command has its own id');
});

test('commands go to the agent of the pid asked, not to another', async (t) => {
  const server = await startServer(t);
  const a = await fakeAgent(t, server, 601);
  const b = await fakeAgent(t, server, 602);
  await server.sendCommand(602, 'x');
  assert.equal(a.commands.length, 0);
  assert.equal(b.commands.length, 1);
});

test('a result from another agent does not settle a command it was not sent', async (t) => {
  const server = await startServer(t);
  const target = await fakeAgent(t, server, 611, () => undefined);
  const other = await fakeAgent(t, server, 612);
  const pending = server.sendCommand(611, 'measureHeap', {}, 400);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const id = target.commands[0].id;
  other.ws.send(JSON.stringify({ type: 'result', pid: 612, t: 1, id, ok: true, data: 'forged' }));
  await assert.rejects(pending, { message: 'Process 611 did not answer the command "measureHeap" in time.' });
});

test('an unknown pid rejects at once with a clear sentence', async (t) => {
  const server = await startServer(t);
  await fakeAgent(t, server, 700);
  await assert.rejects(server.sendCommand(999999, 'measureHeap'), { message: 'No agent is connected for process 999999.' });
});

test('a connection that has not said hello cannot be addressed', async (t) => {
  const server = await startServer(t);
  const ws = new WebSocket(server.url);
  t.after(() => ws.terminate());
  await new Promise((resolve) => ws.once('open', resolve));
  const connected = new Promise((resolve) => server.once('connection', resolve));
  ws.send(JSON.stringify({ type: 'auth', token: server.token, protocol: 1 }));
  const conn = await connected;
  assert.equal(conn.pid, null);
  await assert.rejects(server.sendCommand(0, 'x'), /No agent is connected for process 0\./);
});

test('a silent agent makes the command reject after the timeout, and a late answer is ignored', async (t) => {
  const server = await startServer(t, { commandTimeoutMs: 150 });
  const agent = await fakeAgent(t, server, 801, () => undefined);
  const started = Date.now();
  await assert.rejects(server.sendCommand(801, 'snapshot'), {
    message: 'Process 801 did not answer the command "snapshot" in time.',
  });
  assert.ok(Date.now() - started >= 140);
  // the per-call timeout wins over the server's
  await assert.rejects(server.sendCommand(801, 'snapshot', {}, 50), /did not answer/);
  const late = new Promise((resolve) => server.once('message', resolve));
  agent.ws.send(JSON.stringify({ type: 'result', pid: 801, t: 1, id: agent.commands[0].id, ok: true }));
  assert.equal((await late).type, 'result', 'a late result is still an ordinary message');
});

test('an agent that disconnects with a command pending makes it reject at once', async (t) => {
  const server = await startServer(t, { commandTimeoutMs: 60_000 });
  const agent = await fakeAgent(t, server, 811, () => {
    agent.ws.close();
  });
  const started = Date.now();
  await assert.rejects(server.sendCommand(811, 'measureHeap'), {
    message: 'Process 811 disconnected before it answered the command "measureHeap".',
  });
  assert.ok(Date.now() - started < 30_000);
  await assert.rejects(server.sendCommand(811, 'measureHeap'), { message: 'No agent is connected for process 811.' });
});

test('close() rejects pending commands and terminates every client', async (t) => {
  const server = new SessionServer();
  await server.listen();
  const a = await fakeAgent(t, server, 901, () => undefined);
  const b = await fakeAgent(t, server, 902, () => undefined);
  const unauth = new WebSocket(server.url);
  unauth.on('error', () => {});
  const unauthClosed = new Promise((resolve) => unauth.once('close', resolve));
  await new Promise((resolve) => unauth.once('open', resolve));
  const p1 = server.sendCommand(901, 'one');
  const p2 = server.sendCommand(902, 'two');
  const disconnects = [];
  server.on('disconnect', (conn) => disconnects.push(conn.pid));
  await new Promise((resolve) => setTimeout(resolve, 30));
  const rejected = [p1, p2].map((p) => assert.rejects(p, { message: 'The session server closed.' }));
  await server.close();
  assert.deepEqual(disconnects.sort(), [901, 902], 'close() resolves after the disconnect events');
  await Promise.all(rejected);
  assert.equal(await a.closed, 1006, 'terminated, not a polite close the agent could wait on');
  assert.equal(await b.closed, 1006);
  await unauthClosed;
  assert.deepEqual(disconnects.sort(), [901, 902]);
  await assert.rejects(server.sendCommand(901, 'x'), /No agent is connected for process 901\./);
  // the port is free again
  await new Promise((resolve) => {
    const ws = new WebSocket(server.url);
    ws.once('error', resolve);
  });
  await server.close(); // a second close is harmless
});
