'use strict';
// TypeORM 1 with a pool of 2 (`poolSize`), on real PostgreSQL (node-postgres's Pool underneath)
// and MariaDB (mysql2's pool): TypeORM checks a connection out of the driver's pool for each
// query and each transaction, so the waits and gauges come from those checkouts. One client at a
// time nothing waits; under eight concurrent keep-alive clients the report route's query builder
// calls queue (a pool-wait finding on the app's line, the driver's pool in the gauges), and a
// `dataSource.transaction` held open across a carrier call is a held-connection finding.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { startPostgres } = require('../../helpers/postgres');
const { startMariadb } = require('../../helpers/mariadb');
const { profileApp, markerAt } = require('../../helpers/real-app');

const APP = path.join(__dirname, '..', '..', 'fixtures', 'real-apps', 'pool-typeorm-express');
const REPORTS_FILE = path.join(APP, 'services', 'report-service.js');
const SHIPPING_FILE = path.join(APP, 'services', 'shipping-service.js');
// the same orders table as the checkout app's
const { seedPostgres, seedMariadb } = require(path.join(APP, '..', 'pool-checkout-express', 'seed.js'));

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

/** TypeORM's type, the pool its driver keeps, the db the queries name. */
const TYPES = {
  postgres: { driver: 'pg-pool', db: 'postgres', url: () => pg.connectionString },
  mysql: { driver: 'mysql2', db: 'mysql', url: () => maria.connectionString },
};

for (const [type, { driver, db, url }] of Object.entries(TYPES)) {
  const profile = (concurrency, requests) =>
    profileApp({ entry: path.join(APP, 'server.js'), root: APP, env: { DB_TYPE: type, DATABASE_URL: url() }, concurrency, requests, timeoutMs: 120_000 });

  describe(`pool-typeorm-express on ${type}, one client at a time`, () => {
    it('nothing waits: no pool-wait or held-connection finding, the driver\'s pool never has a query waiting', async () => {
      const run = await profile(1, [...REPORTS, ...SHIPPING]);
      assert.deepEqual([...run.findings('pool-wait'), ...run.findings('held-connection')].map((f) => f.message), []);
      const [pool, ...others] = run.report.processes[0].metrics.pools;
      assert.deepEqual(others, []);
      assert.deepEqual([pool.driver, pool.max, pool.peakWaiting], [driver, 2, 0]);
    });
  });

  describe(`pool-typeorm-express on ${type}, 8 concurrent clients`, () => {
    let run;
    before(async () => {
      run = await profile(8, REPORTS);
    });

    it('the report route queues for the pool: a pool-wait finding on one of its query builder lines', () => {
      const f = run.findings('pool-wait').find((x) => x.data.scope === 'GET /reports/daily');
      assert.ok(f, run.describe());
      const lines = ['orders', 'revenue', 'shipped'].map((n) => markerAt(REPORTS_FILE, n).line);
      assert.equal(f.location.file, REPORTS_FILE, run.describe());
      assert.ok(lines.includes(f.location.line), `on one of the report's query lines ${lines}: ${f.location.line}`);
      // TypeORM checks a connection out for each query: all three carry a wait
      assert.deepEqual([f.data.poolMax, f.data.requests, f.data.queries, f.data.db], [2, 16, 48, db]);
      assert.ok(f.data.waitP95Ms >= 10, `wait p95 ${f.data.waitP95Ms}`);
      assert.match(f.message, /^Requests of GET \/reports\/daily queue for a connection of a pool of 2: its queries waited [\d.]+ ms \(p95\) for one/);
    });

    it('the gauges show the driver\'s pool with both connections in use and queries waiting', () => {
      const [pool, ...others] = run.report.processes[0].metrics.pools;
      assert.deepEqual(others, []);
      assert.deepEqual([pool.driver, pool.max, pool.peakInUse, pool.peakSize], [driver, 2, 2, 2]);
      assert.ok(pool.peakWaiting >= 1 && pool.peakWaiting <= 7, `peak waiting ${pool.peakWaiting}`);
    });

    it('a query\'s own duration leaves the wait out: each 20 ms query is timed at about 20 ms', () => {
      const queries = run.report.processes[0].metrics.queries.filter((q) => /sleep/i.test(q.fingerprint));
      assert.equal(queries.length, 3, JSON.stringify(queries.map((q) => q.fingerprint)));
      for (const q of queries) assert.ok(q.p50Ms >= 19 && q.p50Ms < 60, `${q.fingerprint}: p50 ${q.p50Ms} ms`);
    });
  });

  describe(`pool-typeorm-express on ${type}: dataSource.transaction held open across a carrier call, 8 clients`, () => {
    it('is a held-connection finding on the line before the idle span', async () => {
      const run = await profile(8, SHIPPING);
      const found = run.findings('held-connection');
      assert.equal(found.length, 1, run.describe());
      const [f] = found;
      assert.deepEqual([f.location.file, f.location.line], [SHIPPING_FILE, markerAt(SHIPPING_FILE, 'ship-lock').line]);
      assert.deepEqual([f.data.scope, f.data.poolMax], ['POST /reports/ship/:id', 2]);
      assert.ok(f.data.idleP95Ms >= 55, `idle p95 ${f.data.idleP95Ms}`);
      assert.ok(f.data.waitingQueries >= 1, `waiting ${f.data.waitingQueries}`);
    });
  });
}
