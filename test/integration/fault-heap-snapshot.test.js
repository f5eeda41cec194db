// Heap snapshots under fire: the agent's `heapSnapshot` command writes under a .partial name
// and renames it only once whole; a write that fails midway (file size limit), a bad path and
// a process killed mid-snapshot each end in one sentence and no half file under the real name.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { corePath, startServer, writeApp, cleanupTmp, launch, byType } = require('../helpers/agent-harness');

const dirs = [];
after(() => {
  cleanupTmp();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tmpDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-fault-snap-'));
  dirs.push(d);
  return d;
}

// Holds `mb` MB of small objects (a slow snapshot), serves /ping, exits on stdin.
const APP = (mb) => `
const http = require('node:http');
const keep = [];
for (let i = 0; i < ${mb} * 1024 * 1024 / 64; i++) keep.push({ i, s: 'x' + i });
const server = http.createServer((req, res) => res.end('pong ' + keep.length));
server.listen(0, '127.0.0.1', () => console.log('ready ' + server.address().port));
process.stdin.on('data', () => process.exit(0));
`;

function ping(port) {
  return fetch(`http://127.0.0.1:${port}/ping`).then((r) => r.text());
}

async function started(srv, mb, { node = process.execPath, ...extra } = {}) {
  const app = launch(node, writeApp(APP(mb)), { url: srv.url, token: srv.token, timeoutMs: 120_000, ...extra });
  await app.printed('ready');
  await srv.waitFor((ms) => byType(ms, 'hello', app.child.pid).length > 0, 15000, 'hello');
  const port = Number(/ready (\d+)/.exec(app.stdout())[1]);
  return { app, port, pid: app.child.pid };
}

/** A sentence: one line, ends with a full stop, no stack frames. */
function assertSentence(text) {
  assert.equal(typeof text, 'string');
  assert.equal(text.split('\n').length, 1, text);
  assert.match(text, /\.$/);
  assert.doesNotMatch(text, /\n\s+at /);
}

test('a snapshot is written whole under the asked name and parses; no .partial is left', async (t) => {
  const srv = await startServer();
  t.after(() => srv.close());
  const { app, port, pid } = await started(srv, 4);
  t.after(() => app.child.kill('SIGKILL'));
  const file = path.join(tmpDir(), 'app.heapsnapshot');
  const res = await srv.server.sendCommand(pid, 'heapSnapshot', { path: file }, 60_000);
  assert.equal(res.ok, true, res.error);
  assert.equal(res.data.path, file);
  assert.equal(res.data.bytes, fs.statSync(file).size);
  assert.equal(fs.existsSync(`${file}.partial`), false);
  const graph = await require(corePath).parseSnapshotFile(file);
  assert.ok(graph.nodeCount > 10_000, `${graph.nodeCount} nodes`);
  assert.match(await ping(port), /^pong \d+$/, 'the app serves on');
});

test('a write that fails midway (file size limit) removes the partial file and fails with one sentence; the app serves on', async (t) => {
  const srv = await startServer();
  t.after(() => srv.close());
  // ulimit -f 2048 = 1 MiB per file (512-byte blocks): the snapshot (several MB) cannot fit.
  const { app, port, pid } = await started(srv, 4, {
    node: '/bin/sh',
    nodeArgs: ['-c', 'ulimit -f 2048; exec "$0" "$@"', process.execPath],
  });
  // launch() runs `node`; here the "node" is sh, which execs node in place (same pid).
  t.after(() => app.child.kill('SIGKILL'));
  const dir = tmpDir();
  const file = path.join(dir, 'limited.heapsnapshot');
  const res = await srv.server.sendCommand(pid, 'heapSnapshot', { path: file }, 60_000);
  assert.equal(res.ok, false);
  assertSentence(res.error);
  assert.match(res.error, /EFBIG/);
  assert.deepEqual(fs.readdirSync(dir), [], 'neither the snapshot nor its partial file is left');
  assert.match(await ping(port), /^pong \d+$/);
  // And the command works again once the cause is gone (the agent is not stuck "busy").
  const again = await srv.server.sendCommand(pid, 'heapSnapshot', { path: '/dev/null/x.heapsnapshot' }, 60_000);
  assert.equal(again.ok, false);
  assertSentence(again.error);
  assert.doesNotMatch(again.error, /already being written/);
});

test('a relative, empty or missing path is refused with one sentence and nothing is written', async (t) => {
  const srv = await startServer();
  t.after(() => srv.close());
  const { app, pid } = await started(srv, 1);
  t.after(() => app.child.kill('SIGKILL'));
  for (const args of [{ path: 'rel.heapsnapshot' }, { path: '' }, {}, { path: 42 }]) {
    const res = await srv.server.sendCommand(pid, 'heapSnapshot', args, 10_000);
    assert.equal(res.ok, false, JSON.stringify(args));
    assertSentence(res.error);
    assert.match(res.error, /absolute file path/);
  }
  assert.equal(fs.existsSync(path.join(process.cwd(), 'rel.heapsnapshot.partial')), false);
});

test('a process killed while it writes a snapshot: the request fails with one sentence, no file under the real name, and the next snapshot there clears the stale partial', async (t) => {
  const srv = await startServer();
  t.after(() => srv.close());
  const { app, pid } = await started(srv, 60);
  t.after(() => app.child.kill('SIGKILL'));
  const dir = tmpDir();
  const file = path.join(dir, 'killed.heapsnapshot');
  const partial = `${file}.partial`;
  const answer = srv.server.sendCommand(pid, 'heapSnapshot', { path: file }, 120_000).then(
    (r) => ({ result: r }),
    (err) => ({ err }),
  );
  // Kill it once the partial file has real content: mid-write, not before or after.
  const deadline = Date.now() + 60_000;
  while (!(fs.existsSync(partial) && fs.statSync(partial).size > 2 * 1024 * 1024)) {
    assert.ok(Date.now() < deadline, 'the snapshot never started writing');
    await new Promise((r) => setTimeout(r, 5));
  }
  app.child.kill('SIGKILL');
  const { result, err } = await answer;
  assert.equal(result, undefined, 'a killed process cannot have answered');
  assertSentence(err.message);
  assert.match(err.message, new RegExp(`Process ${pid} disconnected before it answered the command "heapSnapshot"\\.`));
  assert.equal(fs.existsSync(file), false, 'no half snapshot under the real name');
  // The partial file is what a requester removes; if it did not, the next snapshot does.
  assert.equal(fs.existsSync(partial), true);
  const next = await started(srv, 1);
  t.after(() => next.app.child.kill('SIGKILL'));
  const res = await srv.server.sendCommand(next.pid, 'heapSnapshot', { path: file }, 60_000);
  assert.equal(res.ok, true, res.error);
  assert.deepEqual(fs.readdirSync(dir), ['killed.heapsnapshot']);
});
