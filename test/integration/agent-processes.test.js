// How the agent behaves across processes and process ends: cluster workers, worker threads,
// a second load, no PERF_LENS_URL at all, and SIGTERM with and without the app's own handler.
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { runtimes } = require('../helpers/runtimes');
const { agentPath, startServer, writeApp, cleanupTmp, launch, byType, requestsOf } = require('../helpers/agent-harness');

after(cleanupTmp);

const CLUSTER_APP = `
const cluster = require('node:cluster');
const http = require('node:http');
if (cluster.isPrimary) {
  let listening = 0;
  for (let i = 0; i < 2; i++) cluster.fork();
  cluster.on('listening', (worker, address) => {
    if (++listening < 2) return;
    http.get({ host: '127.0.0.1', port: address.port, path: '/x', agent: false }, (res) => {
      res.resume();
      res.on('end', () => { for (const w of Object.values(cluster.workers)) w.disconnect(); });
    });
  });
} else {
  http.createServer((req, res) => res.end('ok')).listen(0, '127.0.0.1');
}
`;

// What an app can see of the agent: preloaded modules, handlers, handles, globals.
const PROBE_APP = `
const seen = {
  exit: process.listenerCount('exit'),
  sigint: process.listenerCount('SIGINT'),
  sigterm: process.listenerCount('SIGTERM'),
  beforeExit: process.listenerCount('beforeExit'),
  resources: process.getActiveResourcesInfo().sort(),
  symbols: Object.getOwnPropertySymbols(globalThis).map(String),
};
console.log(JSON.stringify(seen));
`;

for (const rt of runtimes()) {
  describe(`processes on ${rt.version}`, () => {
    it('a 2-worker cluster reports as three processes, each with its own hello', async () => {
      const srv = await startServer();
      try {
        const launched = launch(rt.path, writeApp(CLUSTER_APP), { url: srv.url, token: srv.token });
        const run = await launched.exited;
        assert.equal(run.code, 0, run.stderr);
        const messages = await srv.waitFor((ms) => byType(ms, 'bye').length >= 3, 10000, '3 byes');
        const hellos = byType(messages, 'hello');
        assert.equal(new Set(hellos.map((h) => h.pid)).size, 3);
        assert.equal(hellos.filter((h) => h.isClusterWorker).length, 2);
        const primary = hellos.find((h) => !h.isClusterWorker);
        assert.equal(primary.pid, launched.child.pid);
        for (const h of hellos.filter((x) => x.isClusterWorker)) assert.equal(h.ppid, primary.pid);
        // Each worker announces its listen (and the primary its round-robin handle), one port.
        const listens = byType(messages, 'listen');
        for (const h of hellos.filter((x) => x.isClusterWorker)) {
          assert.equal(listens.filter((l) => l.pid === h.pid).length, 1);
        }
        assert.equal(new Set(listens.map((l) => l.port)).size, 1);
        assert.equal(requestsOf(messages).length, 1);
      } finally {
        await srv.close();
      }
    });

    it('loaded twice, and present in a worker thread, it still makes one connection', async () => {
      const srv = await startServer();
      let connections = 0;
      srv.server.on('connection', () => connections++);
      try {
        const app = writeApp(`
const { Worker } = require('node:worker_threads');
const w = new Worker("require('node:http').createServer().listen(0, '127.0.0.1', function () { this.close(); })", { eval: true });
w.on('exit', () => console.log('worker done'));
`);
        const launched = launch(rt.path, app, {
          url: srv.url,
          token: srv.token,
          env: { NODE_OPTIONS: `--require ${agentPath} --require ${agentPath}` },
        });
        const run = await launched.exited;
        assert.equal(run.code, 0, run.stderr);
        assert.equal(run.stdout, 'worker done\n');
        const messages = await srv.waitFor((ms) => byType(ms, 'bye').length > 0, 10000, 'bye');
        assert.equal(byType(messages, 'hello').length, 1);
        assert.equal(connections, 1);
        assert.equal(byType(messages, 'listen').length, 0, 'the worker thread has no agent of its own');
      } finally {
        await srv.close();
      }
    });

    it('without PERF_LENS_URL it does nothing the app could notice', async () => {
      const file = writeApp(PROBE_APP);
      const plain = await launch(rt.path, file, { agent: false }).exited;
      const preloaded = await launch(rt.path, file, { agent: true, token: 'unused' }).exited;
      assert.equal(plain.code, 0, plain.stderr);
      assert.equal(preloaded.code, 0, preloaded.stderr);
      assert.equal(preloaded.stderr, '');
      assert.equal(preloaded.stdout, plain.stdout);
      const inline = await launch(rt.path, '-e', {
        args: ['console.log("hello", 1 + 1)'],
        agent: true,
        env: { PERF_LENS_OPTIONS: '{not json' },
      }).exited;
      assert.equal(inline.stdout, 'hello 2\n');
      assert.equal(inline.code, 0);
    });

    it('on SIGTERM without a handler of the app, says bye and dies of the signal', async () => {
      const srv = await startServer();
      try {
        const launched = launch(rt.path, writeApp("setInterval(() => {}, 1000); console.log('ready');"), {
          url: srv.url,
          token: srv.token,
        });
        const pid = launched.child.pid;
        await launched.printed('ready');
        await srv.waitFor((ms) => byType(ms, 'hello', pid).length > 0, 10000, 'hello');
        launched.child.kill('SIGTERM');
        const run = await launched.exited;
        assert.equal(run.signal, 'SIGTERM');
        assert.equal(run.code, null);
        const messages = await srv.waitFor((ms) => byType(ms, 'bye', pid).length > 0, 10000, 'bye');
        assert.equal(byType(messages, 'bye', pid)[0].exitCode, 143);
      } finally {
        await srv.close();
      }
    });

    it("on SIGTERM with the app's own handler, the app decides", async () => {
      const srv = await startServer();
      try {
        const app = `
setInterval(() => {}, 1000);
process.on('SIGTERM', () => { console.log('cleaning up'); setTimeout(() => process.exit(7), 50); });
console.log('ready');`;
        const launched = launch(rt.path, writeApp(app), { url: srv.url, token: srv.token });
        const pid = launched.child.pid;
        await launched.printed('ready');
        await srv.waitFor((ms) => byType(ms, 'hello', pid).length > 0, 10000, 'hello');
        launched.child.kill('SIGTERM');
        const run = await launched.exited;
        assert.equal(run.code, 7);
        assert.equal(run.stdout, 'ready\ncleaning up\n');
        const messages = await srv.waitFor((ms) => byType(ms, 'bye', pid).length > 0, 10000, 'bye');
        assert.equal(byType(messages, 'bye', pid)[0].exitCode, 7);
      } finally {
        await srv.close();
      }
    });
  });
}
