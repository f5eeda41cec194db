#!/usr/bin/env node
// What watching the GC costs an app that allocates like a busy server: a child process (pinned
// to its own CPU where taskset exists) runs a fixed allocation workload (short-lived objects and
// strings, as request handling makes) and reports its CPU time, collections and RSS. Variants,
// interleaved pair by pair: no GC watching; a PerformanceObserver on 'gc' entries (what the
// agent's gc probe uses) with an empty callback; the same callback reading
// v8.getHeapStatistics() as the probe does; v8.GCProfiler read once a second. Prints the median
// CPU ratio of each against the run without, and the cost per collection.
//
//   node bench/gc-probe.js [--pairs 8] [--iterations 3000000] [--out bench/results/gc-probe.json]
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { nodeCommand, cpuPlan } = require('./lib/procs');
const { median } = require('./lib/stats');

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const quick = args.includes('--quick');
const PAIRS = Number(flag('pairs', quick ? 3 : 8));
const ITERATIONS = Number(flag('iterations', quick ? 1_000_000 : 3_000_000));
const OUT = path.resolve(flag('out', path.join(__dirname, 'results', 'gc-probe.json')));

const CHILD = `
const v8 = require('node:v8');
const { PerformanceObserver } = require('node:perf_hooks');
const variant = process.argv[1];
let gcs = 0;
if (variant === 'observer' || variant === 'observer+heap') {
  const heap = variant === 'observer+heap';
  new PerformanceObserver((list) => {
    if (heap) v8.getHeapStatistics();
    gcs += list.getEntries().length;
  }).observe({ entryTypes: ['gc'] });
}
let profiler = null;
if (variant === 'gcprofiler') {
  profiler = new v8.GCProfiler();
  profiler.start();
  setInterval(() => {
    gcs += profiler.stop().statistics.length;
    profiler.start();
  }, 1000).unref();
}
// Request-like garbage: a small object graph and a JSON string per iteration, in slices that
// yield to the event loop (so observer callbacks and timers run, as in a server).
const ITER = ${ITERATIONS};
let sink = 0;
let i = 0;
const before = process.cpuUsage();
function slice() {
  const end = Math.min(ITER, i + 5000);
  for (; i < end; i++) {
    const o = { id: i, name: 'item-' + i, tags: ['a', 'b', String(i & 7)], at: { t: i * 3 } };
    sink += JSON.stringify(o).length;
  }
  if (i < ITER) return setImmediate(slice);
  const cpu = process.cpuUsage(before);
  if (profiler) gcs += profiler.stop().statistics.length;
  setImmediate(() => {
    process.stdout.write(JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, gcs, rssMB: process.memoryUsage().rss / 2 ** 20, sink }) + '\\n');
  });
}
setImmediate(slice);
`;

const VARIANTS = ['without', 'observer', 'observer+heap', 'gcprofiler'];

function runChild(variant, cpu) {
  return new Promise((resolve, reject) => {
    const [cmd, argv] = nodeCommand(['-e', CHILD, variant], cpu);
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`${variant} exited with ${code}`))));
  });
}

async function main() {
  const plan = cpuPlan();
  const runs = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  for (let p = 0; p < PAIRS; p++) {
    const order = p % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
    for (const v of order) {
      const r = await runChild(v, plan?.app);
      runs[v].push(r);
      process.stderr.write(`pair ${p + 1}/${PAIRS}  ${v.padEnd(14)} CPU ${r.cpuMs.toFixed(0)} ms  ${r.gcs} GCs seen  RSS ${r.rssMB.toFixed(1)} MB\n`);
    }
  }
  const base = runs.without;
  const summary = {};
  console.log(`\nGC watching on an allocating app — ${PAIRS} pairs × ${ITERATIONS} iterations, node ${process.version}${plan ? ', pinned' : ''}`);
  console.log('variant         CPU ms  ratio (paired median, min–max)  GCs seen  µs per GC  RSS MB');
  for (const v of VARIANTS) {
    const ratios = runs[v].map((r, i) => r.cpuMs / base[i].cpuMs);
    const cpuMs = median(runs[v].map((r) => r.cpuMs));
    const gcs = median(runs[v].map((r) => r.gcs));
    const extraUs = ((cpuMs - median(base.map((r) => r.cpuMs))) * 1000) / Math.max(1, gcs);
    summary[v] = { cpuMs, ratio: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), gcs, usPerGc: v === 'without' ? null : extraUs, rssMB: median(runs[v].map((r) => r.rssMB)) };
    const s = summary[v];
    console.log(`${v.padEnd(14)} ${cpuMs.toFixed(0).padStart(7)}  ${s.ratio.toFixed(3)} (${s.min.toFixed(3)}–${s.max.toFixed(3)})${' '.repeat(12)}${String(gcs).padStart(8)}  ${s.usPerGc === null ? '' : s.usPerGc.toFixed(1).padStart(9)}  ${s.rssMB.toFixed(1).padStart(6)}`);
  }
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, JSON.stringify({ pairs: PAIRS, iterations: ITERATIONS, node: process.version, runs, summary }, null, 2));
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
