'use strict';
// How often the agent reads the heap profile (each read runs a full GC in the app): at its
// period while the process is young or the sampled live bytes rise, and less and less often,
// up to a ceiling, once a quiet heap has nothing new to say. Real apps under the real agent,
// with short periods so the whole cadence fits in seconds.
const test = require('node:test');
const { after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, writeApp, cleanupTmp, launch, byType } = require('../helpers/agent-harness');

after(cleanupTmp);

/** Churns garbage and keeps `keepPerTick` bytes more every 100 ms (0: a steady heap), for `ms`. */
const app = (keepPerTick, ms) => `
const kept = [];
let garbage = 0;
const churn = setInterval(() => {
  for (let i = 0; i < 2000; i++) garbage += JSON.stringify({ i, s: 'x'.repeat(50) }).length;
  if (${keepPerTick} > 0) kept.push(Buffer.alloc(0), 'k'.repeat(${keepPerTick}).split(''));
}, 100);
setTimeout(() => { clearInterval(churn); console.log('done', kept.length, garbage > 0); }, ${ms});
`;

const SETTINGS = { intervalBytes: 4096, periodMs: 500, quietAfterMs: 0, maxQuietPeriodMs: 1600 };

async function readGaps(source, heapSampling) {
  const srv = await startServer();
  try {
    const launched = launch(process.execPath, writeApp(source), { url: srv.url, token: srv.token, options: { heapSampling } });
    const run = await launched.exited;
    assert.equal(run.code, 0, run.stderr);
    const pid = launched.child.pid;
    const messages = await srv.waitFor((ms) => byType(ms, 'bye', pid).length > 0, 10_000, 'bye');
    const reads = byType(messages, 'heapSites', pid).map((m) => m.t);
    return reads.slice(1).map((t, i) => t - reads[i]);
  } finally {
    await srv.close();
  }
}

test('a quiet heap is read less and less often, up to the ceiling', async () => {
  const gaps = await readGaps(app(0, 9000), SETTINGS);
  assert.ok(gaps.length >= 5, `${gaps.length + 1} reads`);
  const last = gaps.slice(-2);
  for (const g of last) assert.ok(g > 1300 && g < 2400, `the last gaps are the 1.6 s ceiling: ${gaps.map(Math.round)}`);
  assert.ok(gaps.length + 1 < 9000 / 500 / 2, `far fewer reads than every 500 ms: ${gaps.length + 1}`);
});

test('a growing heap is read at the full rate', async () => {
  // ~30 KB more live every 100 ms: several sampling intervals per read, far above the noise
  const gaps = await readGaps(app(30_000, 6000), SETTINGS);
  assert.ok(gaps.length >= 10, `${gaps.length + 1} reads`);
  const slow = gaps.filter((g) => g > 1000);
  assert.ok(slow.length <= 2, `reads stay about 500 ms apart: ${gaps.map(Math.round)}`);
});

test('a young process is read at the full rate even when its heap is quiet', async () => {
  const gaps = await readGaps(app(0, 5000), { ...SETTINGS, quietAfterMs: 60_000 });
  assert.ok(gaps.length >= 8, `${gaps.length + 1} reads`);
  assert.ok(gaps.every((g) => g < 1000), `every read about 500 ms apart: ${gaps.map(Math.round)}`);
});
