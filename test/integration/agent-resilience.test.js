// The agent when the session server is not there, goes away, or is killed: the app works on
// and ends as it would have; the agent keeps a bounded queue and reports what it dropped.
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const { runtimes } = require('../helpers/runtimes');
const { corePath, startServer, writeApp, cleanupTmp, launch, freePort, byType, requestsOf } = require('../helpers/agent-harness');

after(cleanupTmp);

// Serves and requests itself every 20 ms for `ms`, then prints how many answers it got.
const BUSY_APP = (ms) => `
const http = require('node:http');
const server = http.createServer((req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  let answered = 0;
  console.log('ready');
  const timer = setInterval(() => {
    http.get({ host: '127.0.0.1', port, path: '/ping', agent: false }, (res) => { res.resume(); res.on('end', () => answered++); });
  }, 20);
  setTimeout(() => { clearInterval(timer); setTimeout(() => { server.close(); console.log('answered ' + answered); }, 100); }, ${ms});
});
`;

for (const rt of runtimes()) {
  describe(`resilience on ${rt.version}`, () => {
    it('with no server at all, the app works and exits normally', async () => {
      const port = await freePort();
      const run = await launch(rt.path, writeApp(BUSY_APP(600)), {
        url: `ws://127.0.0.1:${port}/`,
        token: 't',
        timeoutMs: 20000,
      }).exited;
      assert.equal(run.timedOut, false, 'the agent kept the app alive');
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stderr, '');
      assert.match(run.stdout, /^ready\nanswered \d+\n$/);
      assert.ok(Number(/answered (\d+)/.exec(run.stdout)[1]) > 10);
    });

    it('when the server closes mid-run, the app carries on and exits normally', async () => {
      const srv = await startServer();
      const launched = launch(rt.path, writeApp(BUSY_APP(1500)), { url: srv.url, token: srv.token, timeoutMs: 20000 });
      await srv.waitFor((ms) => requestsOf(ms).length >= 3, 10000, '3 requests');
      await srv.close();
      const run = await launched.exited;
      assert.equal(run.timedOut, false, 'the agent kept the app alive');
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stderr, '');
      assert.match(run.stdout, /answered \d+\n$/);
    });

    it('a server killed with SIGKILL does not bring the app down', async () => {
      const serverProc = spawn(
        rt.path,
        [
          '-e',
          `const { SessionServer } = require(${JSON.stringify(corePath)});
           const s = new SessionServer();
           s.on('message', (m) => { if (m.type === 'hello') console.log('hello'); });
           s.listen().then((url) => console.log(JSON.stringify({ url, token: s.token })));`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      serverProc.stdout.on('data', (d) => (out += d));
      try {
        await waitUntil(() => out.includes('}'), 10000, 'server url');
        const { url, token } = JSON.parse(out.split('\n')[0]);
        const launched = launch(rt.path, writeApp(BUSY_APP(1500)), { url, token, timeoutMs: 20000 });
        await waitUntil(() => out.includes('hello'), 10000, 'hello at the server');
        serverProc.kill('SIGKILL');
        const run = await launched.exited;
        assert.equal(run.timedOut, false);
        assert.equal(run.code, 0, run.stderr);
        assert.equal(run.stderr, '');
        assert.match(run.stdout, /answered \d+\n$/);
      } finally {
        serverProc.kill('SIGKILL');
      }
    });

    it('keeps at most maxQueue messages while nobody listens and reports the dropped count on reconnect', async () => {
      const port = await freePort();
      const maxQueue = 40;
      const app = `${BUSY_APP(600000)}\nprocess.stdin.on('data', () => process.exit(0));`;
      const launched = launch(rt.path, writeApp(app), {
        url: `ws://127.0.0.1:${port}/`,
        token: 'fixed-token',
        options: { maxQueue, sampleIntervalMs: 100 },
        timeoutMs: 60000,
      });
      let srv;
      try {
        await launched.printed('ready');
        // ~50 requests a second plus 30 samples: far more than maxQueue in 2 s.
        await new Promise((r) => setTimeout(r, 2000));
        const connectedAt = Date.now();
        srv = await startServer({ token: 'fixed-token', port });
        const messages = await srv.waitFor((ms) => byType(ms, 'dropped').length > 0, 15000, 'dropped');
        assert.equal(messages[0].type, 'hello');
        const dropped = byType(messages, 'dropped')[0];
        assert.ok(dropped.count > 0);
        assert.equal(dropped.pid, launched.child.pid);
        // The backlog that arrived is the bounded queue: what happened before the server came.
        const backlog = messages.filter((m) => m.type !== 'hello' && m.type !== 'dropped' && m.t < connectedAt);
        assert.ok(backlog.length > 0 && backlog.length <= maxQueue, `backlog of ${backlog.length}`);
        // And the agent streams again afterwards.
        await srv.waitFor((ms) => ms.some((m) => (m.type === 'http' || m.type === 'httpSummary') && m.t > Date.now() - 1500), 10000, 'fresh requests');
        launched.child.stdin.write('x');
        const run = await launched.exited;
        assert.equal(run.code, 0, run.stderr);
      } finally {
        launched.child.kill('SIGKILL');
        if (srv) await srv.close();
      }
    });
  });
}

function waitUntil(check, ms, what) {
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      if (check()) {
        clearInterval(poll);
        clearTimeout(limit);
        resolve();
      }
    }, 20);
    const limit = setTimeout(() => {
      clearInterval(poll);
      reject(new Error(`timed out waiting for ${what}`));
    }, ms);
  });
}
