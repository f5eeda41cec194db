// Load on the extension's side: the ProfilingService (session server, store, live analyzer)
// and the charts feed, pumped as the panel pumps it, run in one process exactly as the window
// runs them (test/stress/fixtures/extension-core-host.ts, bundled from src/ here), while an
// app with the agent serves as fast as it can with 10 queries per request. The host is
// stalled once (SIGSTOP) so the agent must drop. Asserts on plateaus and counts, never speed.
//
// PERF_LENS_SOAK=1 (what `npm test` sets for test/stress) runs it for 5 minutes; otherwise
// 45 s; PERF_LENS_LOAD_SECONDS sets any.
const { ROOT, CLI, AGENT } = require('../helpers/build');
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { spawn } = require('node:child_process');
const esbuild = require('esbuild');
const { MB, rssOf, windowPeaks, mb } = require('../helpers/process-memory');

const SOAK = process.env.PERF_LENS_SOAK === '1';
const SECONDS = Number(process.env.PERF_LENS_LOAD_SECONDS) || (SOAK ? 300 : 45);
const STALL_MS = 6000;
const RATE = 4000;
const HOST_HEAP_MB = 512;

test(`extension core under ${SECONDS} s of load with 10 queries per request: bounded memory, counted drops, live findings`, { timeout: (SECONDS + 180) * 1000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-ext-load-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const hostJs = path.join(dir, 'host.js');
  await esbuild.build({
    entryPoints: [path.join(__dirname, 'fixtures', 'extension-core-host.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: hostJs,
    external: ['bufferutil', 'utf-8-validate', 'libpg-query'],
    logLevel: 'error',
  });
  const fixtures = path.join(__dirname, 'fixtures');
  const host = spawn(process.execPath, [`--max-old-space-size=${HOST_HEAP_MB}`, hostJs, AGENT, path.join(fixtures, 'load-app.cjs')], {
    cwd: ROOT,
    env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  host.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => host.on('exit', (code, signal) => resolve({ code, signal })));
  const lines = [];
  let listening = null;
  let onListening;
  const listeningP = new Promise((r) => (onListening = r));
  readline.createInterface({ input: host.stdout }).on('line', (line) => {
    const o = JSON.parse(line);
    if (o.listening) onListening((listening = o));
    else lines.push(o);
  });
  let load = null;
  t.after(() => {
    try {
      process.kill(host.pid, 'SIGCONT');
    } catch {}
    host.kill('SIGKILL');
    if (listening) {
      try {
        process.kill(listening.appPid, 'SIGKILL');
      } catch {}
    }
    load?.kill('SIGKILL');
  });

  await Promise.race([listeningP, exited.then(() => assert.fail(`the host exited first: ${stderr}`))]);
  const loadOut = path.join(dir, 'load.json');
  load = spawn(process.execPath, [path.join(fixtures, 'load-driver.cjs')], {
    // A fixed 4 000 requests/s (44 000 messages/s), the load this test was sized on: on a faster
    // machine the unpaced app answers 15 000/s, more than the extension side can take in, and
    // most of it is dropped by design. The CLI's load test keeps the unpaced maximum.
    env: { ...process.env, NODE_OPTIONS: '', PERF_LENS_URL_BASE: `http://127.0.0.1:${listening.listening}`, LOAD_OUT: loadOut, LOAD_SECONDS: String(SECONDS), LOAD_RATE: String(RATE) },
    stdio: 'inherit',
  });
  const samples = { host: [], app: [] };
  let stalled = false;
  const sampler = setInterval(() => {
    const now = Date.now();
    const h = rssOf(host.pid);
    if (h !== null) samples.host.push({ t: now, v: h });
    const a = rssOf(listening.appPid);
    if (a !== null) samples.app.push({ t: now, v: a });
  }, 500);
  const stall = setTimeout(() => {
    stalled = true;
    process.kill(host.pid, 'SIGSTOP');
    setTimeout(() => process.kill(host.pid, 'SIGCONT'), STALL_MS);
  }, SECONDS * 400);
  const loadCode = await new Promise((r) => load.on('exit', r));
  clearInterval(sampler);
  clearTimeout(stall);
  assert.equal(loadCode, 0);
  host.stdin.end();
  const { code, signal } = await exited;
  assert.equal(signal, null, stderr);
  assert.equal(code, 0, stderr);
  assert.ok(stalled);

  const loadResult = JSON.parse(fs.readFileSync(loadOut, 'utf8'));
  const final = lines.find((o) => o.final);
  const ticks = lines.filter((o) => !o.final);
  const last = ticks[ticks.length - 1];
  const hostPeaks = windowPeaks(samples.host, 4);
  const appPeaks = windowPeaks(samples.app, 4);
  const heapPeaks = windowPeaks(ticks.map((o) => ({ t: o.t, v: o.heapUsed })), 4);
  t.diagnostic(`load: ${loadResult.ok} requests answered (${(loadResult.ok / SECONDS).toFixed(0)}/s); report ${final.report.requests} requests, dropped ${final.report.dropped}; ${last.findings} live findings (${last.kinds.join(', ')})`);
  t.diagnostic(`extension core RSS peaks per quarter: ${hostPeaks.map(mb).join(', ')}; heapUsed ${heapPeaks.map(mb).join(', ')}`);
  t.diagnostic(`app RSS peaks per quarter: ${appPeaks.map(mb).join(', ')}`);

  assert.ok(loadResult.ok > SECONDS * 100, `only ${loadResult.ok} requests answered`);
  assert.ok(loadResult.ok <= SECONDS * RATE * 1.1, `the load was paced: ${loadResult.ok} requests`);
  assert.equal(loadResult.errors, 0);
  // Drops are counted where the window shows them (the session's count), and in the report.
  assert.ok(last.dropped > 0, 'stalling the extension side for 6 s made the agent drop');
  // the report counts what the window counts, taken at the same moment (a backlog of drops can
  // still arrive after the last one-second tick)
  assert.equal(final.report.dropped, final.dropped);
  assert.ok(final.dropped >= last.dropped);
  assert.ok(final.report.requests + final.report.dropped >= loadResult.ok, `${final.report.requests} reported + ${final.report.dropped} dropped < ${loadResult.ok} answered`);
  assert.ok(final.report.requests > loadResult.ok / 2, 'most requests arrived');
  // The live analysis kept up: the N+1 on purpose is a live finding, the list stays short.
  assert.ok(last.kinds.includes('n-plus-one'), `live findings: ${last.kinds.join(', ')}`);
  assert.ok(last.findings <= 50, `${last.findings} live findings`);
  // The charts feed kept being pumped (updates were produced all along).
  assert.ok(last.posted > 0);
  // Bounded: after the first quarter, peaks stop climbing; and a ceiling under the capped heap.
  assert.ok(hostPeaks[3] <= hostPeaks[1] * 1.5 + 32 * MB, `extension core RSS kept growing: ${hostPeaks.map(mb).join(', ')}`);
  assert.ok(heapPeaks[3] <= heapPeaks[1] * 1.5 + 32 * MB, `extension core heap kept growing: ${heapPeaks.map(mb).join(', ')}`);
  assert.ok(appPeaks[3] <= appPeaks[1] * 1.25 + 16 * MB, `app RSS kept growing: ${appPeaks.map(mb).join(', ')}`);
  // The editor's default caps (perfLens.limits.*, 20 000 requests and queries per process) hold
  // it near 150 MB here (139–145 MB measured on the 2-core machine); 200 MB leaves room for a
  // slower GC elsewhere and still fails a return to the uncapped 350–420 MB.
  assert.ok(Math.max(...hostPeaks) < 200 * MB, `extension core RSS peak ${mb(Math.max(...hostPeaks))}`);
});
