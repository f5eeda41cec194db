// The agent inside real CommonJS and ESM apps, under Node 20, 22 and 24: hello, memory each
// second, GC, event-loop delay, CPU, requests folded into `httpSummary` messages, `listen`,
// `bye`, commands.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { runtimes } = require('../helpers/runtimes');
const { startServer, writeApp, cleanupTmp, launch, byType, requestsOf, gcsOf } = require('../helpers/agent-harness');

const UUID = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';
/** [path requested, route expected, status expected] */
const REQUESTS = [
  ['/users/1', '/users/:id', 200],
  ['/users/2?sort=desc', '/users/:id', 200],
  ['/users/42/posts', '/users/:id/posts', 200],
  [`/orders/${UUID}`, '/orders/:id', 200],
  ['/blobs/5f1d7a0c9b3e4f21aa', '/blobs/:id', 200],
  ['/static/app.css', '/static/app.css', 200],
  ['/missing/7', '/missing/:id', 404],
  ['/', '/', 200],
  ['/users/3', '/users/:id', 200],
  ['/health', '/health', 200],
];

// The same app as CommonJS and as ESM: serve, request itself, churn memory, block the loop.
const body = `
const PATHS = ${JSON.stringify(REQUESTS.map((r) => r[0]))};
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/missing')) { res.statusCode = 404; res.end('no'); return; }
  setTimeout(() => res.end('ok'), 5); // every answered request takes at least 5 ms
});
const get = (port, p) => new Promise((resolve, reject) => {
  http.get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
});
const tick = () => new Promise((r) => setImmediate(r));
server.listen(0, '127.0.0.1', async () => {
  const port = server.address().port;
  console.log('port ' + port);
  for (const p of PATHS) await get(port, p);
  // Objects that live long enough to be promoted, then die: old-space (major) collections.
  for (let round = 0; round < 8; round++) {
    let keep = [];
    for (let i = 0; i < 300000; i++) keep.push({ i, s: 'item-' + i });
    keep = null;
    await tick();
  }
  // the monotonic clock, as the delay histogram's: the VM's wall clock may be stepped meanwhile
  const t0 = performance.now();
  while (performance.now() - t0 < 250); // blocks the event loop for 250 ms
  setTimeout(() => { server.close(); console.log('done'); }, 2200);
});
`;
const APPS = {
  cjs: { ext: '.js', source: `const http = require('node:http');\n${body}` },
  esm: { ext: '.mjs', source: `import http from 'node:http';\n${body}` },
};

after(cleanupTmp);

