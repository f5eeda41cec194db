#!/usr/bin/env node
// `npm run demo`: profiles demo/app.js under three rounds of demo/load.js with the built CLI,
// prints the CLI's summary, and says where the JSON report went. Exits with the CLI's code.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
// PERF_LENS_DEMO_REPORT moves the report (the tests write theirs to a temp dir).
const report = path.resolve(process.env.PERF_LENS_DEMO_REPORT || path.join(root, 'demo-report.json'));

if (!fs.existsSync(cli)) {
  console.error('dist/cli.js is missing: build first with `npm run build`.');
  process.exit(2);
}

/**
 * A throw-away redis-server for the demo's cache when Debian's is installed: the report then
 * shows a cache hit rate (post cards hit, searches miss). Without it the demo runs uncached.
 */
async function startCache() {
  try {
    const { startRedis } = require(path.join(root, 'test', 'helpers', 'redis.js'));
    return await startRedis();
  } catch {
    return null;
  }
}

const args = [
  cli, 'run',
  '--load', 'node demo/load.js',
  '--rounds', '3',
  '--json', report,
  '--root', root,
  '--', 'node', 'demo/app.js',
];
fs.rmSync(report, { force: true }); // a report from an earlier run must not pass for this one

async function main() {
  const cache = await startCache();
  if (!cache) console.log('(redis-server is not installed: the demo runs without its cache)');
  const env = { ...process.env, PORT: '0', ...(cache && { REDIS_URL: cache.url }) };
  const res = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env });
  if (cache) await cache.stop();
  if (res.error) {
    console.error(`Could not run the Perf Lens CLI: ${res.error.message}`);
    process.exit(3);
  }
  if (fs.existsSync(report)) {
    const rel = path.relative(process.cwd(), report);
    console.log(`\nReport written to ${rel.startsWith('..') ? report : rel}`);
  }
  process.exit(res.status ?? 1);
}

main();
