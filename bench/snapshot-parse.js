#!/usr/bin/env node
// Heap snapshot parsing: Perf Lens's streaming parser (in-thread and in its worker) against
// memlab 2.0.5's parse, each in its own child process, on snapshots of about 150 MB and 700 MB
// (BENCH_QUICK=1: one of about 50 MB). Prints wall time, MB/s, peak RSS and the ratios, and
// writes bench/results/snapshot-parse.json.
//
//   node bench/snapshot-parse.js            BENCH_QUICK=1 node bench/snapshot-parse.js
// Env: BENCH_SIZES (comma list of MB), BENCH_RUNS (default 1), PERF_LENS_CORE (default dist/core.js).
// Snapshots are cached under .cache/bench-snapshots/ (bench/lib/make-snapshot.js).
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const GOALS = { minThroughputRatio: 3, maxRssPerFile: 1.2 };
const PARSERS = ['perf-lens', 'perf-lens-worker', 'memlab'];

/** Child mode: parse once, print { ms, maxRss } as the last line. */
async function child(which, file) {
  const started = process.hrtime.bigint();
  if (which === 'memlab') {
    const { utils } = require('@memlab/core');
    const heap = await utils.getSnapshotFromFile(file, { buildNodeIdIndex: true });
    if (!heap || heap.nodes.length === 0) throw new Error('memlab parsed nothing');
  } else {
    const core = require(process.env.PERF_LENS_CORE || path.join(root, 'dist', 'core.js'));
    const g = await core.parseSnapshotFile(file, { worker: which === 'perf-lens-worker' });
    if (g.nodeCount === 0) throw new Error('parsed nothing');
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  // maxRSS (KiB) covers the whole process, worker threads included.
  process.stdout.write(`\nRESULT ${JSON.stringify({ ms, maxRss: process.resourceUsage().maxRSS * 1024 })}\n`);
}

function runChild(which, file) {
  return new Promise((resolve, reject) => {
    const args = ['--max-old-space-size=8192', __filename, '--child', which, file];
    const c = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) reject(new Error(`${which} on ${file} failed (exit ${code}): ${err.slice(-500)}`));
      else resolve(JSON.parse(line.slice(7)));
    });
  });
}

const mb = (b) => b / 1e6;
const fmt = (v, d = 1) => v.toFixed(d);

async function main() {
  const { ensureSnapshot } = require('./lib/make-snapshot');
  const quick = process.env.BENCH_QUICK === '1';
  const sizes = (process.env.BENCH_SIZES || (quick ? '50' : '150,700')).split(',').map(Number);
  const runs = Number(process.env.BENCH_RUNS || 1);
  const results = [];
  for (const size of sizes) {
    const file = ensureSnapshot(size);
    const bytes = fs.statSync(file).size;
    for (let r = 0; r < runs; r++) {
      for (const which of PARSERS) {
        const res = await runChild(which, file);
        results.push({ snapshotMB: mb(bytes), file, parser: which, run: r, wallMs: res.ms, mbPerS: mb(bytes) / (res.ms / 1000), peakRssMB: mb(res.maxRss), rssPerFile: res.maxRss / bytes });
        process.stderr.write(`${which} ${fmt(mb(bytes), 0)} MB: ${fmt(res.ms / 1000, 2)} s, peak ${fmt(mb(res.maxRss), 0)} MB\n`);
      }
    }
  }
  // Medians per (size, parser), ratios against memlab on the same file.
  const med = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const rows = [];
  for (const size of [...new Set(results.map((r) => r.snapshotMB))]) {
    const of = (p) => results.filter((r) => r.snapshotMB === size && r.parser === p);
    const memlabMbS = med(of('memlab').map((r) => r.mbPerS));
    for (const p of PARSERS) {
      const rs = of(p);
      const mbPerS = med(rs.map((r) => r.mbPerS));
      rows.push({
        snapshotMB: size, parser: p, wallS: med(rs.map((r) => r.wallMs)) / 1000, mbPerS,
        peakRssMB: med(rs.map((r) => r.peakRssMB)), rssPerFile: med(rs.map((r) => r.rssPerFile)),
        throughputVsMemlab: mbPerS / memlabMbS,
      });
    }
  }
  const header = ['snapshot MB', 'parser', 'wall s', 'MB/s', 'peak RSS MB', 'RSS/file', '× memlab'];
  const table = rows.map((r) => [fmt(r.snapshotMB, 0), r.parser, fmt(r.wallS, 2), fmt(r.mbPerS, 0), fmt(r.peakRssMB, 0), fmt(r.rssPerFile, 2), fmt(r.throughputVsMemlab, 2)]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  for (const line of [header, ...table]) console.log(line.map((c, i) => (i === 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  const ours = rows.filter((r) => r.parser === 'perf-lens');
  const goals = {
    ...GOALS,
    throughputMet: ours.every((r) => r.throughputVsMemlab >= GOALS.minThroughputRatio),
    rssMet: ours.every((r) => r.rssPerFile <= GOALS.maxRssPerFile),
  };
  console.log(`goals: ≥ ${GOALS.minThroughputRatio}× memlab's MB/s ${goals.throughputMet ? 'met' : 'NOT met'}; peak RSS ≤ ${GOALS.maxRssPerFile}× file ${goals.rssMet ? 'met' : 'NOT met'}`);
  const out = path.join(__dirname, 'results', 'snapshot-parse.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ node: process.version, when: new Date().toISOString(), goals, rows, runs: results }, null, 2) + '\n');
  console.log(`wrote ${path.relative(root, out)}`);
}

if (process.argv[2] === '--child') {
  child(process.argv[3], process.argv[4]).catch((err) => {
    console.error(err.stack || err.message);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}
