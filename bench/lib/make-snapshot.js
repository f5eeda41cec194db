'use strict';
// Heap snapshots for bench/snapshot-parse.js, cached under .cache/bench-snapshots/.
// `ensureSnapshot(mb)` returns the path of a snapshot of about `mb` MB, writing it first (in a
// child Node process that builds a heap of many small objects and strings) when missing.
// Run directly as the child: node make-snapshot.js --child <heapMB> <out>.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const CACHE = path.join(__dirname, '..', '..', '.cache', 'bench-snapshots');
// Measured on Node 20: a snapshot file is about 1.8× the used heap.
const FILE_PER_HEAP = 1.8;

function buildHeapAndWrite(heapMb, out) {
  const v8 = require('node:v8');
  const keep = [];
  let i = 0;
  const target = heapMb * 1024 * 1024;
  while (v8.getHeapStatistics().used_heap_size < target) {
    for (let k = 0; k < 10_000; k++, i++) {
      keep.push({
        id: i,
        name: `user-${i}-${(i * 2654435761) % 1e9}`,
        tags: [i % 7, `tag-${i % 1000}`],
        address: { city: `city-${i % 5000}`, zip: i % 100000 },
        score: i / 3,
      });
    }
  }
  globalThis.__keep = keep;
  const tmp = `${out}.tmp`;
  v8.writeHeapSnapshot(tmp);
  fs.renameSync(tmp, out);
}

function ensureSnapshot(mb) {
  const out = path.join(CACHE, `bench-${mb}mb.heapsnapshot`);
  if (fs.existsSync(out)) return out;
  fs.mkdirSync(CACHE, { recursive: true });
  const heapMb = Math.round(mb / FILE_PER_HEAP);
  const started = Date.now();
  const res = spawnSync(process.execPath, ['--max-old-space-size=8192', __filename, '--child', String(heapMb), out], { stdio: 'inherit' });
  if (res.status !== 0 || !fs.existsSync(out)) throw new Error(`Writing the ${mb} MB bench snapshot failed (exit ${res.status}).`);
  process.stderr.write(`wrote ${out} (${(fs.statSync(out).size / 1e6).toFixed(0)} MB) in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  return out;
}

if (require.main === module && process.argv[2] === '--child') {
  buildHeapAndWrite(Number(process.argv[3]), process.argv[4]);
}

module.exports = { ensureSnapshot, CACHE };
