'use strict';
// Waiting for a pooled connection, on a real PostgreSQL through a pool of 2 (node-postgres's
// Pool, knex's tarn pool, Sequelize's): one client at a time the report's three 20 ms queries
// never wait; eight concurrent keep-alive clients make them queue for the two connections, and
// the route gets a pool-wait finding that says so.
const test = require('node:test');
const { describe, it, before, after } = test;
const assert = require('node:assert/strict');
const path = require('node:path');
const { startPostgres } = require('../../helpers/postgres');
const { profileApp, markerAt } = require('../../helpers/real-app');

const APP = path.join(__dirname, '..', '..', 'fixtures', 'real-apps', 'pool-express');

const PLAN = [
  { path: '/reports/daily', times: 16 },
  { path: '/reports/status', times: 16 },
];

let pg;
before(async () => {
  pg = await startPostgres({ database: 'orders' });
});
after(async () => {
  if (pg) await pg.stop();
});

const waitsOf = (run) => run.report.findings.filter((f) => f.kind === 'pool-wait');
/** The pool library each app's gauges name. */
const DRIVER = { pg: 'pg-pool', knex: 'knex', sequelize: 'sequelize' };

for (const lib of ['pg', 'knex', 'sequelize']) {
  const REPORTS = path.join(APP, 'services', `report-${lib}.js`);
  const profile = (concurrency) =>
    profileApp({ entry: path.join(APP, 'server.js'), root: APP, env: { DATABASE_URL: pg.connectionString, POOL_LIB: lib }, concurrency, requests: PLAN, timeoutMs: 120_000 });

  describe(`pool-express on ${lib}, one client at a time`, () => {
    let run;
    before(async () => {
      run = await profile(1);
    });

    it('queries do not wait for a connection: no pool-wait finding, nothing ever waiting in the pool', () => {
      assert.deepEqual(waitsOf(run).map((f) => f.message), []);
      const [pool, ...others] = run.report.processes[0].metrics.pools;
      assert.deepEqual(others, []);
      assert.deepEqual([pool.driver, pool.max, pool.peakWaiting], [DRIVER[lib], 2, 0]);
      assert.ok(pool.peakInUse >= 1 && pool.peakInUse <= 2, `peak in use ${pool.peakInUse}`);
    });
  });

  describe(`pool-express on ${lib}, 8 concurrent clients`, () => {
    let run;
    before(async () => {
      run = await profile(8);
    });

    it('the report route queues for the pool of 2: a pool-wait finding with its p95 wait and the pool size', () => {
      const f = waitsOf(run).find((x) => x.data.scope === 'GET /reports/daily');
      assert.ok(f, run.describe());
      assert.equal(f.data.poolMax, 2);
      assert.ok(f.data.waitP95Ms >= 10, `wait p95 ${f.data.waitP95Ms}`);
      assert.equal(f.data.requests, 16);
      assert.equal(f.data.queries, 48);
      assert.equal(f.data.db, 'postgres');
      const lines = ['orders', 'revenue', 'customers'].map((n) => markerAt(REPORTS, n).line);
      assert.equal(f.location.file, REPORTS);
      assert.ok(lines.includes(f.location.line), `on one of the report's query lines ${lines}: ${f.location.line}`);
      assert.match(f.message, /^Requests of GET \/reports\/daily queue for a connection of a pool of 2: its queries waited [\d.]+ ms \(p95\) for one, \d+ % of a request's time \(median\); this line waited the longest\. Raise the pool's size/);
    });

    it('the pool\'s gauges show both connections in use and queries waiting, in the report and the summary', () => {
      const [pool, ...others] = run.report.processes[0].metrics.pools;
      assert.deepEqual(others, []);
      assert.deepEqual([pool.driver, pool.max, pool.peakInUse, pool.peakSize], [DRIVER[lib], 2, 2, 2]);
      assert.ok(pool.peakWaiting >= 1 && pool.peakWaiting <= 7, `peak waiting ${pool.peakWaiting}`);
      assert.match(run.cli.stdout, new RegExp(`pool ${DRIVER[lib]} of 2: peak 2 in use of 2 open, ${pool.peakWaiting} waiting`));
    });

    it('a query\'s own duration leaves the wait out: each 20 ms query is timed at about 20 ms', () => {
      const queries = run.report.processes[0].metrics.queries.filter((q) => /pg_sleep/.test(q.fingerprint));
      assert.equal(queries.length, 3);
      for (const q of queries) assert.ok(q.p50Ms >= 19 && q.p50Ms < 60, `${q.fingerprint}: p50 ${q.p50Ms} ms`);
    });
  });
}

describe('pool-express: a transaction held open across an HTTP call', () => {
  const SHIPPING = path.join(APP, 'services', 'shipping-service.js');
  const plan = [
    { method: 'POST', path: '/reports/ship/7', times: 12 },
    { path: '/reports/status', times: 24 },
  ];
  const ship = (concurrency) =>
    profileApp({ entry: path.join(APP, 'server.js'), root: APP, env: { DATABASE_URL: pg.connectionString, POOL_LIB: 'pg' }, concurrency, requests: plan, timeoutMs: 120_000 });

  it('one client at a time: the transaction idles but nobody waits, so no held-connection finding', async () => {
    const run = await ship(1);
    assert.deepEqual(run.findings('held-connection').map((f) => f.message), []);
  });

  it('8 clients: the idle transaction is a finding on the line before the idle span, with the queries it kept waiting', async () => {
    const run = await ship(8);
    const found = run.findings('held-connection');
    assert.equal(found.length, 1, run.describe());
    const [f] = found;
    const lock = markerAt(SHIPPING, 'ship-lock');
    assert.deepEqual([f.location.file, f.location.line], [SHIPPING, lock.line]);
    assert.equal(f.data.scope, 'POST /reports/ship/:id');
    assert.equal(f.data.poolMax, 2);
    assert.ok(f.data.idleP95Ms >= 55, `idle p95 ${f.data.idleP95Ms}`);
    assert.ok(f.data.holds >= 1 && f.data.holds <= 12, `holds ${f.data.holds}`);
    assert.ok(f.data.waitingQueries >= 1, `waiting ${f.data.waitingQueries}`);
    assert.match(f.message, /^In POST \/reports\/ship\/:id, the transaction stays open [\d.]+ ms \(p95 of \d+\) after this query with no query of its own, holding one of the pool's 2 connections while \d+ quer(y|ies) of other requests waited for one/);
  });
});
