'use strict';
// Snapshot diffs grouped as a person would: leaked objects cluster by the shape of their
// retainer path (dictionary keys, array indices collapsed), ranked by retained size. A real
// Node process leaks three ways, 1 500 objects each per round (a keyed session store, a growing
// array, listeners); the diff of its real snapshots is a handful of groups, one per leaking
// object kind, the largest first — not one group per session id.
const { CORE } = require('../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const { compareSnapshotFiles } = require(CORE);
const ITEMS = 1500;

let groups;
test.before(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-three-leaks-'));
  try {
    execFileSync(process.execPath, [path.join(__dirname, '..', 'fixtures', 'heap', 'three-leaks.js'), dir, String(ITEMS)], { timeout: 120_000 });
    const file = (n) => path.join(dir, `${n}.heapsnapshot`);
    groups = await compareSnapshotFiles({ baseline: file('baseline'), target: file('target'), final: file('final') });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const describe = () => groups.slice(0, 15).map((g) => `${g.count} × ${g.name} (${g.nodeType}) ${g.retainedSize} B: ${g.retainerPathText}`).join('\n');

test('each leak is one group of all its objects, whatever their keys or indices', () => {
  const sessions = groups.filter((g) => g.name === '(string)' && g.count > 1 && /SessionStore 'store' → Object 'sessions' → \(string\) '[\w-]{24}'$/.test(g.retainerPathText));
  assert.equal(sessions.length, 1, `one group for the session store's ${ITEMS} entries:\n${describe()}`);
  assert.equal(sessions[0].count, ITEMS);
  const entries = groups.filter((g) => g.name === 'Object' && /'history'/.test(g.retainerPathText));
  assert.equal(entries.length, 1, describe());
  assert.equal(entries[0].count, ITEMS);
  const listeners = groups.filter((g) => g.nodeType === 'closure' && /'_events'/.test(g.retainerPathText));
  assert.equal(listeners.length, 1, describe());
  assert.equal(listeners[0].count, ITEMS);
});

test('a handful of groups, the largest leak first', () => {
  const big = groups.filter((g) => g.count >= 1000);
  assert.ok(big.length >= 3 && big.length <= 12, `a handful of groups of ≥ 1 000 objects, not thousands:\n${describe()}`);
  assert.ok(groups.length <= 40, `${groups.length} groups in all:\n${describe()}`);
  // the history entries hold 1 KB payloads each: the most memory, first
  assert.equal(groups[0].name, 'Object', describe());
  assert.match(groups[0].retainerPathText, /'history'/);
  assert.ok(groups[0].retainedSize >= ITEMS * 1000, describe());
  for (let i = 1; i < groups.length; i++) assert.ok(groups[i - 1].retainedSize >= groups[i].retainedSize, 'ranked by retained size');
});