for (const rt of runtimes()) {
  for (const [kind, app] of Object.entries(APPS)) {
    describe(`agent in a ${kind} app on ${rt.version}`, () => {
      let srv;
      let run;
      let messages;
      let pid;
      let port;

      before(async () => {
        srv = await startServer();
        const file = writeApp(app.source, app.ext);
        const launched = launch(rt.path, file, { url: srv.url, token: srv.token });
        pid = launched.child.pid;
        run = await launched.exited;
        messages = await srv.waitFor((ms) => byType(ms, 'bye', pid).length > 0, 10000, 'bye');
        port = Number(/port (\d+)/.exec(run.stdout)?.[1]);
      });
      after(() => srv && srv.close());

      it('leaves the app as it was: same output, exit code 0, nothing on stderr', () => {
        assert.equal(run.code, 0, run.stderr);
        assert.equal(run.stderr, '');
        assert.match(run.stdout, /^port \d+\ndone\n$/);
      });

      it('says hello once, first, with the facts of the process', () => {
        const hellos = byType(messages, 'hello');
        assert.equal(hellos.length, 1);
        assert.equal(messages[0].type, 'hello');
        const h = hellos[0];
        assert.equal(h.pid, pid);
        assert.equal(h.protocol, 1);
        assert.equal(h.nodeVersion, rt.version);
        assert.equal(h.via, 'launch');
        assert.equal(h.isClusterWorker, false);
        assert.equal(h.ppid, process.pid);
        assert.ok(h.argv.some((a) => a.endsWith(`app${app.ext}`)), JSON.stringify(h.argv));
        assert.ok(h.heapLimit > 0);
        assert.ok(h.startedAt <= h.t);
      });

      it('samples memory about once a second while the app runs', () => {
        const mem = byType(messages, 'memory');
        assert.ok(mem.length >= 2, `only ${mem.length} memory samples`);
        for (const m of mem) {
          assert.ok(m.rss > 0 && m.heapUsed > 0 && m.heapTotal >= m.heapUsed && m.heapLimit > m.heapTotal);
        }
        const gaps = mem.slice(1).map((m, i) => m.t - mem[i].t).sort((a, b) => a - b);
        const median = gaps[gaps.length >> 1];
        assert.ok(median > 500 && median < 2000, `median gap ${median} ms`);
      });

      it('reports collections, major ones with the heap left after them', () => {
        const gcs = byType(messages, 'gc');
        assert.ok(gcs.length > 0);
        const majors = gcs.filter((g) => g.kind === 'major');
        assert.ok(majors.length > 0, `kinds: ${[...new Set(gcs.map((g) => g.kind))]}`);
        for (const g of gcs) assert.ok(g.durationMs >= 0 && g.heapUsedAfter > 0);
      });

      it('folds minor GCs into summaries that stand for each of them, sent before the bye', () => {
        assert.equal(byType(messages, 'gc').filter((g) => g.kind === 'minor').length, 0, 'no minor GC comes on its own');
        const summaries = byType(messages, 'gcSummary');
        assert.ok(summaries.length >= 1, 'the app allocates: scavenges happen');
        for (const s of summaries) {
          assert.equal(s.pid, pid);
          assert.ok(s.fromT <= s.t);
          assert.deepEqual(s.pauses.map((p) => p.kind), ['minor']);
        }
        const last = messages.findLastIndex((m) => m.type === 'gcSummary');
        assert.ok(last < messages.findIndex((m) => m.type === 'bye'), 'the last window is sent before the bye');
        const minors = gcsOf(messages, pid).filter((g) => g.kind === 'minor');
        assert.ok(minors.length > summaries.length, `${minors.length} minor GCs in ${summaries.length} summaries`);
        for (const g of minors) assert.ok(g.durationMs >= 0 && g.durationMs < 1000 && g.heapUsedAfter === undefined);
      });

      it('sees the 250 ms block in the event-loop delay', () => {
        const loops = byType(messages, 'eventLoop');
        assert.ok(loops.length >= 2);
        const worst = Math.max(...loops.map((l) => l.maxMs));
        assert.ok(worst >= 200, `max delay ${worst} ms`);
        const quiet = loops[loops.length - 1];
        assert.ok(quiet.p50Ms < 50, `idle p50 ${quiet.p50Ms} ms`);
        for (const l of loops) assert.ok(l.utilization >= 0 && l.utilization <= 1 && l.p99Ms <= l.maxMs + 1);
        assert.ok(loops.some((l) => l.utilization > 0.2), 'busy interval not seen in utilization');
      });

      it('reports CPU use', () => {
        const cpu = byType(messages, 'cpu');
        assert.ok(cpu.length >= 2);
        assert.ok(cpu.some((c) => c.userMs > 0 && c.percent > 0));
      });

      it('folds requests that ran no query into httpSummary messages: route, status and duration of each', () => {
        // No driver: nothing needs a request on its own, so none comes as an `http` message.
        assert.deepEqual(byType(messages, 'http'), []);
        const summaries = byType(messages, 'httpSummary', pid);
        assert.ok(summaries.length >= 1);
        for (const s of summaries) {
          assert.ok(s.fromT <= s.t);
          for (const r of s.routes) for (const d of r.durationsMs) assert.equal(d, Math.round(d * 1000) / 1000, 'to the microsecond');
        }
        const requests = requestsOf(messages, pid);
        const seen = requests.map((m) => `${m.method} ${m.route} ${m.status}`).sort();
        assert.deepEqual(seen, REQUESTS.map(([, route, status]) => `GET ${route} ${status}`).sort());
        for (const m of requests) {
          assert.equal(m.scope, null);
          if (m.status === 200) assert.ok(m.durationMs >= 4, `${m.route} took ${m.durationMs} ms`);
        }
      });

      it('announces the listening port', () => {
        const listens = byType(messages, 'listen');
        assert.equal(listens.length, 1);
        assert.equal(listens[0].port, port);
        assert.equal(listens[0].address, '127.0.0.1');
      });

      it('says bye last, with the exit code', () => {
        const bye = byType(messages, 'bye');
        assert.equal(bye.length, 1);
        assert.equal(bye[0].exitCode, 0);
        assert.equal(messages[messages.length - 1].type, 'bye');
      });
    });
  }
}

describe('server commands', () => {
  it('answers known commands and refuses unknown ones', async () => {
    const srv = await startServer();
    const file = writeApp("setInterval(() => {}, 1000); process.stdin.on('data', () => process.exit(0));");
    const node = runtimes()[0].path;
    const launched = launch(node, file, { url: srv.url, token: srv.token });
    try {
      const pid = launched.child.pid;
      await srv.waitFor((ms) => byType(ms, 'hello', pid).length > 0, 10000, 'hello');
      const pong = await srv.server.sendCommand(pid, 'ping');
      assert.equal(pong.ok, true);
      assert.deepEqual(pong.data, { pong: true });
      const measured = await srv.server.sendCommand(pid, 'measureHeap', { round: 2 });
      assert.equal(measured.ok, true, measured.error);
      assert.equal(measured.data.round, 2);
      assert.ok(measured.data.heapUsed > 0);
      const unknown = await srv.server.sendCommand(pid, 'no-such-command', { x: 1 });
      assert.equal(unknown.ok, false);
      assert.equal(unknown.error, 'unknown command');
      launched.child.stdin.write('x');
      const run = await launched.exited;
      assert.equal(run.code, 0);
    } finally {
      launched.child.kill('SIGKILL');
      await srv.close();
    }
  });
});
