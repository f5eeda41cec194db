#!/usr/bin/env node
// Time to flag a leak live, as the extension sees it: a real SessionServer, SessionStore and
// LiveAnalyzer (dist/core.js, composed as src/extension/profiling-service.ts composes them,
// analysing every second), and a fixture app with the agent and its default heap sampling
// (the extension's setting), keeping LEAK_BYTES per request at 10 requests a second. Prints
// the seconds from the app's start to the first `heap-growth` and the first `leak` finding on
// the storing line, for a 1 MB/min leak by default. Goal: ≤ 120 s.
//
//   node bench/leak-live.js [--mb-per-min 1] [--fixture map-cache] [--max-seconds 240]
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const root = path.join(__dirname, '..');
const core = require(path.join(root, 'dist', 'core.js'));
const { leakSite, dir } = require('../test/fixtures/leaks/expect');

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const MB_PER_MIN = Number(flag('mb-per-min', 1));
const FIXTURE = flag('fixture', 'map-cache');
const MAX_S = Number(flag('max-seconds', 240));
const RATE = 10;
const GOAL_S = 120;
const leakBytes = 8 * Math.round((MB_PER_MIN * 1024 * 1024) / 60 / RATE / 8); // the fixtures keep LEAK_BYTES / 8 numbers

async function main() {
  await core.initDetectors();
  const server = new core.SessionServer();
  const store = new core.SessionStore();
  const analyzer = new core.LiveAnalyzer(store, { intervalMs: () => 1000, keepFindingsAfterSessionEnds: () => true });
  analyzer.on('error', (err) => process.stderr.write(`analysis failed: ${err.stack}\n`));
  const counts = {};
  server.on('message', (m) => (counts[m.type] = (counts[m.type] || 0) + 1));
  setInterval(() => process.stderr.write(`${JSON.stringify(counts)} findings: ${analyzer.findings.map((f) => f.kind).join(',')}\n`), 15000).unref();
  let port = null;
  server.on('message', (msg) => {
    if (msg.type === 'result') return;
    store.ingest(msg);
    if (msg.type === 'listen' && port === null) port = msg.port;
  });
  const url = await server.listen();
  const site = leakSite(`${FIXTURE}.js`);
  const fixture = path.join(dir, `${FIXTURE}.js`);
  const started = Date.now();
  const app = spawn(process.execPath, [fixture], {
    cwd: dir,
    env: { ...process.env, NODE_OPTIONS: `--require ${path.join(root, 'dist', 'agent.js')}`, PERF_LENS_URL: url, PERF_LENS_TOKEN: server.token, PERF_LENS_OPTIONS: JSON.stringify({ heapSampling: true }), LEAK_BYTES: String(leakBytes) },
    stdio: 'ignore',
  });
  while (port === null) await new Promise((r) => setTimeout(r, 50));
  const load = spawn(process.execPath, [path.join(dir, 'load.js'), '--seconds', String(MAX_S), '--rate', String(RATE)], { cwd: dir, env: { ...process.env, NODE_OPTIONS: '', PERF_LENS_URL_BASE: `http://127.0.0.1:${port}` }, stdio: 'ignore' });
  const firsts = {};
  await new Promise((resolve) => {
    const check = () => {
      const s = (Date.now() - started) / 1000;
      for (const f of analyzer.findings) {
        const onLine = f.kind !== 'leak' || (f.location?.file === site.file && f.location.line === site.line);
        if ((f.kind === 'leak' || f.kind === 'heap-growth') && onLine && firsts[f.kind] === undefined) {
          firsts[f.kind] = s;
          process.stderr.write(`${f.kind} at ${s.toFixed(0)} s: ${f.message}\n`);
        }
      }
      if ((firsts.leak !== undefined && firsts['heap-growth'] !== undefined) || s > MAX_S) resolve();
    };
    analyzer.on('change', check);
    const timer = setInterval(check, 1000);
    load.on('exit', () => (clearInterval(timer), resolve()));
  });
  load.kill();
  app.kill();
  analyzer.dispose?.();
  await server.close();
  const fmt = (v) => (v === undefined ? `not within ${MAX_S} s` : `${v.toFixed(0)} s`);
  console.log(`leak live  ${MB_PER_MIN} MB/min (${FIXTURE}, ${RATE} req/s)  heap-growth ${fmt(firsts['heap-growth'])}  leak on line ${site.line} ${fmt(firsts.leak)}  goal ≤ ${GOAL_S} s`);
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', 'leak-live.json'), JSON.stringify({ when: new Date().toISOString(), node: process.version, mbPerMin: MB_PER_MIN, fixture: FIXTURE, ratePerS: RATE, heapGrowthS: firsts['heap-growth'] ?? null, leakS: firsts.leak ?? null, goalS: GOAL_S }, null, 2) + '\n');
  process.exit(0);
}

main().catch((err) => {
  console.error(`leak-live: ${err.message}`);
  process.exit(1);
});
