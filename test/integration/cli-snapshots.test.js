// `perf-lens run --rounds 3 --snapshots`: three heap snapshots around the rounds, diffed into
// the leaked objects and what holds them, on the bundled demo's leaking route.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, runCli, fixtureDir, readJson } = require('../helpers/cli');

test('the demo: snapshots after the last three rounds name the leaking sessions Map and its history arrays', async () => {
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
  // The largest groups lead to the leaking `sessions` Map (its grown table, or its entries).
  const shown = diff.groups.slice(0, 10).map((g) => `${g.name} ×${g.count}: ${g.retainerPathText}`).join('\n');
  assert.match(diff.groups[0].retainerPathText, /Map 'sessions'/, shown);
  // One round of demo/load.js between baseline and target: 100 sessions, each with its history.
  assert.ok(diff.groups.slice(0, 3).some((g) => g.name === 'Object' && g.count === 100 && /Map 'sessions'/.test(g.retainerPathText)), shown);
  // Among them, the entries of the `history` arrays of the sessions (demo/app.js:35).
  const top = diff.groups.slice(0, 10).find((g) => g.name === 'Object' && /Array 'history' → Object/.test(g.retainerPathText));
  assert.ok(top, shown);
  assert.match(top.retainerPathText, /Map 'sessions' → .* → Array 'history' → Object/);
  // 100 sessions per round of demo/load.js, 250 history entries each: one round's worth leaked.
  assert.equal(top.count, 25000);
  assert.match(res.stdout, /Leaked objects in pid \d+ /);
  assert.match(res.stdout, /Map 'sessions'/);
});

test('--snapshots needs --load and at least 3 rounds', async () => {
  const res = await runCli(['run', '--snapshots', '--load', 'true', '--rounds', '2', '--', 'node', '-e', '0']);
  assert.equal(res.code, 2);
  assert.equal(res.stderr.trim(), 'perf-lens: The option --snapshots needs --load and --rounds 3 or more.');
});
