// Load: `perf-lens run` over an app serving as fast as it can with 10 queries per request.
// While it runs, this test samples the resident memory of the app (agent inside) and of the
// CLI (session server, ring buffers) and stalls the CLI with SIGSTOP for a few seconds so the
// agent must drop. It asserts on plateaus, never on speed: memory stops growing once the
// bounded structures are full, the drops are counted in the report and shown in the summary,
// and every request the load generator saw answered is in the report or in the drop count.
//
// PERF_LENS_SOAK=1 (what `npm test` sets) runs it for 5 minutes; otherwise 45 s; PERF_LENS_LOAD_SECONDS sets any.
const { ROOT, CLI } = require('../helpers/build');
const { readReport } = require('../helpers/report-schema');
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { MB, rssOf, windowPeaks, mb } = require('../helpers/process-memory');

const SOAK = process.env.PERF_LENS_SOAK === '1';
const SECONDS = Number(process.env.PERF_LENS_LOAD_SECONDS) || (SOAK ? 300 : 45);
const STALL_MS = 6000;
const RATE = 4000;
const CLI_HEAP_MB = SOAK ? 512 : 384;

function childrenOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function cmdlineOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

test(`load for ${SECONDS} s with 10 queries per request: bounded memory, counted drops, a complete report`, { timeout: (SECONDS + 120) * 1000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-load-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const loadOut = path.join(dir, 'load.json');
  const reportFile = path.join(dir, 'report.json');
  const fixtures = path.join(__dirname, 'fixtures');
  const cli = spawn(
    process.execPath,
    // A capped old space: were the CLI's memory not bounded, the run would end in an OOM crash.
    [`--max-old-space-size=${CLI_HEAP_MB}`, CLI, 'run', '--json', reportFile, '--load', `"${process.execPath}" "${path.join(fixtures, 'load-driver.cjs')}"`, '--', process.execPath, path.join(fixtures, 'load-app.cjs')],
    // Paced at RATE requests/s (44 000 messages/s): unpaced, the app answers 14 000/s on this
    // machine and the CLI takes in about half, so "most requests arrived" rode on the machine.
    { cwd: ROOT, env: { ...process.env, LOAD_OUT: loadOut, LOAD_SECONDS: String(SECONDS), LOAD_RATE: String(RATE) }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  cli.stdout.on('data', (d) => (stdout += d));
  cli.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => cli.on('exit', (code, signal) => resolve({ code, signal })));
  let appPid = null;
  t.after(() => {
    try {
      process.kill(cli.pid, 'SIGCONT');
    } catch {}
    cli.kill('SIGKILL');
    if (appPid) {
      try {
        process.kill(-appPid, 'SIGKILL'); // the app runs in a process group of its own
      } catch {}
    }
  });

  // Sample both processes every 500 ms; stall the CLI once, at 40 % of the run.
  const samples = { cli: [], app: [] };
  const started = Date.now();
  let stalled = false;
  const sampler = setInterval(() => {
    const now = Date.now();
    appPid ??= childrenOf(cli.pid).find((p) => cmdlineOf(p).includes('load-app.cjs')) ?? null;
    const c = rssOf(cli.pid);
    if (c !== null) samples.cli.push({ t: now, v: c });
    const a = appPid ? rssOf(appPid) : null;
    if (a !== null) samples.app.push({ t: now, v: a });
  }, 500);
  const stall = setTimeout(() => {
    stalled = true;
    process.kill(cli.pid, 'SIGSTOP');
    setTimeout(() => process.kill(cli.pid, 'SIGCONT'), STALL_MS);
  }, SECONDS * 400);
  const { code, signal } = await exited;
  clearInterval(sampler);
  clearTimeout(stall);

  assert.equal(signal, null);
  assert.equal(code, 0, `exit ${code}\n${stderr}`);
  assert.ok(stalled, 'the CLI was stalled once');
  const load = JSON.parse(fs.readFileSync(loadOut, 'utf8'));
  const report = readReport(reportFile);
  assert.equal(report.processes.length, 1);
  const p = report.processes[0];

  // Figures for the note (stderr of the test run).
  const appPeaks = windowPeaks(samples.app, 4);
  const cliPeaks = windowPeaks(samples.cli, 4);
  const queries = p.metrics.queries.reduce((a, q) => a + q.count, 0);
  t.diagnostic(`load: ${load.ok} requests answered (${(load.ok / SECONDS).toFixed(0)}/s), report ${p.metrics.http.requests} requests, ${queries} queries kept, dropped ${p.dropped}`);
  t.diagnostic(`app RSS peaks per quarter: ${appPeaks.map(mb).join(', ')}`);
  t.diagnostic(`CLI RSS peaks per quarter: ${cliPeaks.map(mb).join(', ')}`);

  // The load really was load: hundreds of requests a second, 10 queries each.
  assert.ok(load.ok > SECONDS * 100, `only ${load.ok} requests answered`);
  assert.ok(load.ok <= SECONDS * RATE * 1.1, `the load was paced: ${load.ok} requests`);
  assert.equal(load.errors, 0);

  // Drops: counted in the report and shown in the human summary.
  assert.ok(p.dropped > 0, 'stalling the server for 6 s made the agent drop');
  assert.match(stdout, new RegExp(`dropped ${p.dropped} messages`));

  // Complete: every answered request is in the report or among the counted drops, none twice.
  assert.ok(p.metrics.http.requests <= load.sent, `${p.metrics.http.requests} reported > ${load.sent} sent`);
  assert.ok(p.metrics.http.requests + p.dropped >= load.ok, `${p.metrics.http.requests} reported + ${p.dropped} dropped < ${load.ok} answered`);
  assert.ok(p.metrics.http.requests > load.ok / 2, 'most requests arrived');
  // Memory samples span the run (one a second, minus what the stall dropped).
  const mem = p.metrics.memory;
  assert.ok(mem.length >= SECONDS * 0.5, `${mem.length} memory samples`);
  assert.ok(mem[mem.length - 1].t - mem[0].t >= (SECONDS - 5) * 1000);
  // The N+1 on purpose is found (the detectors ran over the kept queries).
  assert.ok(report.findings.some((f) => f.kind === 'n-plus-one' && /load-app\.cjs$/.test(f.location.file)), 'the N+1 finding');

  // Bounded: after the first quarter (warm-up, buffers filling), peaks stop climbing. The
  // agent's queue is bounded (maxQueue) and it stops writing past a high-water mark, so a
  // stalled server costs the app a bounded amount; the CLI keeps ring buffers.
  const appHeap = mem.map((m) => ({ t: m.t, v: m.heapUsed }));
  const heapPeaks = windowPeaks(appHeap, 4);
  t.diagnostic(`app heapUsed peaks per quarter: ${heapPeaks.map(mb).join(', ')}`);
  assert.ok(appPeaks[3] <= appPeaks[1] * 1.25 + 16 * MB, `app RSS kept growing: ${appPeaks.map(mb).join(', ')}`);
  assert.ok(heapPeaks[3] <= heapPeaks[1] * 1.25 + 16 * MB, `app heap kept growing: ${heapPeaks.map(mb).join(', ')}`);
  assert.ok(cliPeaks[3] <= cliPeaks[1] * 1.5 + 32 * MB, `CLI RSS kept growing: ${cliPeaks.map(mb).join(', ')}`);
  // And absolute ceilings that follow from the caps (10 000 queued messages, 200 000 kept queries).
  assert.ok(Math.max(...appPeaks) < 400 * MB, `app RSS peak ${mb(Math.max(...appPeaks))}`);
  assert.ok(Math.max(...cliPeaks) < 1024 * MB, `CLI RSS peak ${mb(Math.max(...cliPeaks))}`);
});
