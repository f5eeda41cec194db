'use strict';
// The /metrics endpoint of `perf-lens run` as a container runs it: no terminal, no editor,
// export only, the fleet shop (Express 5 + node-postgres, real PostgreSQL) as its command.
// The text passes promtool's check (Debian's prometheus package), OpenMetrics is served when
// asked for, other paths are 404, the default address is loopback only; on SIGTERM the app
// drains its in-flight request while /metrics is still served, then everything exits cleanly.
// A metrics port already taken stops the run before the app starts, in one sentence.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Client } = require('pg');
const { runCli } = require('../helpers/cli');
const { startPostgres } = require('../helpers/postgres');
const { findPromtool, eventually } = require('../helpers/prometheus');
const { freePort, waitForPort } = require('../helpers/ports');

const SHOP = path.join(__dirname, '..', 'fixtures', 'fleet', 'shop');
const { seed, POSTS } = require(path.join(SHOP, 'seed.js'));
const OPENMETRICS = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** An IPv4 address of this machine other than loopback, or null. */
function externalAddress() {
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return null;
}

/** Resolves true when host:port accepts a TCP connection, false when refused. */
function accepts(host, port) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Stops a run a failed test left behind: SIGINT (it stops its app as Ctrl-C does), SIGKILL after 20 s. */
async function stopRun(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Collects what `stream` prints from now on; `until(re, what)` resolves once it printed a match.
 * The 60 s allowed start at `until`, not at the spawn: on a loaded machine the steps before a
 * signal can take that long on their own.
 */
function watch(stream) {
  let text = '';
  const waiting = new Set();
  stream.on('data', (d) => {
    text += d;
    for (const w of waiting) w();
  });
  return {
    until(re, what) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(text);
          if (!m) return;
          waiting.delete(check);
          clearTimeout(timer);
          resolve(m);
        };
        const timer = setTimeout(() => {
          waiting.delete(check);
          reject(new Error(`${what}: not printed within 60 s; got:\n${text}`));
        }, 60_000);
        waiting.add(check);
        check();
      });
    },
  };
}

