'use strict';
// The agent's `startCpuProfile` / `stopCpuProfile` commands in real Node 20, 22 and 24
// processes against a real SessionServer: the written file is a V8 .cpuprofile (what VS Code's
// profile viewer opens) in which the app's busy function shows up; misuse ends in one sentence
// and the app runs on.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer, writeApp, cleanupTmp, launch, byType } = require('../helpers/agent-harness');
const { runtimes } = require('../helpers/runtimes');

const dirs = [];
after(() => {
  cleanupTmp();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tmpDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-cpu-'));
  dirs.push(d);
  return d;
}

// Burns CPU in a named function every few milliseconds, serves /ping, exits on stdin.
const APP = `
const http = require('node:http');
const crypto = require('node:crypto');
function busyHashing() {
  let h = 'seed';
  for (let i = 0; i < 3000; i++) h = crypto.createHash('sha256').update(h).digest('hex');
  return h;
}
setInterval(busyHashing, 5);
const server = http.createServer((req, res) => res.end('pong'));
server.listen(0, '127.0.0.1', () => console.log('ready ' + server.address().port));
process.stdin.on('data', () => process.exit(0));
`;

async function started(srv, node) {
  const app = launch(node, writeApp(APP), { url: srv.url, token: srv.token, timeoutMs: 120_000 });
  await app.printed('ready');
  await srv.waitFor((ms) => byType(ms, 'hello', app.child.pid).length > 0, 15000, 'hello');
  const port = Number(/ready (\d+)/.exec(app.stdout())[1]);
  return { app, port, pid: app.child.pid };
}

function assertSentence(text) {
  assert.equal(typeof text, 'string');
  assert.equal(text.split('\n').length, 1, text);
  assert.match(text, /\.$/);
  assert.doesNotMatch(text, /\n\s+at /);
}

const ping = (port) => fetch(`http://127.0.0.1:${port}/ping`).then((r) => r.text());

for (const rt of runtimes()) {
  test(`${rt.name}: start, stop → a whole .cpuprofile with the app's busy function; a second profile works too`, async (t) => {
    const srv = await startServer();
    t.after(() => srv.close());
    const { app, port, pid } = await started(srv, rt.path);
    t.after(() => app.child.kill('SIGKILL'));
    const dir = tmpDir();

    const begun = await srv.server.sendCommand(pid, 'startCpuProfile', { samplingIntervalUs: 500 }, 30_000);
    assert.equal(begun.ok, true, begun.error);
    assert.deepEqual(begun.data, { samplingIntervalUs: 500 });
    await new Promise((r) => setTimeout(r, 700));
    const file = path.join(dir, `${pid}.cpuprofile`);
    const res = await srv.server.sendCommand(pid, 'stopCpuProfile', { path: file }, 30_000);
    assert.equal(res.ok, true, res.error);
    assert.deepEqual(res.data, { path: file, bytes: fs.statSync(file).size });
    assert.equal(fs.existsSync(`${file}.partial`), false, 'no partial file left');

    const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.ok(Array.isArray(profile.nodes) && profile.nodes.length > 1, 'nodes');
    assert.ok(Array.isArray(profile.samples) && profile.samples.length > 50, `${profile.samples?.length} samples`);
    assert.equal(typeof profile.startTime, 'number');
    assert.ok(profile.endTime > profile.startTime);
    assert.equal(profile.timeDeltas.length, profile.samples.length);
    const busy = profile.nodes.filter((n) => n.callFrame.functionName === 'busyHashing');
    assert.ok(busy.length > 0, 'the busy function is in the profile');
    // Samples land in busyHashing or what it calls (the hashing itself).
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const inBusy = new Set();
    const mark = (n) => (inBusy.add(n.id), (n.children ?? []).forEach((c) => mark(byId.get(c))));
    busy.forEach(mark);
    const hits = profile.samples.filter((id) => inBusy.has(id)).length;
    assert.ok(hits > profile.samples.length / 10, `${hits} of ${profile.samples.length} samples in busyHashing`);
    assert.match(busy[0].callFrame.url, /app\.js$/);

    // The profiler is free again: a second round in the same process works.
    assert.equal((await srv.server.sendCommand(pid, 'startCpuProfile', {}, 30_000)).ok, true);
    const again = await srv.server.sendCommand(pid, 'stopCpuProfile', { path: path.join(dir, 'second.cpuprofile') }, 30_000);
    assert.equal(again.ok, true, again.error);
    assert.ok(JSON.parse(fs.readFileSync(again.data.path, 'utf8')).samples.length > 0);
    assert.equal(await ping(port), 'pong', 'the app serves on');
  });
}

test('stop without start, a second start, a bad interval and a bad path each fail with one sentence; the app runs on', async (t) => {
  const srv = await startServer();
  t.after(() => srv.close());
  const { app, port, pid } = await started(srv, process.execPath);
  t.after(() => app.child.kill('SIGKILL'));
  const dir = tmpDir();
  const file = path.join(dir, 'x.cpuprofile');

  const early = await srv.server.sendCommand(pid, 'stopCpuProfile', { path: file }, 30_000);
  assert.equal(early.ok, false);
  assertSentence(early.error);
  assert.match(early.error, /No CPU profile is running/);
  assert.equal(fs.existsSync(file), false);

  const badInterval = await srv.server.sendCommand(pid, 'startCpuProfile', { samplingIntervalUs: -5 }, 30_000);
  assert.equal(badInterval.ok, false);
  assertSentence(badInterval.error);

  assert.equal((await srv.server.sendCommand(pid, 'startCpuProfile', {}, 30_000)).ok, true);
  const twice = await srv.server.sendCommand(pid, 'startCpuProfile', {}, 30_000);
  assert.equal(twice.ok, false);
  assertSentence(twice.error);
  assert.match(twice.error, /already running/);

  // A relative path is refused before stopping: the running profile is not lost.
  const relative = await srv.server.sendCommand(pid, 'stopCpuProfile', { path: 'x.cpuprofile' }, 30_000);
  assert.equal(relative.ok, false);
  assertSentence(relative.error);
  // A folder that does not exist: the profile stops, nothing is written, one sentence.
  const missing = path.join(dir, 'no-such-dir', 'x.cpuprofile');
  const unwritable = await srv.server.sendCommand(pid, 'stopCpuProfile', { path: missing }, 30_000);
  assert.equal(unwritable.ok, false);
  assertSentence(unwritable.error);
  assert.match(unwritable.error, /Could not write the CPU profile .*ENOENT/);
  assert.equal(fs.existsSync(`${missing}.partial`), false);

  // Still usable afterwards.
  assert.equal((await srv.server.sendCommand(pid, 'startCpuProfile', {}, 30_000)).ok, true);
  const ok = await srv.server.sendCommand(pid, 'stopCpuProfile', { path: file }, 30_000);
  assert.equal(ok.ok, true, ok.error);
  assert.equal(await ping(port), 'pong');
});

// Keeps its own inspector session, takes a heap snapshot and prints the heap object id of a
// marker object on demand.
const ID_APP = `
const inspector = require('node:inspector');
const s = new inspector.Session();
s.connect();
const post = (m, p) => new Promise((res, rej) => s.post(m, p || {}, (e, r) => setImmediate(() => (e ? rej(e) : res(r)))));
globalThis.marker = { tag: 'marker' };
async function markerId() {
  const { result } = await post('Runtime.evaluate', { expression: 'globalThis.marker' });
  return (await post('HeapProfiler.getHeapObjectId', { objectId: result.objectId })).heapSnapshotObjectId;
}
process.stdin.on('data', async (d) => {
  if (String(d).includes('snap')) await post('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  console.log('id ' + (await markerId()));
});
console.log('ready');
`;

test('a CPU profile leaves V8 heap object ids alone, so snapshots before and after it still compare by id', async (t) => {
  const srv = await startServer();
  t.after(() => srv.close());
  const app = launch(process.execPath, writeApp(ID_APP), { url: srv.url, token: srv.token, timeoutMs: 60_000 });
  t.after(() => app.child.kill('SIGKILL'));
  await app.printed('ready');
  await srv.waitFor((ms) => byType(ms, 'hello', app.child.pid).length > 0, 15000, 'hello');
  const ids = () => [...app.stdout().matchAll(/id (\d+)/g)].map((m) => m[1]);
  app.child.stdin.write('snap\n');
  await app.printed('id ');
  const [before] = ids();
  assert.notEqual(before, '0', 'the snapshot gave the marker an id');

  const dir = tmpDir();
  for (let round = 0; round < 2; round++) {
    assert.equal((await srv.server.sendCommand(app.child.pid, 'startCpuProfile', {}, 30_000)).ok, true);
    const res = await srv.server.sendCommand(app.child.pid, 'stopCpuProfile', { path: path.join(dir, `${round}.cpuprofile`) }, 30_000);
    assert.equal(res.ok, true, res.error);
  }
  app.child.stdin.write('id\n');
  for (const end = Date.now() + 15_000; ids().length < 2 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(ids(), [before, before], 'the same id after two CPU profiles');
});
