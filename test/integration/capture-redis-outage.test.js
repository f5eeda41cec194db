// Redis goes away mid-run and nothing else is lost (issue #13, part 5). A shop on Express 5 with
// PostgreSQL (node-postgres's Pool) and an ioredis cache, profiled by the real CLI under one and
// four keep-alive clients: the load kills redis-server (SIGKILL) half-way. The app answers
// exactly as it does without the agent (product pages from the database, the cart a 503 of its
// own), every request and every SQL query of both halves is in the report, the failed Redis
// commands are recorded as failed, and the report is complete.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startPostgres } = require('../helpers/postgres');
const { startRedis } = require('../helpers/redis');
const { runCli, readJson } = require('../helpers/cli');

const APP = path.join(__dirname, '..', 'fixtures', 'real-apps', 'redis-cache-pg-express');
const SERVER = path.join(APP, 'server.js');
const LOAD = path.join(APP, 'load-outage.js');

let pg;
before(async () => {
  pg = await startPostgres({ database: 'shop' });
});
after(async () => {
  if (pg) await pg.stop();
});

/** Runs the app on a fresh redis-server the load kills; `profile`: under `perf-lens run`, else plain node. */
async function runWithOutage(concurrency, profile) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-outage-'));
  const redis = await startRedis();
  const env = {
    ...process.env,
    DATABASE_URL: pg.connectionString,
    REDIS_URL: redis.url,
    REDIS_PID: String(redis.pid),
    CONCURRENCY: String(concurrency),
    LOAD_OUT: path.join(dir, 'load.json'),
  };
  try {
    if (profile) {
      const json = path.join(dir, 'report.json');
      const cli = await runCli(
        ['run', '--json', json, '--root', APP, '--no-heap-sampling', '--load', `"${process.execPath}" "${LOAD}"`, '--', process.execPath, SERVER],
        { cwd: APP, env, timeoutMs: 120_000 },
      );
      assert.equal(cli.code, 0, `perf-lens run exited ${cli.code}\n${cli.stdout}\n${cli.stderr}`);
      return { load: readJson(env.LOAD_OUT), report: readJson(json), cli };
    }
    await runPlain(env);
    return { load: readJson(env.LOAD_OUT) };
  } finally {
    await redis.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The app under plain node, the same load against it once it listens, then SIGTERM. */
async function runPlain(env) {
  const app = spawn(process.execPath, [SERVER], { cwd: APP, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => app.once('exit', (code, signal) => resolve({ code, signal })));
  let stdout = '';
  let stderr = '';
  app.stderr.on('data', (d) => (stderr += d));
  try {
    const port = await new Promise((resolve, reject) => {
      app.stdout.on('data', (d) => {
        stdout += d;
        const m = /listening on (\d+)/.exec(stdout);
        if (m) resolve(Number(m[1]));
      });
      exited.then(() => reject(new Error(`the app exited before listening: ${stderr}`)));
    });
    const load = spawn(process.execPath, [LOAD], { env: { ...env, PERF_LENS_URL_BASE: `http://127.0.0.1:${port}` }, stdio: ['ignore', 'inherit', 'inherit'] });
    const code = await new Promise((resolve) => load.once('exit', resolve));
    assert.equal(code, 0, 'the load finished');
  } finally {
    app.kill('SIGTERM');
    await exited;
  }
}

for (const concurrency of [1, 4]) {
  describe(`redis-server killed mid-load, ${concurrency} keep-alive client${concurrency > 1 ? 's' : ''}`, () => {
    let run;
    let plain;
    before(async () => {
      run = await runWithOutage(concurrency, true);
      plain = await runWithOutage(concurrency, false);
    });
    const route = (name) => run.report.figures.routes[name];
    const queries = () => run.report.processes.flatMap((p) => p.metrics.queries);
    const fingerprint = (re) => {
      const found = queries().filter((q) => re.test(q.fingerprint));
      assert.equal(found.length, 1, `${re} among ${queries().map((q) => q.fingerprint).join(' | ')}`);
      return found[0];
    };

    it('the app answers exactly as it does without the agent, before and after Redis went away', () => {
      assert.deepEqual(run.load.before, plain.load.before);
      assert.deepEqual(run.load.after, plain.load.after);
      // what the app's own error handling does: products from the database, the cart a 503
      assert.ok(run.load.before.every((r) => / → 200 /.test(r)), run.load.before.join('\n'));
      assert.deepEqual(
        run.load.after.filter((r) => /^GET \/cart/.test(r)).map((r) => r.replace(/^GET \/cart\/\d /, '')),
        Array(12).fill('→ 503 {"error":"The cart is unavailable right now."}'),
      );
      assert.deepEqual(
        run.load.after.filter((r) => /^GET \/products/.test(r)),
        run.load.before.filter((r) => /^GET \/products/.test(r)),
      );
      assert.notEqual(run.load.health.redis, 'ready');
    });

    it('every request of both halves is in the report, the 503s as errors', () => {
      assert.equal(route('GET /products/:id').requests, 36);
      assert.equal(route('GET /products/:id').errors, 0);
      assert.equal(route('GET /products/categories/:id').requests, 18);
      assert.equal(route('GET /cart/:user').requests, 24);
      assert.equal(route('GET /cart/:user').errors, 12);
    });

    it('every SQL query of both halves is in the report', () => {
      // the app counts its own reads of a product from the database: cache misses, then every one
      assert.equal(fingerprint(/from products where id = /).count, run.load.health.productDbReads);
      assert.ok(run.load.health.productDbReads >= 18, `${run.load.health.productDbReads} reads: all 18 product pages after the outage`);
      assert.equal(fingerprint(/from products where category = /).count, 18);
    });

    it('every Redis command is recorded, the ones that failed after the outage too', () => {
      assert.equal(fingerprint(/^get product:\?$/).count, 36, 'one cache read per product page');
      assert.equal(fingerprint(/^hgetall cart:\?$/).count, 24, 'one cart read per cart request');
      assert.equal(run.report.figures.cache.find((c) => c.pattern === 'hgetall cart:?')?.hits, 12, 'the carts read before the outage');
    });

    it('the report is complete: one process, nothing dropped, and the run ended cleanly', () => {
      assert.equal(run.report.processes.length, 1);
      assert.equal(run.report.processes[0].dropped, 0);
      assert.ok(Date.parse(run.report.endedAt) >= Date.parse(run.report.processes[0].endedAt) - 1000);
      assert.equal(run.report.figures.overall.requests, run.report.processes[0].metrics.http.requests);
      assert.doesNotMatch(run.cli.stderr, /perf-lens|agent/i);
    });
  });
}
