// `perf-lens run` end to end: real apps under the real agent, asserting on the JSON report.
const { CLI } = require('../helpers/build');
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { runCli, fixtureDir, readJson } = require('../helpers/cli');
const { requestsOf } = require('../helpers/agent-harness');

const HTTP_APP = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/fail')) { res.statusCode = 500; return res.end('no'); }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ ok: true, url: req.url }));
});
server.listen(0, '127.0.0.1');
`;

// Sends N sequential requests to the app the CLI started.
const LOAD = `
const http = require('node:http');
const n = Number(process.argv[2]);
const base = process.env.PERF_LENS_URL_BASE;
(async () => {
  for (let i = 0; i < n; i++) {
    const path = i % 10 === 9 ? '/fail' : '/items/' + i;
    await new Promise((resolve, reject) => http.get(base + path, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject));
  }
})();
`;

test('a CommonJS app: memory samples for the whole duration, hello facts in the report', async () => {
  const dir = fixtureDir({ 'app.js': 'setInterval(() => { globalThis.x = new Array(1000).fill(Math.random()); }, 20);' });
  const res = await runCli(['run', '--duration', '3.2', '--json', 'report.json', '--', 'node', 'app.js'], { cwd: dir });
  assert.equal(res.code, 0, res.stderr);
  const report = readJson(path.join(dir, 'report.json'));
  assert.equal(report.version, 1);
  assert.equal(report.tool.name, 'perf-lens');
  assert.equal(report.processes.length, 1);
  const p = report.processes[0];
  assert.equal(p.command, 'node app.js');
  assert.equal(p.nodeVersion, process.version);
  assert.ok(p.metrics.memory.length >= 3 && p.metrics.memory.length <= 6, `memory samples: ${p.metrics.memory.length}`);
  for (const m of p.metrics.memory) {
    for (const k of ['t', 'heapUsed', 'heapTotal', 'rss', 'external', 'arrayBuffers']) assert.equal(typeof m[k], 'number', k);
    assert.ok(m.heapUsed > 0 && m.rss > m.heapUsed);
  }
  const span = Date.parse(p.endedAt) - Date.parse(p.startedAt);
  assert.ok(span >= 3000, `process span ${span} ms`);
  assert.equal(p.dropped, 0);
  assert.deepEqual(report.findings, []);
  assert.match(res.stdout, /Perf Lens: 1 process/);
  assert.match(res.stdout, /node app\.js/);
});

test('an ESM app reports like a CommonJS one', async () => {
  const dir = fixtureDir({
    'app.mjs': "import { setTimeout as sleep } from 'node:timers/promises';\nconst keep = [];\nfor (let i = 0; i < 25; i++) { keep.push(Buffer.alloc(1e5)); await sleep(100); }\n",
  });
  const res = await runCli(['run', '--json', 'r.json', '--', 'node', 'app.mjs'], { cwd: dir });
  assert.equal(res.code, 0, res.stderr);
  const p = readJson(path.join(dir, 'r.json')).processes[0];
  assert.equal(p.command, 'node app.mjs');
  assert.ok(p.metrics.memory.length >= 2, `memory samples: ${p.metrics.memory.length}`);
  assert.ok(p.metrics.memory.at(-1).external >= 2e6, 'the buffers show in external memory');
});

test('GC events after allocation churn, including major collections', async () => {
  const dir = fixtureDir({
    'churn.js': `
      let keep = [];
      const end = Date.now() + 2500;
      (function loop() {
        for (let i = 0; i < 2000; i++) keep.push({ i, s: 'x'.repeat(50) });
        if (keep.length > 200000) keep = [];
        if (Date.now() < end) setImmediate(loop);
      })();`,
  });
  const res = await runCli(['run', '--json', 'r.json', '--', 'node', 'churn.js'], { cwd: dir });
  assert.equal(res.code, 0, res.stderr);
  const gc = readJson(path.join(dir, 'r.json')).processes[0].metrics.gc;
  assert.ok(gc.length >= 10, `gc events: ${gc.length}`);
  assert.ok(gc.some((g) => g.kind === 'minor'));
  assert.ok(gc.some((g) => g.kind === 'major' || g.kind === 'incremental'), JSON.stringify([...new Set(gc.map((g) => g.kind))]));
  for (const g of gc) assert.ok(g.durationMs >= 0 && typeof g.t === 'number');
});

test('event-loop delay rises for an app that blocks 200 ms', async () => {
  const dir = fixtureDir({
    'block.js': `
      setTimeout(() => { const end = Date.now() + 200; while (Date.now() < end); }, 1200);
      setTimeout(() => {}, 3000);`,
  });
  const res = await runCli(['run', '--json', 'r.json', '--', 'node', 'block.js'], { cwd: dir });
  assert.equal(res.code, 0, res.stderr);
  const loop = readJson(path.join(dir, 'r.json')).processes[0].metrics.eventLoop;
  assert.ok(loop.length >= 2, `event loop samples: ${loop.length}`);
  const worst = Math.max(...loop.map((e) => e.maxMs));
  // The histogram's tick falls due during the block and fires when it ends: its delay is the
  // block less at most one tick period (20 ms, src/agent/probes/event-loop.ts).
  assert.ok(worst >= 200 - 20 && worst < 400, `max delay ${worst} ms`);
  assert.ok(loop.some((e) => e.utilization > 0 && e.utilization <= 1));
  const calm = Math.min(...loop.map((e) => e.p50Ms));
  assert.ok(calm < 50, `a calm interval has a small p50 (${calm} ms)`);
});

test('--load: the HTTP request count equals the requests sent; then the app is stopped', async () => {
  const dir = fixtureDir({ 'app.js': HTTP_APP, 'load.js': LOAD });
  const res = await runCli(['run', '--load', 'node load.js 37', '--json', 'r.json', '--', 'node', 'app.js'], { cwd: dir });
  assert.equal(res.code, 0, res.stderr);
  const http = readJson(path.join(dir, 'r.json')).processes[0].metrics.http;
  assert.equal(http.requests, 37);
  assert.equal(http.errors, 3);
  assert.ok(http.p50Ms > 0 && http.p50Ms <= http.p95Ms && http.p95Ms <= http.p99Ms);
  assert.match(res.stdout, /http 37 requests, 3 errors/);
});

test('--rounds N runs the load N times and measures the heap after a forced GC between rounds', async () => {
  const dir = fixtureDir({ 'app.js': HTTP_APP, 'load.js': LOAD });
  const res = await runCli(
    ['run', '--load', 'node load.js 5', '--rounds', '3', '--record', 'rec.ndjson', '--json', 'r.json', '--', 'node', 'app.js'],
    { cwd: dir },
  );
  assert.equal(res.code, 0, res.stderr);
  assert.equal(readJson(path.join(dir, 'r.json')).processes[0].metrics.http.requests, 15);
  const measures = fs.readFileSync(path.join(dir, 'rec.ndjson'), 'utf8').trim().split('\n').map(JSON.parse).filter((m) => m.type === 'heapMeasure');
  assert.deepEqual(measures.map((m) => m.round), [0, 1, 2, 3]);
  for (const m of measures) assert.ok(m.heapUsed > 0);
});

test('a 2-worker cluster shows 3 processes', async () => {
  const dir = fixtureDir({
    'cluster.js': `
      const cluster = require('node:cluster');
      const http = require('node:http');
      if (cluster.isPrimary) {
        let ready = 0;
        for (let i = 0; i < 2; i++) cluster.fork().on('listening', () => { if (++ready === 2) setTimeout(() => { for (const w of Object.values(cluster.workers)) w.kill(); }, 1500); });
      } else {
        http.createServer((q, s) => s.end('w')).listen(0, '127.0.0.1');
      }`,
  });
  const res = await runCli(['run', '--json', 'r.json', '--', 'node', 'cluster.js'], { cwd: dir });
  assert.equal(res.code, 0, res.stderr);
  const procs = readJson(path.join(dir, 'r.json')).processes;
  assert.equal(procs.length, 3, procs.map((p) => p.command).join(', '));
  assert.equal(new Set(procs.map((p) => p.pid)).size, 3);
});

test('child processes of the command report too (npm-style wrapper)', async () => {
  const dir = fixtureDir({
    'child.js': 'setTimeout(() => {}, 1200);',
    'parent.js': "require('node:child_process').spawn(process.execPath, ['child.js'], { stdio: 'inherit' }).on('exit', (c) => process.exit(c));",
  });
  const res = await runCli(['run', '--json', 'r.json', '--', 'sh', '-c', 'node parent.js'], { cwd: dir });
  assert.equal(res.code, 0, res.stderr);
  const commands = readJson(path.join(dir, 'r.json')).processes.map((p) => p.command).sort();
  assert.deepEqual(commands, ['node child.js', 'node parent.js']);
});

test('the recording reproduces the report through analyze, and SARIF is written', async () => {
  const dir = fixtureDir({ 'app.js': HTTP_APP, 'load.js': LOAD });
  const run = await runCli(
    ['run', '--load', 'node load.js 12', '--record', 'rec.ndjson', '--json', 'run.json', '--sarif', 'run.sarif', '--', 'node', 'app.js'],
    { cwd: dir },
  );
  assert.equal(run.code, 0, run.stderr);
  const again = await runCli(['analyze', 'rec.ndjson', '--json', 'again.json', '--sarif', 'again.sarif'], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(readJson(path.join(dir, 'again.json')), readJson(path.join(dir, 'run.json')));
  assert.deepEqual(readJson(path.join(dir, 'again.sarif')), readJson(path.join(dir, 'run.sarif')));
  const sarif = readJson(path.join(dir, 'run.sarif'));
  assert.equal(sarif.version, '2.1.0');
  assert.equal(sarif.runs[0].tool.driver.name, 'perf-lens');
  const lines = fs.readFileSync(path.join(dir, 'rec.ndjson'), 'utf8').trim().split('\n').map(JSON.parse);
  assert.equal(lines[0].type, 'hello');
  assert.equal(requestsOf(lines).length, 12);
  assert.ok(!fs.readFileSync(path.join(dir, 'rec.ndjson'), 'utf8').includes('"token"'), 'the token is never recorded');
});

test('the app is run under Node 22 and 24 as well', async (t) => {
  const { runtimes } = require('../helpers/runtimes');
  for (const rt of runtimes().filter((r) => !r.version.startsWith('v20'))) {
    await t.test(rt.version, async () => {
      const dir = fixtureDir({ 'app.js': HTTP_APP, 'load.js': LOAD });
      const res = await runCli(['run', '--load', 'node load.js 8', '--json', 'r.json', '--', rt.path, 'app.js'], { cwd: dir });
      assert.equal(res.code, 0, res.stderr);
      const p = readJson(path.join(dir, 'r.json')).processes[0];
      assert.equal(p.nodeVersion, rt.version);
      assert.equal(p.metrics.http.requests, 8);
    });
  }
});
