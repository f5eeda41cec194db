#!/usr/bin/env node
// Runs every test file under test/ with node's own test runner (Node 20 takes no globs).
// `node scripts/run-tests.js unit` narrows to test/unit; any other argument is a path filter.
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
const res = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-timeout=300000', ...files],
  { stdio: 'inherit' },
);
process.exit(res.status ?? 1);
