// A 1 GB heap snapshot parsed within a 2 GB worker heap (the parser keeps nodes and edges in
// typed arrays outside the V8 heap; memlab needs several times the file). The snapshot is made
// once and cached under .cache/bench-snapshots/ (bench/lib/make-snapshot.js): it takes minutes
// and a few GB of RAM to write, so the test runs only with PERF_LENS_SOAK=1 (what `npm test` sets for test/stress).
const { ROOT, CORE } = require('../helpers/build');
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const SOAK = process.env.PERF_LENS_SOAK === '1';

test('a 1 GB snapshot parses in a worker capped at 2 GB of heap', { skip: !SOAK && 'set PERF_LENS_SOAK=1 (makes a 1 GB snapshot once, minutes)', timeout: 1_800_000 }, () => {
  const { ensureSnapshot } = require(path.join(ROOT, 'bench', 'lib', 'make-snapshot.js'));
  const file = ensureSnapshot(1000);
  const bytes = fs.statSync(file).size;
  assert.ok(bytes >= 900e6, `the snapshot is ${(bytes / 1e6).toFixed(0)} MB`);
  // In a child, so its peak RSS is its own: the worker's old space is capped at 2048 MB.
  const script = `
    const core = require(${JSON.stringify(CORE)});
    const t0 = Date.now();
    core.parseSnapshotFile(${JSON.stringify(file)}, { worker: true, maxHeapMb: 2048 }).then((g) => {
      console.log(JSON.stringify({ nodes: g.nodeCount, edges: g.edgeCount, ms: Date.now() - t0, maxRss: process.resourceUsage().maxRSS * 1024 }));
    }, (err) => { console.error(err.message); process.exit(1); });`;
  const out = JSON.parse(execFileSync(process.execPath, ['--max-old-space-size=2048', '-e', script], { encoding: 'utf8', maxBuffer: 1e6 }).trim().split('\n').pop());
  console.log(`1 GB snapshot: ${out.nodes} nodes, ${out.edges} edges in ${(out.ms / 1000).toFixed(1)} s, peak RSS ${(out.maxRss / 1e6).toFixed(0)} MB (${(out.maxRss / bytes).toFixed(2)}× the file)`);
  assert.ok(out.nodes > 5_000_000, `${out.nodes} nodes`);
  assert.ok(out.edges > out.nodes);
});
