'use strict';
// When the agent reads the heap profile (each read runs a full GC in the app): not while the
// heap stays flat, within a second or two once it grows, at the full period while the live heap
// keeps rising, and back to sleep once it stops; now and then when a quiet period is set; at once
// on the editor's "start heap sampling" command. Real apps under the real agent, with short
// periods so the whole cadence fits in seconds.
const test = require('node:test');
const { after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, writeApp, cleanupTmp, launch, byType } = require('../helpers/agent-harness');

after(cleanupTmp);

/**
 * Churns garbage that dies young for `ms`; from `growFrom` to `growUntil` ms it also keeps
 * `keepPerTick` more bytes every 100 ms. Prints when it starts and stops keeping.
 */
const app = ({ keepPerTick = 0, growFrom = 0, growUntil = 0, ms }) => `
const kept = [];
const t0 = Date.now();
let garbage = 0;
const churn = setInterval(() => {
  for (let i = 0; i < 2000; i++) garbage += JSON.stringify({ i, s: 'x'.repeat(50) }).length;
  const age = Date.now() - t0;
  if (${keepPerTick} > 0 && age >= ${growFrom} && age < ${growUntil}) kept.push('k'.repeat(${keepPerTick}).split(''));
}, 100);
setTimeout(() => { clearInterval(churn); console.log('done', kept.length, garbage > 0); }, ${ms});
`;

const SETTINGS = { intervalBytes: 4096, periodMs: 500, wakeBytes: 256 * 1024, quietGcMs: 1000, settleMs: 0, maxQuietPeriodMs: 0, checkMs: 100 };

/** Runs the app under the agent; the times (ms from the hello) of its heap profile reads. */
async function readTimes(source, heapSampling, duringRun) {
  const srv = await startServer();
  try {
    const launched = launch(process.execPath, writeApp(source), { url: srv.url, token: srv.token, options: { heapSampling } });
    const pid = launched.child.pid;
    if (duringRun) await duringRun(srv, pid);
    const run = await launched.exited;
    assert.equal(run.code, 0, run.stderr);
    const messages = await srv.waitFor((ms) => byType(ms, 'bye', pid).length > 0, 10_000, 'bye');
    const t0 = byType(messages, 'hello', pid)[0].t;
    return byType(messages, 'heapSites', pid).map((m) => m.t - t0);
  } finally {
    await srv.close();
  }
}

const fmt = (times) => times.map((t) => (t / 1000).toFixed(1)).join(', ');

test('a heap that does not grow is not read once start-up is over', async () => {
  const reads = await readTimes(app({ ms: 14_000 }), SETTINGS);
  // Start-up may grow the live heap for a few seconds (code, the agent's own buffers; longer on
  // a loaded machine), which the reads see and follow: its growth starts the profiler, whose
  // own start grows the heap a little more (a second short stretch of reads, measured at 5–8 s
  // here). Then nothing, where a read every 500 ms would make 28.
  assert.ok(reads.length <= 9, `reads at ${fmt(reads)} s`);
  assert.ok(reads.filter((t) => t >= 11_000).length <= 1, `asleep after start-up: ${fmt(reads)} s`);
});

test('a heap that grows is read within a second or two, then at the full period', async () => {
  // ~240 KB more live every 100 ms: the old generation passes 256 KB above its low at once
  const reads = await readTimes(app({ keepPerTick: 30_000, growFrom: 0, growUntil: 7000, ms: 7000 }), SETTINGS);
  assert.ok(reads.length >= 8, `reads at ${fmt(reads)} s`);
  assert.ok(reads[0] < 2500, `the first read comes with the growth: ${fmt(reads)} s`);
  const gaps = reads.slice(1).map((t, i) => t - reads[i]);
  assert.ok(gaps.filter((g) => g > 1000).length <= 1, `reads about 500 ms apart while it grows: ${fmt(reads)} s`);
});

test('growth that starts late wakes the reads; when it stops they sleep again', async () => {
  const reads = await readTimes(app({ keepPerTick: 30_000, growFrom: 2500, growUntil: 6000, ms: 12_000 }), SETTINGS);
  const before = reads.filter((t) => t < 2500);
  const during = reads.filter((t) => t >= 2500 && t < 7500);
  const after = reads.filter((t) => t >= 9000);
  assert.ok(before.length <= 1, `at most a measure of the live heap before the growth: ${fmt(reads)} s`);
  assert.ok(during.length >= 5, `read at the full period while it grows: ${fmt(reads)} s`);
  assert.ok(after.length <= 1, `asleep again after the growth stopped: ${fmt(reads)} s`);
});

test('a quiet period, when set, reads a heap that does not grow now and then', async () => {
  const reads = await readTimes(app({ ms: 12_000 }), { ...SETTINGS, maxQuietPeriodMs: 2000 });
  // once start-up's growth is over (its reads may wake the full period for a moment)
  const settled = reads.filter((t) => t >= 6000);
  assert.ok(settled.length >= 2 && settled.length <= 4, `reads at ${fmt(reads)} s`);
  const gaps = settled.slice(1).map((t, i) => t - settled[i]);
  assert.ok(gaps.every((g) => g > 1500), `about 2 s apart: ${fmt(reads)} s`);
});

test("the editor's start command wakes the reads of a quiet heap at once", async () => {
  const reads = await readTimes(app({ ms: 6000 }), SETTINGS, async (srv, pid) => {
    await srv.waitFor((ms) => byType(ms, 'hello', pid).length > 0, 10_000, 'hello');
    await new Promise((r) => setTimeout(r, 2500));
    const answer = await srv.server.sendCommand(pid, 'startHeapSampling', {}, 10_000);
    // start-up's growth may have started the profiler already (wasRunning: see below)
    assert.deepEqual([answer.ok, answer.data.intervalBytes], [true, 4096]);
  });
  // awake: a read within a look of the command, then at the period until three found no rise
  const afterCommand = reads.filter((t) => t >= 2500);
  assert.ok(afterCommand.length >= 3, `reads at ${fmt(reads)} s`);
  assert.ok(afterCommand[0] < 4000, `the reads follow the command at 2.5 s: ${fmt(reads)} s`);
});

/** The `startHeapSampling` answer's `wasRunning` for a run of `source`, asked once `ready` holds. */
async function wasRunningWhen(source, heapSampling, ready) {
  let answer;
  await readTimes(source, heapSampling, async (srv, pid) => {
    await srv.waitFor((ms) => ready(ms, pid), 10_000, 'the moment to ask');
    answer = await srv.server.sendCommand(pid, 'startHeapSampling', {}, 10_000);
  });
  assert.equal(answer.ok, true, answer.error);
  return answer.data.wasRunning;
}

test('the profiler starts with the first growth (its cost is not paid before), or at once with sampleFromStart', async () => {
  const started = (ms, pid) => byType(ms, 'hello', pid).length > 0;
  const quiet = app({ ms: 4000 });
  // start-up's own growth ignored as by default, so that nothing else can start it
  const calm = { ...SETTINGS, quietGcMs: 20_000, settleMs: 5000 };
  // a quiet heap: nothing started it, so the command does
  assert.equal(await wasRunningWhen(quiet, calm, started), false);
  // sampleFromStart: running before anything grew
  assert.equal(await wasRunningWhen(quiet, { ...calm, sampleFromStart: true }, started), true);
  // a growing heap has been read, so growth started the profiler before the command came
  const read = (ms, pid) => byType(ms, 'heapSites', pid).length > 0;
  assert.equal(await wasRunningWhen(app({ keepPerTick: 30_000, growFrom: 0, growUntil: 5000, ms: 5000 }), SETTINGS, read), true);
});