test('as a container command: /metrics checked by promtool, loopback by default, served through a SIGTERM drain, clean exit', { timeout: 180_000 }, async (t) => {
  const pg = await startPostgres({ database: 'shop' });
  let child = null;
  let lock = null;
  let appPid = null;
  // one clean-up, in this order: the run (which stops its app), the lock, then the database
  t.after(async () => {
    await stopRun(child);
    try {
      if (appPid) process.kill(-Number(appPid), 'SIGKILL'); // the app's own process group
    } catch {
      /* gone */
    }
    if (lock) await Promise.race([lock.end().catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
    await pg.stop();
  });
  await seed(pg.connectionString);
  const metricsPort = await freePort();
  const appPort = await freePort();
  const external = externalAddress();

  const done = runCli(['run', '--metrics-port', String(metricsPort), '--', 'node', 'server.js'], {
    cwd: SHOP,
    env: { ...process.env, DATABASE_URL: pg.connectionString, PORT: String(appPort) },
    onSpawn: (c) => (child = c),
  });
  const out = watch(child.stdout);
  appPid = (await out.until(/listening on \d+ \(pid (\d+)\)/, 'the app listening'))[1];
  await waitForPort(appPort);
  const base = `http://127.0.0.1:${appPort}`;
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;

  // concurrent keep-alive clients, then one at a time
  await Promise.all(Array.from({ length: 6 }, async (_, c) => {
    for (let i = 0; i < 10; i++) await (await fetch(`${base}/posts/${((c + i) % POSTS) + 1}`)).arrayBuffer();
  }));
  for (let i = 0; i < 3; i++) await (await fetch(`${base}/posts`)).arrayBuffer();

  const text = await eventually(async () => {
    const res = await fetch(metricsUrl);
    const body = await res.text();
    const single = /perf_lens_http_request_duration_seconds_count\{[^}]*route="\/posts\/:id"[^}]*\} 60\n/;
    const list = /perf_lens_http_request_duration_seconds_count\{[^}]*route="\/posts"[^}]*\} 3\n/;
    return res.status === 200 && single.test(body) && list.test(body) && body;
  }, 'the 60 single-post and 3 list requests in /metrics');
  assert.match(text, new RegExp(`perf_lens_process_up\\{pid="${appPid}",service="fleet-shop",instance="${os.hostname()}"\\} 1\\n`));
  assert.match(text, /# TYPE perf_lens_http_request_duration_seconds histogram\n/);
  assert.match(text, /perf_lens_http_queries_per_request_sum\{[^}]*route="\/posts"[^}]*\} 33\n/);

  const promtool = findPromtool();
  assert.ok(promtool, 'promtool ships with Debian\'s prometheus package (scripts/install-system-deps.sh)');
  const check = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(check.status, 0, `promtool check metrics:\n${check.stdout}${check.stderr}`);
  assert.equal(`${check.stdout}${check.stderr}`.trim(), '', 'no lint remarks either');

  const om = await fetch(metricsUrl, { headers: { accept: OPENMETRICS } });
  assert.equal(om.headers.get('content-type'), 'application/openmetrics-text; version=1.0.0; charset=utf-8');
  const omText = await om.text();
  assert.ok(omText.endsWith('\n# EOF\n'));
  assert.match(omText, /# TYPE perf_lens_agent_dropped_messages counter\n/);

  assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/`)).status, 404);
  assert.equal((await fetch(metricsUrl, { method: 'POST', body: 'x' })).status, 405);
  if (external) assert.equal(await accepts(external, metricsPort), false, `the endpoint must not listen on ${external} by default`);

  // SIGTERM while a request is in flight: a table lock holds the report's query in the database.
  lock = new Client({ connectionString: pg.connectionString });
  lock.on('error', () => undefined);
  await lock.connect();
  await lock.query('BEGIN');
  await lock.query('LOCK TABLE posts IN ACCESS EXCLUSIVE MODE');
  const inFlight = fetch(`${base}/reports/daily`).then(async (r) => ({ status: r.status, body: await r.json() }));
  // what the database and the request showed, should the wait never come
  let sessions = [];
  let request = 'pending';
  inFlight.then((r) => (request = r), (err) => (request = `failed: ${err.message}`));
  await eventually(async () => {
    // inside a transaction pg_stat_activity is read once and kept: a first look before the
    // report's query arrived (CI's loaded machine) would be all every later look saw
    await lock.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await lock.query('SELECT pid, backend_type AS type, wait_event_type AS wait, wait_event AS event, state, now() - state_change AS since, left(query, 80) AS query FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query <> \'\'');
    sessions = rows;
    return rows.filter((r) => r.wait === 'Lock' && r.query.includes('pg_sleep')).length === 1;
  }, 'the report query waiting for the lock').catch((err) => {
    throw new Error(`${err.message}; sessions: ${JSON.stringify(sessions)}; the request: ${JSON.stringify(request)}`);
  });
  const draining = out.until(/SIGTERM: draining/, 'the app draining');
  child.kill('SIGTERM');
  await draining;
  // the app is draining and still connected: /metrics answers as before
  const during = await fetch(metricsUrl);
  assert.equal(during.status, 200);
  assert.match(await during.text(), new RegExp(`perf_lens_process_up\\{pid="${appPid}",[^}]*\\} 1\\n`));
  await lock.query('COMMIT');
  const answered = await inFlight;
  assert.deepEqual(answered, { status: 200, body: { posts: POSTS } }, 'the request in flight finished');

  const res = await done;
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.signal, null);
  assert.match(res.stderr, new RegExp(`perf-lens: metrics at http://127\\.0\\.0\\.1:${metricsPort}/metrics\\n`));
  assert.match(res.stdout, /Perf Lens: 1 process/);
  assert.doesNotMatch(res.stdout, /\x1b\[/, 'no terminal control codes without a terminal');
  assert.throws(() => process.kill(Number(appPid), 0), /ESRCH/, 'the app is gone');
  assert.equal(await accepts('127.0.0.1', metricsPort), false, 'the endpoint closed with the run');
});

test('--metrics-host 0.0.0.0 serves other interfaces too (a container publishing the port)', { timeout: 60_000 }, async (t) => {
  const external = externalAddress();
  if (!external) return t.skip('this machine has no non-loopback IPv4 address');
  const metricsPort = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-host-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'app.js'), "setInterval(() => {}, 1000); process.on('SIGINT', () => process.exit(0));\n");
  let child;
  const done = runCli(['run', '--metrics-port', String(metricsPort), '--metrics-host', '0.0.0.0', '--service', 'worker', '--', 'node', 'app.js'], { cwd: dir, onSpawn: (c) => (child = c) });
  t.after(() => stopRun(child));
  const body = await eventually(async () => {
    const res = await fetch(`http://${external}:${metricsPort}/metrics`);
    const text = await res.text();
    return /perf_lens_heap_used_bytes\{pid="\d+",service="worker",/.test(text) && text;
  }, `/metrics on ${external}`);
  assert.match(body, /perf_lens_process_up\{[^}]*service="worker"[^}]*\} 1\n/);
  child.kill('SIGTERM');
  const res = await done;
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stderr, new RegExp(`metrics at http://0\\.0\\.0\\.0:${metricsPort}/metrics`));
});

test('a metrics port already in use: exit 3 with one sentence naming it, and the app never starts', { timeout: 60_000 }, async (t) => {
  const taken = net.createServer();
  await new Promise((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.after(() => taken.close());
  const port = taken.address().port;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-port-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const marker = path.join(dir, 'started');
  fs.writeFileSync(path.join(dir, 'app.js'), `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'yes');\n`);
  const res = await runCli(['run', '--metrics-port', String(port), '--', 'node', 'app.js'], { cwd: dir });
  assert.equal(res.code, 3);
  assert.equal(res.stderr.trim(), `perf-lens: The metrics port ${port} is already in use on 127.0.0.1; choose another with --metrics-port.`);
  assert.equal(fs.existsSync(marker), false, 'the app was not started');
});
