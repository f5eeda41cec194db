#!/usr/bin/env node
// Overhead of V8's sampling heap profiler (HeapProfiler.startSampling over an in-process
// inspector session, as the agent runs it) on an allocation-heavy workload, per sampling
// interval, side by side with a run without it. Each run is a fresh child process; runs are
// interleaved (off, 32K, 64K, …, then reversed) so drift of a shared machine hits all alike.
// Also measures what one getSamplingProfile call blocks the app for. The figure is ops per
// CPU-second of the workload process (process.cpuUsage), not wall time: on a shared machine
// wall time mostly measures the neighbours.
//
//   node bench/heap-sampling.js [--pairs 5] [--seconds 3] [--intervals 32768,65536,131072,262144,524288]
const { spawnSync } = require('node:child_process');
const { describe, median } = require('./lib/stats');

function flag(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}
const pairs = Number(flag('pairs', 5));
const seconds = Number(flag('seconds', 3));
const intervals = flag('intervals', '32768,65536,131072,262144,524288').split(',').map(Number);

// The workload: objects, strings, arrays and JSON, with a retained working set of ~20 MB
// (an LRU-like ring) so the profiler's live-sample bookkeeping is exercised, not just births.
const WORKLOAD = `
const inspector = require('node:inspector');
const interval = Number(process.argv[1]);
const seconds = Number(process.argv[2]);
function post(s, m, p) { return new Promise((res, rej) => s.post(m, p || {}, (e, r) => (e ? rej(e) : res(r)))); }
async function main() {
  let session = null;
  if (interval > 0) {
    session = new inspector.Session();
    session.connect();
    await post(session, 'HeapProfiler.startSampling', { samplingInterval: interval });
  }
  const ring = new Array(20000);
  let ops = 0, i = 0;
  const warmEnd = Date.now() + 500;
  while (Date.now() < warmEnd) step();
  const cpu0 = process.cpuUsage();
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) { for (let k = 0; k < 200; k++) step(); ops += 200; }
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  function step() {
    const o = { id: i, name: 'user-' + i, tags: ['a' + (i % 7), 'b' + (i % 11)], score: i * 1.5 };
    const s = JSON.stringify(o);
    ring[i++ % ring.length] = JSON.parse(s);
  }
  let profileMs = null, samples = null;
  if (session) {
    const t0 = performance.now();
    const { profile } = await post(session, 'HeapProfiler.getSamplingProfile');
    profileMs = performance.now() - t0;
    samples = profile.samples.length;
  }
  process.stdout.write(JSON.stringify({ opsPerSec: ops / cpuSeconds, profileMs, samples }));
}
main();
`;

function runOnce(interval) {
  const r = spawnSync(process.execPath, ['-e', WORKLOAD, String(interval), String(seconds)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`workload failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const configs = [0, ...intervals];
const results = new Map(configs.map((c) => [c, []]));
for (let p = 0; p < pairs; p++) {
  const order = p % 2 ? [...configs].reverse() : configs;
  for (const c of order) results.get(c).push(runOnce(c));
  process.stderr.write(`pair ${p + 1}/${pairs} done\n`);
}
const base = median(results.get(0).map((r) => r.opsPerSec));
console.log(`workload: ${seconds} s allocation loop, ${pairs} runs per configuration, node ${process.version}`);
console.log('interval    ops/CPU-s (median)   vs off    spread   getSamplingProfile ms (median, samples)');
for (const c of configs) {
  const rs = results.get(c);
  const d = describe(rs.map((r) => r.opsPerSec));
  const loss = c === 0 ? '' : `${(((d.median - base) / base) * 100).toFixed(1)} %`;
  const prof = c === 0 ? '' : `${median(rs.map((r) => r.profileMs)).toFixed(1)} ms (${median(rs.map((r) => r.samples))})`;
  console.log(
    `${(c === 0 ? 'off' : `${c / 1024} KB`).padEnd(10)}  ${Math.round(d.median).toString().padStart(12)}   ${loss.padStart(7)}   ${d.spreadPct.toFixed(1).padStart(5)} %   ${prof}`,
  );
}
