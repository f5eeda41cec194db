#!/usr/bin/env node
// Runs every test file under test/ with node's own test runner (Node 20 takes no globs).
// `node scripts/run-tests.js unit` narrows to test/unit; any other argument is a path filter.
// Files in SOLO run after the rest on their own; test/stress runs last, one file at a time (each
// loads the whole machine), at full
// size: the 5-minute load and the 1 GB snapshot. PERF_LENS_SOAK=0 shortens them for a quick
// local run.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', 'test');
const filters = process.argv.slice(2);

function collect(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'fixtures' || entry.name === 'helpers' || entry.name === 'e2e') continue;
      out.push(...collect(full));
    } else if (entry.name.endsWith('.test.js')) out.push(full);
  }
  return out;
}

const files = collect(root)
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('No test files matched.');
  process.exit(1);
}
const isStress = (f) => f.includes(`${path.sep}stress${path.sep}`);
// Files that load the whole machine for a fixed time and judge sampled rates (eight apps side
// by side for 100 s): beside another test file they starve and their estimates spread, so they
// run on their own, after the rest.
const SOLO = ['leak-duration.test.js'];
const isSolo = (f) => SOLO.includes(path.basename(f));
const runs = [
  { files: files.filter((f) => !isStress(f) && !isSolo(f)), concurrency: 2, env: {} },
  { files: files.filter(isSolo), concurrency: 1, env: {} },
  { files: files.filter(isStress), concurrency: 1, env: { PERF_LENS_SOAK: process.env.PERF_LENS_SOAK ?? '1' } },
];
let status = 0;
for (const run of runs) {
  if (run.files.length === 0) continue;
  const res = spawnSync(
    process.execPath,
    ['--test', `--test-concurrency=${run.concurrency}`, '--test-timeout=1800000', ...run.files],
    { stdio: 'inherit', env: { ...process.env, ...run.env } },
  );
  if (res.status !== 0) status = res.status ?? 1;
}
process.exit(status);
