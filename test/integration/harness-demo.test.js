'use strict';
// The bundled demo app (without the profiler): it starts on PORT=0, every route answers,
// demo/load.js drives them all and exits 0, the planted leak keeps growing, and SIGINT stops it.
const { ROOT, CLI } = require('../helpers/build');
const { readReport } = require('../helpers/report-schema');
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');

const root = ROOT;

function startDemo(t) {
  const app = spawn(process.execPath, [path.join(root, 'demo', 'app.js')], {
    env: { ...process.env, PORT: '0', NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => app.exitCode === null && app.signalCode === null && app.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    let out = '';
    app.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(out);
      if (m) resolve({ app, base: m[1], firstLine: out.split('\n')[0] });
    });
    app.once('exit', (code) => reject(new Error(`demo app exited with ${code}: ${out}`)));
  });
}

function run(cmd, args, env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('the demo app serves its routes, load.js drives them, and the leak grows', async (t) => {
  const { app, base, firstLine } = await startDemo(t);
  assert.match(firstLine, /^demo app listening on http:\/\/127\.0\.0\.1:\d+$/);

  const get = async (p) => {
    const res = await fetch(base + p);
    return { status: res.status, body: await res.json() };
  };
  assert.deepEqual(await get('/health'), { status: 200, body: { ok: true } });
  const list = await get('/posts?limit=5');
  assert.equal(list.body.length, 5);
  assert.deepEqual(Object.keys(list.body[0]).sort(), ['author', 'comments', 'created_at', 'id', 'title']);
  const one = await get('/posts/7');
  assert.equal(one.body.id, 7);
  assert.equal(one.body.comments.length, 3);
  assert.equal((await get('/posts/999')).status, 404);
  const n1 = await get('/posts-with-authors');
  assert.equal(n1.body.length, 20);
  assert.ok(n1.body.every((p) => p.author && p.author.id === p.author_id));

  const session = async () => (await fetch(`${base}/sessions`, { method: 'POST' })).json();
  const before = (await session()).active;

  const load = await run(process.execPath, [path.join(root, 'demo', 'load.js')], { PERF_LENS_URL_BASE: base });
  assert.equal(load.code, 0, load.stderr);
  assert.match(load.stdout.trim(), /^load: 280 requests to http:\/\/127\.0\.0\.1:\d+ in \d+ ms \(180×200, 100×201\)$/);

  // Nothing ever removes a session: 100 from the load plus this one.
  assert.equal((await session()).active, before + 101);

  const exited = new Promise((r) => app.once('exit', (code, signal) => r({ code, signal })));
  app.kill('SIGINT');
  assert.deepEqual(await exited, { code: 0, signal: null });
});

test('load.js fails with one plain line when the app is not there', async () => {
  const res = await run(process.execPath, [path.join(root, 'demo', 'load.js')], { PERF_LENS_URL_BASE: 'http://127.0.0.1:9' });
  assert.equal(res.code, 1);
  assert.match(res.stderr, /^load: could not reach http:\/\/127\.0\.0\.1:9: /);
});

// `npm run demo` as a user runs it (after the build): the CLI profiles the app under three
// rounds of load and names the planted problems on their lines.
const fs = require('node:fs');
const os = require('node:os');

let demoRun;
function runDemoOnce() {
  demoRun ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-demo-'));
    const reportPath = path.join(dir, 'demo-report.json');
    const res = await run(process.execPath, [path.join(root, 'scripts', 'demo.js')], { PERF_LENS_DEMO_REPORT: reportPath });
    const report = fs.existsSync(reportPath) ? readReport(reportPath) : null;
    fs.rmSync(dir, { recursive: true, force: true });
    return { ...res, report, reportPath };
  })();
  return demoRun;
}

const appJs = path.join(root, 'demo', 'app.js');
const lineOf = (marker) => fs.readFileSync(appJs, 'utf8').split('\n').findIndex((l) => l.includes(marker)) + 1;

test('npm run demo reports the N+1 on its line in demo/app.js', async () => {
  const { code, stdout, stderr, report, reportPath } = await runDemoOnce();
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^load: 280 requests/m);
  assert.ok(stdout.includes(`Report written to ${reportPath}`), stdout);
  const n1Line = lineOf('// N+1: one query per post');
  assert.match(stdout, new RegExp(`demo/app\\.js:${n1Line}:\\d+: \\w+ n-plus-one`));

  const n1 = report.findings.filter((f) => f.kind === 'n-plus-one');
  assert.equal(n1.length, 1, JSON.stringify(n1.map((f) => f.location)));
  assert.equal(n1[0].location.file, appJs);
  assert.equal(n1[0].location.line, n1Line);
  assert.equal(n1[0].data.scope, 'GET /posts-with-authors');
  assert.equal(report.processes.length, 1);
  assert.equal(report.processes[0].metrics.http.requests, 840);
});

test('npm run demo runs its cache on a redis-server and shows the hit rate: post cards hit, searches miss', async () => {
  const { code, stdout, stderr, report } = await runDemoOnce();
  assert.equal(code, 0, stderr);
  // scripts/install-system-deps.sh installs redis-server; the demo starts one of its own
  const cache = report.figures.cache;
  const cards = cache.find((c) => c.pattern === 'get post:?:summary');
  const searches = cache.find((c) => c.pattern.startsWith('get search:'));
  assert.ok(cards && searches, JSON.stringify(cache));
  // ten cards read four times a round for three rounds: each misses once, then hits for a minute
  assert.equal(cards.reads, 120);
  assert.ok(cards.hits >= 100 && cards.hits <= 110, `card hits ${cards.hits}`);
  assert.deepEqual([searches.reads, searches.hits], [60, 0], 'a search term never repeats');
  assert.equal(report.figures.routes['GET /search'].cacheHitRate, 0);
  const m = report.processes[0].metrics.cache;
  assert.match(stdout, new RegExp(`cache hits ${(m.hitRate * 100).toFixed(1)} % of 180 reads`));
});

test('npm run demo reports the leak on its line in demo/app.js', async () => {
  const { code, stderr, report } = await runDemoOnce();
  assert.equal(code, 0, stderr);
  const leaks = report.findings.filter((f) => f.kind === 'leak');
  const leakLine = lineOf('// leak: grows forever');
  assert.ok(
    leaks.some((f) => f.location && f.location.file === appJs && f.location.line === leakLine),
    `no leak finding at demo/app.js:${leakLine}; findings: ${JSON.stringify(report.findings.map((f) => [f.kind, f.location]))}`,
  );
});
