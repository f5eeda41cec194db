'use strict';
// The bundled demo app (without the profiler): it starts on PORT=0, every route answers,
// demo/load.js drives them all and exits 0, the planted leak keeps growing, and SIGINT stops it.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');

function startDemo(t) {
  const app = spawn(process.execPath, [path.join(root, 'demo', 'app.js')], {
    env: { ...process.env, PORT: '0', NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => app.exitCode === null && app.signalCode === null && app.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    let out = '';
    app.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(out);
      if (m) resolve({ app, base: m[1], firstLine: out.split('\n')[0] });
    });
    app.once('exit', (code) => reject(new Error(`demo app exited with ${code}: ${out}`)));
  });
}

function run(cmd, args, env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('the demo app serves its routes, load.js drives them, and the leak grows', async (t) => {
  const { app, base, firstLine } = await startDemo(t);
  assert.match(firstLine, /^demo app listening on http:\/\/127\.0\.0\.1:\d+$/);

  const get = async (p) => {
    const res = await fetch(base + p);
    return { status: res.status, body: await res.json() };
  };
  assert.deepEqual(await get('/health'), { status: 200, body: { ok: true } });
  const list = await get('/posts?limit=5');
  assert.equal(list.body.length, 5);
  assert.deepEqual(Object.keys(list.body[0]).sort(), ['author', 'comments', 'created_at', 'id', 'title']);
  const one = await get('/posts/7');
  assert.equal(one.body.id, 7);
  assert.equal(one.body.comments.length, 3);
  assert.equal((await get('/posts/999')).status, 404);
  const n1 = await get('/posts-with-authors');
  assert.equal(n1.body.length, 20);
  assert.ok(n1.body.every((p) => p.author && p.author.id === p.author_id));

  const session = async () => (await fetch(`${base}/sessions`, { method: 'POST' })).json();
  const before = (await session()).active;

  const load = await run(process.execPath, [path.join(root, 'demo', 'load.js')], { PERF_LENS_URL_BASE: base });
  assert.equal(load.code, 0, load.stderr);
  assert.match(load.stdout.trim(), /^load: 220 requests to http:\/\/127\.0\.0\.1:\d+ in \d+ ms \(120×200, 100×201\)$/);

  // Nothing ever removes a session: 100 from the load plus this one.
  assert.equal((await session()).active, before + 101);

  const exited = new Promise((r) => app.once('exit', (code, signal) => r({ code, signal })));
  app.kill('SIGINT');
  assert.deepEqual(await exited, { code: 0, signal: null });
});

test('load.js fails with one plain line when the app is not there', async () => {
  const res = await run(process.execPath, [path.join(root, 'demo', 'load.js')], { PERF_LENS_URL_BASE: 'http://127.0.0.1:9' });
  assert.equal(res.code, 1);
  assert.match(res.stderr, /^load: could not reach http:\/\/127\.0\.0\.1:9: /);
});
