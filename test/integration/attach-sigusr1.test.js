// Attach to apps started WITHOUT the agent, through SIGUSR1 and the default inspector port.
// 127.0.0.1:9229 is one port for the whole machine, so every test that opens it lives in this
// file and runs one after another (node:test runs a file's tests serially).
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const path = require('node:path');
const { runtimes } = require('../helpers/runtimes');
const { agentPath, startServer, byType, requestsOf } = require('../helpers/agent-harness');
const {
  attachApi, CJS_APP, ESM_APP, startPlainApp, get, listening, waitForDefaultPortFree,
} = require('../fixtures/attach/attach-harness');

let srv;
before(async () => {
  srv = await startServer();
});
after(() => srv.close());

const attach = (pid) => attachApi().attachAgent({ pid, agentPath, url: srv.url, token: srv.token });

for (const rt of runtimes()) {
  for (const [kind, file] of [['CommonJS', CJS_APP], ['ES module', ESM_APP]]) {
    describe(`${kind} app on ${rt.version}`, () => {
      it('is attached with SIGUSR1, says hello via attach, reports its requests, and its inspector is closed again', async () => {
        await waitForDefaultPortFree();
        const app = await startPlainApp(rt.path, file);
        try {
          assert.equal(await listening(9229), false, 'no inspector before attach');
          const result = await attach(app.pid);
          assert.equal(result.status, 'attached');
          assert.equal(result.pid, app.pid);
          assert.equal(result.nodeVersion, rt.version);
          assert.equal(result.port, 9229);
          assert.equal(result.inspectorWasOpen, false);
          assert.equal(result.inspectorClosed, true);
          assert.equal(await listening(9229), false, 'the inspector we opened is closed again');

          await srv.waitFor((ms) => byType(ms, 'hello', app.pid).length > 0, 10000, 'hello');
          const h = byType(srv.messages, 'hello', app.pid)[0];
          assert.equal(h.via, 'attach');
          assert.equal(path.basename(h.argv[1]), path.basename(file));
          assert.equal(h.nodeVersion, rt.version);

          for (let i = 0; i < 3; i++) assert.equal(await get(app.port, `/orders/${i}`), 200);
          await srv.waitFor((ms) => requestsOf(ms, app.pid).length >= 3, 10000, '3 requests');
          const routes = requestsOf(srv.messages, app.pid).map((m) => m.route);
          assert.deepEqual(routes, ['/orders/:id', '/orders/:id', '/orders/:id']);

          // The agent's in-process inspector session still works after the server was closed.
          const measured = await srv.server.sendCommand(app.pid, 'measureHeap', {}, 30000);
          assert.equal(measured.ok, true, measured.error);
          assert.ok(app.child.exitCode === null, 'the app runs on');
        } finally {
          await app.stop();
        }
      });
    });
  }
}

describe('attach edge cases on the default port', () => {
  const node = runtimes()[0].path;

  it('a second attach finds the agent already running and does not connect it twice', async () => {
    await waitForDefaultPortFree();
    const app = await startPlainApp(node, CJS_APP);
    let connections = 0;
    const count = () => connections++;
    srv.server.on('connection', count);
    try {
      assert.equal((await attach(app.pid)).status, 'attached');
      await srv.waitFor((ms) => byType(ms, 'hello', app.pid).length > 0, 10000, 'hello');
      const again = await attach(app.pid);
      assert.equal(again.status, 'already-attached');
      assert.equal(again.inspectorClosed, true);
      await get(app.port, '/after');
      await srv.waitFor((ms) => requestsOf(ms, app.pid).some((m) => m.route === '/after'), 10000, 'the request after');
      assert.equal(byType(srv.messages, 'hello', app.pid).length, 1);
      assert.equal(connections, 1);
    } finally {
      srv.server.off('connection', count);
      await app.stop();
    }
  });

  it('an inspector someone else opened is used and left open', async () => {
    await waitForDefaultPortFree();
    const app = await startPlainApp(node, CJS_APP);
    try {
      process.kill(app.pid, 'SIGUSR1'); // as a debugger would
      for (let i = 0; i < 50 && !(await listening(9229)); i++) await new Promise((r) => setTimeout(r, 100));
      const listed = (await attachApi().listNodeProcesses()).find((p) => p.pid === app.pid);
      assert.equal(listed.inspector.open, true);
      assert.equal(listed.inspector.port, 9229);
      const result = await attach(app.pid);
      assert.equal(result.status, 'attached');
      assert.equal(result.inspectorWasOpen, true);
      assert.equal(result.inspectorClosed, false);
      assert.equal(await listening(9229), true, 'left as it was found');
      await srv.waitFor((ms) => byType(ms, 'hello', app.pid).some((m) => m.via === 'attach'), 10000, 'hello');
    } finally {
      await app.stop();
    }
  });

  it('when the agent cannot be loaded it says why, and the inspector it opened is closed again', async () => {
    await waitForDefaultPortFree();
    const app = await startPlainApp(node, ESM_APP);
    try {
      const missing = path.join(__dirname, 'no-such-agent.js');
      await assert.rejects(
        attachApi().attachAgent({ pid: app.pid, agentPath: missing, url: srv.url, token: srv.token }),
        (err) => {
          assert.equal(err.code, 'inject-failed');
          assert.match(err.message, new RegExp(`^Loading the agent into process ${app.pid} failed: .*Cannot find module`));
          return true;
        },
      );
      assert.equal(await listening(9229), false);
      assert.equal(await get(app.port, '/alive'), 200);
    } finally {
      await app.stop();
    }
  });

  it('when another process holds 127.0.0.1:9229 it says which one and does not signal the app', async () => {
    await waitForDefaultPortFree();
    const blocker = net.createServer();
    await new Promise((resolve) => blocker.listen(9229, '127.0.0.1', resolve));
    const app = await startPlainApp(node, CJS_APP);
    try {
      await assert.rejects(attach(app.pid), (err) => {
        assert.equal(err.code, 'port-busy');
        assert.match(err.message, /127\.0\.0\.1:9229/);
        assert.match(err.message, new RegExp(`process ${process.pid} `));
        return true;
      });
      assert.equal(await get(app.port, '/still-up'), 200);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
      const run = await app.stop();
      assert.doesNotMatch(run.stderr, /Debugger|inspector/i, 'the app was never signalled');
    }
  });
});
