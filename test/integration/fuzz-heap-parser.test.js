'use strict';
// The streaming snapshot parser against broken files: thousands of random byte edits, cuts and
// splices of a real Node heap snapshot, fed in random chunk sizes. Each either parses or fails
// with a HeapSnapshotError of one sentence: never another exception, a hang or a crash. Then
// the same through parseSnapshotFile and its worker thread, as `snapshot-diff` reads files.
const { CORE } = require('../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const core = require(CORE);
const { SnapshotReader, HeapGraph, HeapSnapshotError, parseSnapshotFile } = core;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-fuzz-heap-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A real snapshot of a small Node process (a few MB). */
function realSnapshot() {
  const file = path.join(dir, 'real.heapsnapshot');
  execFileSync(process.execPath, ['-e', `const k = []; for (let i = 0; i < 2000; i++) k.push({ i, s: 'é"\\\\' + i }); require('v8').writeHeapSnapshot(${JSON.stringify(file)});`]);
  return fs.readFileSync(file);
}

function prng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function parseInChunks(buf, rnd) {
  const reader = new SnapshotReader(buf.length);
  for (let i = 0; i < buf.length; ) {
    const size = 1 + Math.floor(rnd() * 65536);
    reader.push(buf.subarray(i, i + size));
    i += size;
  }
  return new HeapGraph(reader.end());
}

function assertOneSentence(err, what) {
  assert.ok(err instanceof HeapSnapshotError, `${what}: ${err && err.constructor.name}: ${err && err.message}`);
  assert.equal(err.message.split('\n').length, 1, `${what}: ${err.message}`);
  assert.ok(err.message.length < 300, `${what}: ${err.message.length} chars`);
}

test('600 corrupted copies of a real snapshot: each parses or fails with one HeapSnapshotError sentence', { timeout: 240_000 }, () => {
  const real = realSnapshot();
  const rnd = prng(42);
  const outcomes = { parsed: 0, refused: 0 };
  const reasons = new Set();
  const body = real.indexOf('"nodes":[');
  for (let i = 0; i < 600; i++) {
    const buf = Buffer.from(real);
    let what;
    switch (i % 5) {
      case 0: { // a few random bytes anywhere
        const n = 1 + Math.floor(rnd() * 8);
        for (let k = 0; k < n; k++) buf[Math.floor(rnd() * buf.length)] = Math.floor(rnd() * 256);
        what = `${n} random bytes`;
        break;
      }
      case 1: // one byte in the header, where the structure is declared
        buf[Math.floor(rnd() * body)] = ' ,:[]{}"0123456789-.ex\\'.charCodeAt(Math.floor(rnd() * 24));
        what = 'header byte';
        break;
      case 2: { // a cut
        const cut = Math.floor(rnd() * buf.length);
        assert.throws(() => parseInChunks(buf.subarray(0, cut), rnd), (err) => (assertOneSentence(err, `cut at ${cut}`), reasons.add(err.message.replace(/\d+/g, 'N')), true));
        outcomes.refused++;
        continue;
      }
      case 3: { // a digit run replaced by a huge or negative number
        const at = body + Math.floor(rnd() * (buf.length - body));
        const s = buf.toString('latin1');
        const j = s.slice(at).search(/\d/);
        if (j < 0) continue;
        const repl = Buffer.from(['99999999999999999999', '-1', '4294967296', '1e9', '00'][Math.floor(rnd() * 5)]);
        const spliced = Buffer.concat([buf.subarray(0, at + j), repl, buf.subarray(at + j + 1)]);
        try {
          parseInChunks(spliced, rnd);
          outcomes.parsed++;
        } catch (err) {
          assertOneSentence(err, `number ${repl}`);
          reasons.add(err.message.replace(/\d+/g, 'N'));
          outcomes.refused++;
        }
        continue;
      }
      default: { // a slice of the file spliced into another place
        const a = Math.floor(rnd() * buf.length);
        const b = Math.floor(rnd() * buf.length);
        const spliced = Buffer.concat([buf.subarray(0, a), buf.subarray(b, b + 1 + Math.floor(rnd() * 4096)), buf.subarray(a)]);
        try {
          parseInChunks(spliced, rnd);
          outcomes.parsed++;
        } catch (err) {
          assertOneSentence(err, 'splice');
          reasons.add(err.message.replace(/\d+/g, 'N'));
          outcomes.refused++;
        }
        continue;
      }
    }
    try {
      parseInChunks(buf, rnd);
      outcomes.parsed++;
    } catch (err) {
      assertOneSentence(err, what);
      reasons.add(err.message.replace(/\d+/g, 'N'));
      outcomes.refused++;
    }
  }
  test.diagnostic?.(`parsed ${outcomes.parsed}, refused ${outcomes.refused}, ${reasons.size} distinct reasons`);
  assert.ok(outcomes.refused >= 300, `${outcomes.refused} refused`);
});

test('truncated and corrupt files through parseSnapshotFile (worker): one sentence each, the process stays up', { timeout: 120_000 }, async () => {
  const real = fs.readFileSync(path.join(dir, 'real.heapsnapshot'));
  const rnd = prng(7);
  const files = [
    ['empty', Buffer.alloc(0)],
    ['half', real.subarray(0, real.length >> 1)],
    ['all but the last byte', real.subarray(0, real.length - 1)],
    ['not JSON', Buffer.from('hello world')],
    ['binary', Buffer.from(Array.from({ length: 100_000 }, () => Math.floor(rnd() * 256)))],
    ['a JSON array', Buffer.from('[1,2,3]')],
    ['nodes before the header', Buffer.from('{"nodes":[1,2,3],"snapshot":{}}')],
    ['zeros', Buffer.alloc(1_000_000)],
  ];
  for (const [what, content] of files) {
    const file = path.join(dir, `${what.replace(/\W+/g, '-')}.heapsnapshot`);
    fs.writeFileSync(file, content);
    for (const worker of [true, false]) {
      await assert.rejects(parseSnapshotFile(file, { worker }), (err) => {
        assert.equal(err.message.split('\n').length, 1, `${what}: ${err.message}`);
        assert.match(err.message, /\.$|\S$/);
        return true;
      }, what);
    }
  }
  // And a good file still parses afterwards, in the same process.
  const g = await parseSnapshotFile(path.join(dir, 'real.heapsnapshot'), { worker: true });
  assert.ok(g.nodeCount > 1000);
});
