'use strict';
// Connections the app checks out of a pool of 2 itself, on real PostgreSQL and MariaDB:
// node-postgres's `await pool.connect()` and `pool.connect(callback)`, mysql2's
// `pool.getConnection(callback)` and mysql2/promise's, the mariadb connector's
// `await pool.getConnection()`. One client at a time nothing waits; eight concurrent keep-alive
// clients queue at the checkout, and the wait (carried by the first query of each checkout) makes
// a pool-wait finding on that query's line, while a transaction held open across a carrier call
// makes a held-connection finding — with no `pool.query` anywhere in the app.
const test = require('node:test');
const { describe, it, before, after } = test;
const assert = require('node:assert/strict');
const path = require('node:path');
const { startPostgres } = require('../../helpers/postgres');
const { startMariadb } = require('../../helpers/mariadb');
const { profileApp, markerAt, dbEnv } = require('../../helpers/real-app');

const APP = path.join(__dirname, '..', '..', 'fixtures', 'real-apps', 'pool-checkout-express');
const { seedPostgres, seedMariadb } = require(path.join(APP, 'seed.js'));

/** Each library: how the app reaches the database, and the pool its gauges name. */
const LIBS = {
  pg: { driver: 'pg-pool', db: 'postgres', env: () => ({ DATABASE_URL: pg.connectionString }) },
  mysql2: { driver: 'mysql2', db: 'mysql', env: () => ({ DATABASE_URL: maria.connectionString }) },
  mariadb: { driver: 'mariadb', db: 'mysql', env: () => dbEnv(maria) },
};

const REPORTS = [
  { path: '/reports/daily', times: 16 },
  { path: '/reports/status', times: 16 },
];
/** Distinct orders: concurrent transactions lock different rows. */
const SHIPPING = [
  ...Array.from({ length: 12 }, (_, i) => ({ method: 'POST', path: `/reports/ship/${i + 1}` })),
  { path: '/reports/status', times: 24 },
];

let pg;
let maria;
before(async () => {
  [pg, maria] = await Promise.all([startPostgres({ database: 'orders' }), startMariadb({ database: 'orders' })]);
  await Promise.all([seedPostgres(pg.connectionString), seedMariadb(maria)]);
});
after(async () => {
  await Promise.all([pg && pg.stop(), maria && maria.stop()]);
});

const waitsOf = (run) => run.findings('pool-wait');
const poolsOf = (run) => run.report.processes[0].metrics.pools;

for (const [lib, { driver, db, env }] of Object.entries(LIBS)) {
  const REPORTS_FILE = path.join(APP, 'services', `reports-${lib}.js`);
  const SHIPPING_FILE = path.join(APP, 'services', `shipping-${lib}.js`);
  const profile = (concurrency, requests) =>
    profileApp({ entry: path.join(APP, 'server.js'), root: APP, env: { ...env(), DB_LIB: lib }, concurrency, requests, timeoutMs: 120_000 });

  describe(`pool-checkout-express on ${lib}, one client at a time`, () => {
    let run;
    before(async () => {
      run = await profile(1, [...REPORTS, ...SHIPPING]);
    });

    it('checkouts do not wait: no pool-wait or held-connection finding, nothing ever waiting in the pool', () => {
      assert.deepEqual([...waitsOf(run), ...run.findings('held-connection')].map((f) => f.message), []);
      const [pool, ...others] = poolsOf(run);
      assert.deepEqual(others, []);
      assert.deepEqual([pool.driver, pool.max, pool.peakWaiting], [driver, 2, 0]);
      assert.ok(pool.peakInUse >= 1 && pool.peakInUse <= 2, `peak in use ${pool.peakInUse}`);
    });
  });

  describe(`pool-checkout-express on ${lib}, 8 concurrent clients`, () => {
    let run;
    before(async () => {
      run = await profile(8, REPORTS);
    });

    it('the report route queues at its checkout: a pool-wait finding on the first query after it, one wait per request', () => {
      const f = waitsOf(run).find((x) => x.data.scope === 'GET /reports/daily');
      assert.ok(f, run.describe());
      const orders = markerAt(REPORTS_FILE, 'orders');
      assert.deepEqual([f.location.file, f.location.line], [orders.file, orders.line], run.describe());
      assert.equal(f.data.poolMax, 2);
      assert.ok(f.data.waitP95Ms >= 10, `wait p95 ${f.data.waitP95Ms}`);
      // the checkout waited once: its three queries ran on the connection it got
      assert.deepEqual([f.data.requests, f.data.queries, f.data.db], [16, 16, db]);
      assert.match(f.message, /^Requests of GET \/reports\/daily queue for a connection of a pool of 2: its queries waited [\d.]+ ms \(p95\) for one, \d+ % of a request's time \(median\); this line waited the longest\. Raise the pool's size/);
    });

    it('the status route, checked out on its own, is a finding on its own query line', () => {
      const f = waitsOf(run).find((x) => x.data.scope === 'GET /reports/status');
      assert.ok(f, run.describe());
      assert.deepEqual([f.location.file, f.location.line], [REPORTS_FILE, markerAt(REPORTS_FILE, 'status').line]);
      assert.deepEqual([f.data.requests, f.data.queries], [16, 16]);
    });

    it('the pool\'s gauges show both connections in use and checkouts waiting, in the report and the summary', () => {
      const [pool, ...others] = poolsOf(run);
      assert.deepEqual(others, []);
      assert.deepEqual([pool.driver, pool.max, pool.peakInUse, pool.peakSize], [driver, 2, 2, 2]);
      assert.ok(pool.peakWaiting >= 1 && pool.peakWaiting <= 7, `peak waiting ${pool.peakWaiting}`);
      assert.match(run.cli.stdout, new RegExp(`pool ${driver} of 2: peak 2 in use of 2 open, ${pool.peakWaiting} waiting`));
    });

    it('a query\'s own duration leaves the wait out: each 20 ms query is timed at about 20 ms', () => {
      const queries = run.report.processes[0].metrics.queries.filter((q) => /sleep/i.test(q.fingerprint));
      assert.equal(queries.length, 3, JSON.stringify(queries.map((q) => q.fingerprint)));
      for (const q of queries) assert.ok(q.p50Ms >= 19 && q.p50Ms < 60, `${q.fingerprint}: p50 ${q.p50Ms} ms`);
    });
  });

  describe(`pool-checkout-express on ${lib}: a transaction held open across a carrier call, 8 clients`, () => {
    it('is a held-connection finding on the line before the idle span, with the checkouts it kept waiting', async () => {
      const run = await profile(8, SHIPPING);
      const found = run.findings('held-connection');
      assert.equal(found.length, 1, run.describe());
      const [f] = found;
      const lock = markerAt(SHIPPING_FILE, 'ship-lock');
      assert.deepEqual([f.location.file, f.location.line], [SHIPPING_FILE, lock.line]);
      assert.equal(f.data.scope, 'POST /reports/ship/:id');
      assert.equal(f.data.poolMax, 2);
      assert.ok(f.data.idleP95Ms >= 55, `idle p95 ${f.data.idleP95Ms}`);
      assert.ok(f.data.holds >= 1 && f.data.holds <= 12, `holds ${f.data.holds}`);
      assert.ok(f.data.waitingQueries >= 1, `waiting ${f.data.waitingQueries}`);
      assert.match(f.message, /^In POST \/reports\/ship\/:id, the transaction stays open [\d.]+ ms \(p95 of \d+\) after this query with no query of its own, holding one of the pool's 2 connections while \d+ quer(y|ies) of other requests waited for one/);
    });
  });
}
