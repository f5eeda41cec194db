'use strict';
// A leak held by a library, named by its holder: express-session's default MemoryStore (never
// evicts) under an Express app whose cart route feeds it. The finding names MemoryStore.sessions
// and its file in node_modules, sits on the app's session({…}) call, names the route that feeds
// it, and — with --snapshots — carries the snapshot group that leaks through MemoryStore 'sessions'.
const { CLI } = require('../helpers/build');
const { readReport } = require('../helpers/report-schema');
const { lineOf } = require('../helpers/real-app');
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const APP = path.join(__dirname, '..', 'fixtures', 'leak-apps', 'express-session');
const APP_JS = path.join(APP, 'app.js');
const CART = path.join(APP, 'routes', 'cart.js');
const REQUESTS = 400;

let report;
let stdout;
test.before(() => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-holder-'));
  try {
    const json = path.join(tmp, 'report.json');
    const res = spawnSync(process.execPath, [CLI, 'run', '--load', `node load.js --requests ${REQUESTS}`, '--rounds', '3', '--snapshots', '--snapshot-dir', path.join(tmp, 'snaps'), '--json', json, '--', 'node', 'app.js'], {
      cwd: APP, encoding: 'utf8', timeout: 180_000,
    });
    assert.equal(res.status, 0, `${res.stdout}\n${res.stderr}`);
    stdout = res.stdout;
    report = readReport(json);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

const holderFinding = () => {
  const found = report.findings.filter((f) => f.kind === 'leak' && f.data.holder === 'MemoryStore.sessions');
  assert.equal(found.length, 1, JSON.stringify(report.findings.map((f) => [f.kind, f.message]), null, 1));
  return found[0];
};

test('the leak is named by what holds it: express-session\'s MemoryStore.sessions, its file in node_modules', () => {
  const f = holderFinding();
  assert.equal(f.data.holderPackage, 'express-session');
  assert.match(f.data.holderLocation.file, /[\\/]node_modules[\\/]express-session[\\/]session[\\/]memory\.js$/);
  assert.equal(f.data.retainedBy, 'this.sessions[…] = …');
  assert.match(f.message, /^Memory held by express-session's MemoryStore\.sessions keeps growing: \+[\d.]+ (KB|MB) per load round, [\d.]+ (KB|MB) still live\. this\.sessions\[…\] = … \(node_modules\/express-session\/session\/memory\.js:\d+\) stores what an anonymous function \(cart\.js:\d+\) makes and never lets it go\./);
  assert.ok(f.data.bytesPerRound > 100 * 1024, `per round ${f.data.bytesPerRound}`);
});

test('it sits on the app line that creates the store, the session({…}) call, and names the route that feeds it', () => {
  const f = holderFinding();
  assert.deepEqual([f.location.file, f.location.line], [APP_JS, lineOf(APP_JS, 'session')]);
  assert.match(f.message, /The MemoryStore\.sessions is created by session\(…\) on this line/);
  const fed = f.related.find((r) => /^fed by/.test(r.message));
  assert.ok(fed && fed.location.file === CART, JSON.stringify(f.related));
  const handsOff = f.related.find((r) => /hands it to express-session$/.test(r.message));
  assert.ok(handsOff, JSON.stringify(f.related));
  assert.deepEqual([handsOff.location.file, handsOff.location.line], [CART, lineOf(CART, 'feed')]);
  // the app's own line is not blamed as what keeps it
  assert.ok(!report.findings.some((x) => x.kind === 'leak' && x.location && x.location.file === CART && x.location.line === lineOf(CART, 'feed')));
});

test('the heap snapshots back it: one group of the sessions leaked through MemoryStore \'sessions\'', () => {
  const f = holderFinding();
  assert.ok(f.data.snapshotGroup, JSON.stringify(f.related));
  assert.equal(f.data.snapshotGroup.count, REQUESTS, 'one round of visitors: one session each');
  assert.match(f.data.snapshotGroup.retainerPath, /MemoryStore 'store' → Object 'sessions' → \(string\)/);
  assert.ok(f.related.some((r) => /^heap snapshots: 400 \(string\) objects \(.* retained\) leaked through .*MemoryStore 'store'/.test(r.message)), JSON.stringify(f.related));
  const [diff] = report.snapshotDiffs;
  const sessions = diff.groups.filter((g) => /MemoryStore 'store' → Object 'sessions' → \(string\) '/.test(g.retainerPathText));
  assert.equal(sessions.length, 1, 'the sessions are one group, not one per session id');
  assert.equal(diff.groups[0], sessions[0], 'and the largest');
  assert.match(stdout, /1 +400 +.*\(string\)\n +retained by: .*MemoryStore 'store' → Object 'sessions'/);
});
