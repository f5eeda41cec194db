'use strict';
// Real snapshots of a real leaking Node process: our parser against memlab's, the three-
// snapshot diff, and `perf-lens snapshot-diff` as a user runs it.
const { ROOT, CORE, CLI } = require('../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const core = require(CORE);
const APP = path.join(ROOT, 'test', 'fixtures', 'heap', 'leaky-app.js');
const MEMLAB_CHILD = path.join(ROOT, 'test', 'fixtures', 'heap', 'memlab-stats.js');
const N = 1000;

/** Runs the fixture app; resolves with the directory holding 1/2/3.heapsnapshot. */
function makeSnapshots(nodeArgs = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-heap-'));
  const res = spawnSync(process.execPath, [...nodeArgs, APP, dir, String(N)], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(res.status, 0, res.stderr);
  assert.match(res.stdout, /"leaked":1000/);
  return dir;
}

function runCli(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const dir = makeSnapshots();
const snap = (k) => path.join(dir, `${k}.heapsnapshot`);
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('node count, edge count and per-constructor counts and self sizes equal memlab', async () => {
  const res = spawnSync(process.execPath, [MEMLAB_CHILD, snap(3)], { encoding: 'utf8', cwd: ROOT, timeout: 120_000, maxBuffer: 64 << 20 });
  assert.equal(res.status, 0, `memlab child failed: ${res.stderr}`);
  const line = res.stdout.split('\n').find((l) => l.startsWith('MEMLAB '));
  const theirs = JSON.parse(line.slice('MEMLAB '.length));
  const g = await core.parseSnapshotFile(snap(3), { worker: true });
  assert.equal(g.nodeCount, theirs.nodeCount);
  assert.equal(g.edgeCount, theirs.edgeCount);
  const ours = {};
  for (const s of core.constructorStats(g)) ours[`${s.type}\u0000${s.name}`] = { count: s.count, selfSize: s.selfSize };
  assert.ok(Object.keys(ours).length > 1000, 'a real heap has many constructors');
  assert.deepEqual(ours, theirs.groups);
  assert.equal(ours['object\u0000LeakyThing'].count, N);
});

test('the worker and the in-thread parser give the same graph', async () => {
  const [w, t] = await Promise.all([
    core.parseSnapshotFile(snap(2), { worker: true, maxHeapMb: 256 }),
    core.parseSnapshotFile(snap(2), { worker: false }),
  ]);
  assert.equal(w.nodeCount, t.nodeCount);
  assert.deepEqual(Buffer.from(w.data.edgeTo.buffer, w.data.edgeTo.byteOffset, w.data.edgeTo.byteLength), Buffer.from(t.data.edgeTo.buffer, t.data.edgeTo.byteOffset, t.data.edgeTo.byteLength));
  assert.deepEqual(core.constructorStats(w), core.constructorStats(t));
});

test('the diff puts the leaked LeakyThing first, with its count and a path through its holder', async () => {
  const [a, b, c] = await Promise.all([1, 2, 3].map((k) => core.parseSnapshotFile(snap(k))));
  const groups = core.diffSnapshots(a, b, c);
  const top = groups[0];
  assert.equal(top.name, 'LeakyThing');
  assert.equal(top.count, N);
  assert.ok(top.retainedSize > top.selfSize, 'each LeakyThing also retains its label string');
  assert.match(top.retainerPathText, /^\(GC roots\) → .*LeakRegistry 'registry' → Array 'things' → LeakyThing \[\d+\]$/);
  assert.ok(top.location && top.location.line === 12, `LeakyThing's constructor starts on line 12, got ${JSON.stringify(top.location)}`);
  assert.ok(!groups.some((g) => g.name === 'TransientThing'), 'objects freed before the final snapshot are not leaks');
  const text = core.formatLeakGroups(groups);
  assert.match(text, /^ +1 +1000 .* LeakyThing/m);
});

test('with allocation tracking, the group names the allocating function and script', async () => {
  const tracked = makeSnapshots(['--track-heap-objects']);
  try {
    const [a, b, c] = await Promise.all([1, 2, 3].map((k) => core.parseSnapshotFile(path.join(tracked, `${k}.heapsnapshot`))));
    // Objects the tracker recorded no trace for fall back to their constructor's place and form
    // a group of their own (seen once under load: 936 + 64): together they hold every leaked
    // object, and the largest names the allocating function and script.
    const leaky = core.diffSnapshots(a, b, c).filter((g) => g.name === 'LeakyThing');
    assert.equal(leaky.reduce((n, g) => n + g.count, 0), N, JSON.stringify(leaky.map((g) => [g.count, g.allocatedBy, g.location])));
    const top = leaky.reduce((x, y) => (y.count > x.count ? y : x));
    assert.ok(top.location.url.endsWith('leaky-app.js'), JSON.stringify(top.location));
    assert.ok(top.allocatedBy, 'the allocating function is named');
  } finally {
    fs.rmSync(tracked, { recursive: true, force: true });
  }
});

test('perf-lens snapshot-diff prints the groups and writes JSON', async () => {
  const out = path.join(dir, 'diff.json');
  const r = await runCli(['snapshot-diff', snap(1), snap(2), snap(3), '--json', out, '--top', '3']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /1000 +.*LeakyThing/);
  assert.match(r.stdout, /retained by: \(GC roots\) → .*Array 'things' → LeakyThing/);
  const report = JSON.parse(fs.readFileSync(out, 'utf8')); // a snapshot-diff file, not a run report
  assert.equal(report.version, 1);
  assert.equal(report.groups[0].name, 'LeakyThing');
  assert.equal(report.groups[0].count, N);
});

test('missing, truncated and corrupt snapshots give one sentence and an exit code', async () => {
  const truncated = path.join(dir, 'truncated.heapsnapshot');
  fs.writeFileSync(truncated, fs.readFileSync(snap(3)).subarray(0, 1_500_000));
  const corrupt = path.join(dir, 'corrupt.heapsnapshot');
  const bytes = Buffer.from(fs.readFileSync(snap(3)));
  bytes.write('@@', 2_000_000);
  fs.writeFileSync(corrupt, bytes);
  const cases = [
    [['snapshot-diff', snap(1), snap(2)], 2, /^perf-lens: snapshot-diff needs three heap snapshots/],
    [['snapshot-diff', snap(1), snap(2), path.join(dir, 'nope.heapsnapshot')], 2, /^perf-lens: The heap snapshot .*nope\.heapsnapshot does not exist\.$/],
    [['snapshot-diff', snap(1), snap(2), truncated], 1, /^perf-lens: The heap snapshot .*truncated\.heapsnapshot is truncated: the file ends inside the "\w+" array after \d+ bytes\.$/],
    [['snapshot-diff', corrupt, snap(2), snap(3)], 1, /^perf-lens: The heap snapshot .*corrupt\.heapsnapshot is not valid: unexpected "@" at byte 2000000 inside the "\w+" array\.$/],
    [['snapshot-diff', APP, snap(2), snap(3)], 1, /^perf-lens: The heap snapshot .*leaky-app\.js is not valid: it does not start with a JSON object/],
  ];
  for (const [args, code, re] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr.trim(), re);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line, no stack trace');
  }
});
