// The demo under `run --record`, then `analyze` of the recording: every finding (N+1, leak,
// heap growth) and every figure comes back identical, and --fail-on sees them.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { ROOT, runCli, fixtureDir, readJson } = require('../helpers/cli');

test('analyze of the demo recording reproduces every finding of the run', async () => {
  const dir = fixtureDir({});
  const run = await runCli(
    ['run', '--load', `node ${path.join(ROOT, 'demo/load.js')}`, '--rounds', '3', '--record', 'rec.ndjson', '--json', 'run.json',
      '--sarif', 'run.sarif', '--root', ROOT, '--fail-on', 'n-plus-one', '--', 'node', path.join(ROOT, 'demo/app.js')],
    { cwd: dir, env: { ...process.env, PORT: '0' } },
  );
  assert.equal(run.code, 1, `--fail-on n-plus-one matched: ${run.stderr}`);
  assert.match(run.stderr, /perf-lens: 1 finding of a --fail-on kind \(n-plus-one\)\./);
  const report = readJson(path.join(dir, 'run.json'));
  const kinds = report.findings.map((f) => f.kind);
  assert.ok(kinds.includes('n-plus-one') && kinds.includes('leak'), kinds.join(', '));
  const nPlusOne = report.findings.find((f) => f.kind === 'n-plus-one');
  assert.deepEqual(nPlusOne.location, { file: path.join(ROOT, 'demo/app.js'), line: 24, column: 75 });

  const again = await runCli(['analyze', 'rec.ndjson', '--json', 'again.json', '--sarif', 'again.sarif', '--root', ROOT], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(readJson(path.join(dir, 'again.json')), report);
  assert.deepEqual(readJson(path.join(dir, 'again.sarif')), readJson(path.join(dir, 'run.sarif')));
  const sarif = readJson(path.join(dir, 'run.sarif'));
  const result = sarif.runs[0].results.find((r) => r.ruleId === 'n-plus-one');
  assert.equal(result.locations[0].physicalLocation.artifactLocation.uri, 'demo/app.js');
  assert.equal(result.locations[0].physicalLocation.region.startLine, 24);
});
