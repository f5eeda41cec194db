'use strict';
// The recording (`--record`, input of `analyze`): NDJSON written as received, read back with
// the server's validation; invalid lines are skipped with reasons.
const { CORE } = require('../../../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { RecordingWriter, readRecording, SessionStore } = require(CORE);

function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-rec-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const hello = { type: 'hello', pid: 3, t: 1, protocol: 1, nodeVersion: 'v22.0.0', argv: ['node', 'a.js'], cwd: '/a' };
const memory = { type: 'memory', pid: 3, t: 2, heapUsed: 1, heapTotal: 2, rss: 3, external: 4, arrayBuffers: 5 };
const bye = { type: 'bye', pid: 3, t: 3 };

async function read(file) {
  const messages = [];
  const result = await readRecording(file, (m) => messages.push(m));
  return { messages, result };
}

test('the writer writes one JSON object per line, exactly as given, and the reader gives them back', async (t) => {
  const file = path.join(tempDir(t), 'run.ndjson');
  const w = new RecordingWriter(file);
  const q = { type: 'query', pid: 3, t: 2.5, durationMs: 1, db: 'postgres', text: 'select "ü"\n from t', scope: null, callsite: null, error: false, extra: [1] };
  for (const m of [hello, memory, q, bye]) w.write(m);
  await w.close();
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  assert.equal(lines.length, 5);
  assert.equal(lines[4], '', 'the file ends with a newline');
  assert.deepEqual(lines.slice(0, 4).map((l) => JSON.parse(l)), [hello, memory, q, bye]);
  const { messages, result } = await read(file);
  assert.deepEqual(messages, [hello, memory, q, bye]);
  assert.deepEqual(result, { messages: 4, invalid: 0, firstErrors: [] });
});

test('the writer starts an existing file afresh', async (t) => {
  const file = path.join(tempDir(t), 'run.ndjson');
  fs.writeFileSync(file, 'old junk\n');
  const w = new RecordingWriter(file);
  w.write(bye);
  await w.close();
  assert.equal(fs.readFileSync(file, 'utf8'), JSON.stringify(bye) + '\n');
});

test('a writer to a folder that does not exist fails at once', (t) => {
  assert.throws(() => new RecordingWriter(path.join(tempDir(t), 'missing', 'x.ndjson')), { code: 'ENOENT' });
});

test('invalid lines are skipped and counted, with the first five reasons by line number', async (t) => {
  const file = path.join(tempDir(t), 'mixed.ndjson');
  const lines = [
    JSON.stringify(hello), // 1
    '{"type":"memory",', // 2 not JSON
    '', // 3 blank: ignored, not invalid
    JSON.stringify({ ...memory, heapUsed: 'a lot' }), // 4
    '   ', // 5 blank
    JSON.stringify({ type: 'auth', token: 'secret', protocol: 1 }), // 6
    JSON.stringify({ type: 'batch', messages: [memory] }), // 7: a recording holds messages, not batches
    '42', // 8
    JSON.stringify({ ...memory, pid: 3.5 }), // 9
    JSON.stringify(memory), // 10
    JSON.stringify({ ...bye, t: '3' }), // 11
    JSON.stringify(bye), // 12
  ];
  fs.writeFileSync(file, lines.join('\r\n') + '\r\n');
  const { messages, result } = await read(file);
  assert.deepEqual(messages, [hello, memory, bye]);
  assert.equal(result.messages, 3);
  assert.equal(result.invalid, 7);
  assert.deepEqual(result.firstErrors, [
    'line 2: not valid JSON',
    'line 4: memory.heapUsed is missing or has the wrong type',
    'line 6: unknown message type "auth"',
    'line 7: unknown message type "batch"',
    'line 8: message is not an object',
  ]);
});

test('a file with no newline at the end and a huge junk line still reads', async (t) => {
  const file = path.join(tempDir(t), 'tail.ndjson');
  fs.writeFileSync(file, 'x'.repeat(3 * 1024 * 1024) + '\n' + JSON.stringify(hello) + '\n' + JSON.stringify(bye));
  const { messages, result } = await read(file);
  assert.deepEqual(messages, [hello, bye]);
  assert.equal(result.invalid, 1);
});

test('an empty file gives no messages; a missing file rejects', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'empty.ndjson'), '');
  assert.deepEqual((await read(path.join(dir, 'empty.ndjson'))).result, { messages: 0, invalid: 0, firstErrors: [] });
  await assert.rejects(read(path.join(dir, 'nope.ndjson')), { code: 'ENOENT' });
});

test('a recording replayed into a store gives the sessions the live run had', async (t) => {
  const file = path.join(tempDir(t), 'replay.ndjson');
  const w = new RecordingWriter(file);
  const live = new SessionStore();
  const stream = [
    hello, memory, bye,
    { type: 'dropped', pid: 3, t: 3, count: 2 }, // the server's drop count, written after the bye
    { ...hello, t: 10, argv: ['node', 'b.js'] }, // the pid reused by a new process
    { ...memory, t: 11 },
  ];
  for (const m of stream) {
    w.write(m);
    live.ingest(m);
  }
  await w.close();
  const replay = new SessionStore();
  await readRecording(file, (m) => replay.ingest(m));
  const shape = (store) => store.sessions.map((s) => ({ pid: s.pid, command: s.command, memory: s.memory.length, dropped: s.dropped, ended: s.ended }));
  assert.deepEqual(shape(replay), shape(live));
  assert.deepEqual(shape(replay), [
    { pid: 3, command: 'node a.js', memory: 1, dropped: 2, ended: true },
    { pid: 3, command: 'node b.js', memory: 1, dropped: 0, ended: false },
  ]);
});
