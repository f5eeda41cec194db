// `perf-lens run --rounds 3 --snapshots`: three heap snapshots around the rounds, diffed into
// the leaked objects and what holds them, on the bundled demo's leaking route.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, runCli, fixtureDir, readJson } = require('../helpers/cli');

test('the demo: snapshots after the last three rounds name the leaking sessions Map, one group holding their history arrays', async () => {
  const dir = fixtureDir({});
  const res = await runCli(
    ['run', '--load', `node ${path.join(ROOT, 'demo/load.js')}`, '--rounds', '3', '--snapshots', '--json', 'r.json', '--root', ROOT, '--', 'node', path.join(ROOT, 'demo/app.js')],
    { cwd: dir, env: { ...process.env, PORT: '0' } },
  );
  assert.equal(res.code, 0, res.stderr);
  const report = readJson(path.join(dir, 'r.json'));
  const [diff] = report.snapshotDiffs;
  assert.equal(diff.pid, report.processes[0].pid);
  for (const label of ['baseline', 'target', 'final']) {
    assert.equal(diff.files[label], path.join(dir, 'perf-lens-snapshots', `${diff.pid}-${label}.heapsnapshot`));
    assert.ok(fs.statSync(diff.files[label]).size > 1e6, `${label} snapshot written`);
    assert.ok(!fs.existsSync(`${diff.files[label]}.partial`));
  }
  // The largest group is the leak: one round of demo/load.js between baseline and target, 100
  // sessions in the `sessions` Map, each holding its history (250 entries, demo/app.js:35): the
  // history arrays and their entries are part of the sessions that hold them, not groups apart.
  const shown = diff.groups.slice(0, 10).map((g) => `${g.name} ×${g.count} ${g.retainedSize} B: ${g.retainerPathText}`).join('\n');
  const [top] = diff.groups;
  assert.equal(top.name, 'Object', shown);
  assert.equal(top.count, 100, shown);
  assert.match(top.retainerPathText, /Map 'sessions' → .*Object/, shown);
  assert.ok(top.retainedSize >= 100 * 250 * 32, `the sessions retain their histories: ${top.retainedSize} B`);
  assert.ok(!diff.groups.some((g) => /Array 'history'/.test(g.retainerPathText)), `no group apart for what a session holds:\n${shown}`);
  assert.match(res.stdout, /Leaked objects in pid \d+ /);
  assert.match(res.stdout, /Map 'sessions'/);
});

test('--snapshots needs --load and at least 3 rounds', async () => {
  const res = await runCli(['run', '--snapshots', '--load', 'true', '--rounds', '2', '--', 'node', '-e', '0']);
  assert.equal(res.code, 2);
  assert.equal(res.stderr.trim(), 'perf-lens: The option --snapshots needs --load and --rounds 3 or more.');
});
