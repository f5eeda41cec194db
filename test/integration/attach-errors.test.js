// Attach without the default port: the process listing, apps whose inspector port is chosen by
// the OS (--inspect=0, --inspect-port=0), and every refusal with its one-sentence reason.
// Nothing here opens 127.0.0.1:9229, so it may run beside attach-sigusr1.test.js.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const { runtimes, nodeBinary } = require('../helpers/runtimes');
const { agentPath, startServer, byType, requestsOf } = require('../helpers/agent-harness');
const { attachApi, CJS_APP, ESM_APP, startPlainApp, get, listening, startNonNode } = require('../fixtures/attach/attach-harness');

const node = runtimes()[0].path;
let srv;
before(async () => {
  srv = await startServer();
});
after(() => srv.close());

const attach = (pid, extra = {}) => attachApi().attachAgent({ pid, agentPath, url: srv.url, token: srv.token, ...extra });

/** Asserts the attach fails with `code` and a message matching `re`. */
async function refused(pid, code, re) {
  await assert.rejects(attach(pid), (err) => {
    assert.equal(err.code, code, err.message);
    assert.match(err.message, re);
    assert.doesNotMatch(err.message, /\n/, 'one sentence');
    return true;
  });
}

describe('listing', () => {
  it('shows the running Node apps with their pids and command lines, not itself nor other programs', async () => {
    const cjs = await startPlainApp(node, CJS_APP);
    const esm = await startPlainApp(node, ESM_APP);
    const sleeper = startNonNode();
    try {
      const list = await attachApi().listNodeProcesses();
      const mine = list.find((p) => p.pid === cjs.pid);
      assert.ok(mine, 'the CommonJS app is listed');
      assert.equal(mine.commandLine, `${node} ${CJS_APP}`);
      assert.deepEqual(mine.argv, [node, CJS_APP]);
      assert.equal(mine.inspector.open, false);
      assert.equal(mine.inspector.port, 9229);
      const other = list.find((p) => p.pid === esm.pid);
      assert.ok(other, 'the ES module app is listed');
      assert.equal(other.commandLine, `${node} ${ESM_APP}`);
      assert.equal(list.some((p) => p.pid === process.pid), false, 'not our own process');
      assert.equal(list.some((p) => p.pid === sleeper.pid), false, 'not a non-Node process');
    } finally {
      await Promise.all([cjs.stop(), esm.stop(), sleeper.stop()]);
    }
  });
});

describe('inspector on a port the OS chose', () => {
  it('an app started with --inspect=0 is attached on the port it printed, and its inspector is left open', async () => {
    const app = await startPlainApp(node, CJS_APP, ['--inspect=0']);
    try {
      await waitFor(() => /Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//.test(app.stderr()));
      const port = Number(/Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(app.stderr())[1]);
      const listed = (await attachApi().listNodeProcesses()).find((p) => p.pid === app.pid);
      assert.deepEqual([listed.inspector.open, listed.inspector.port, listed.inspector.enabledAtStart], [true, port, true]);

      const result = await attach(app.pid);
      assert.equal(result.status, 'attached');
      assert.equal(result.port, port);
      assert.equal(result.inspectorWasOpen, true);
      assert.equal(result.inspectorClosed, false);
      assert.equal(await listening(port), true, "the user's inspector stays open");
      await srv.waitFor((ms) => byType(ms, 'hello', app.pid).some((h) => h.via === 'attach'), 10000, 'hello');
      await get(app.port, '/inspected');
      await srv.waitFor((ms) => requestsOf(ms, app.pid).some((m) => m.route === '/inspected'), 10000, 'the request');
    } finally {
      await app.stop();
    }
  });

  it('an app started with --inspect-port=0 is signalled, found on its own socket, and closed again', async () => {
    const app = await startPlainApp(node, ESM_APP, ['--inspect-port=0']);
    try {
      const result = await attach(app.pid);
      assert.equal(result.status, 'attached');
      assert.notEqual(result.port, 9229);
      assert.equal(result.inspectorWasOpen, false);
      assert.equal(result.inspectorClosed, true);
      assert.equal(await listening(result.port), false);
      assert.match(app.stderr(), new RegExp(`Debugger listening on ws://127\\.0\\.0\\.1:${result.port}/`));
      await srv.waitFor((ms) => byType(ms, 'hello', app.pid).some((h) => h.via === 'attach'), 10000, 'hello');
    } finally {
      await app.stop();
    }
  });
});

describe('refusals', () => {
  for (const major of [22, 24]) {
    it(`an app started with --disable-sigusr1 on Node ${major}`, async () => {
      const app = await startPlainApp(nodeBinary(major), CJS_APP, ['--disable-sigusr1']);
      try {
        await refused(app.pid, 'sigusr1-disabled', /started with --disable-sigusr1/);
        assert.equal(await get(app.port, '/alive'), 200);
      } finally {
        await app.stop();
      }
    });
  }

  it('a process that has exited', async () => {
    const app = await startPlainApp(node, CJS_APP);
    await app.stop();
    await refused(app.pid, 'gone', new RegExp(`^Process ${app.pid} is not running`));
  });

  it('a process that is not Node, which is not signalled', async () => {
    const sleeper = startNonNode();
    try {
      await waitFor(() => require('node:fs').readFileSync(`/proc/${sleeper.pid}/cmdline`, 'utf8').startsWith('sleep'));
      await refused(sleeper.pid, 'not-node', /\(sleep 60\) is not a Node\.js process/);
      assert.equal(sleeper.child.exitCode, null, 'still running: SIGUSR1 would have ended it');
      assert.equal(sleeper.child.signalCode, null);
    } finally {
      await sleeper.stop();
    }
  });

  it('an app whose inspector is set to a non-loopback address is never signalled', async () => {
    const app = await startPlainApp(node, CJS_APP, ['--inspect-port=0.0.0.0:0']);
    try {
      await refused(app.pid, 'non-loopback', /0\.0\.0\.0:0 .*only uses an inspector on 127\.0\.0\.1/);
      assert.equal(await get(app.port, '/alive'), 200);
    } finally {
      const run = await app.stop();
      assert.doesNotMatch(run.stderr, /Debugger listening/);
    }
  });

  it("another user's process", { skip: process.getuid?.() !== 0 && 'needs root to run the attacher as nobody' }, async () => {
    const app = await startPlainApp(node, CJS_APP);
    try {
      // The attacher runs as nobody against an app of root's: what a user meets with a
      // process of someone else.
      const script = `require(${JSON.stringify(require('../helpers/agent-harness').corePath)})
        .attachAgent({ pid: ${app.pid}, agentPath: ${JSON.stringify(agentPath)}, url: ${JSON.stringify(srv.url)}, token: 'x' })
        .then(() => console.log('{"code":"none"}'), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })));`;
      const run = spawnSync(node, ['-e', script], { uid: 65534, gid: 65534, encoding: 'utf8', timeout: 30000, cwd: '/' });
      const out = JSON.parse(run.stdout.trim() || JSON.stringify({ code: 'crash', message: run.stderr }));
      assert.equal(out.code, 'permission', out.message);
      assert.match(out.message, new RegExp(`may not inspect process ${app.pid} .*belongs to another user`));
    } finally {
      const run = await app.stop();
      assert.doesNotMatch(run.stderr, /Debugger listening/);
    }
  });
});

async function waitFor(check, timeoutMs = 10000) {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
