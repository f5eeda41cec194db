'use strict';
// Prisma 7 through its driver adapters with a pool of 2, on real databases: @prisma/adapter-pg
// (`new PrismaPg({ connectionString, max: 2 })`, node-postgres's Pool underneath) on PostgreSQL
// and @prisma/adapter-mariadb (`new PrismaMariaDb({ …, connectionLimit: 2 })`, the mariadb
// connector's pool) on MariaDB, run by tsx. Under eight concurrent keep-alive clients the report
// route's raw queries queue for the pool: its queries carry their waits, the pool-wait finding is
// on the app's .ts line, the adapter's pool shows in the gauges; an interactive transaction held
// open across a carrier call is a held-connection finding. One client at a time: none of it.
//
// The clients are generated in before() (`prisma generate` needs no engine offline, see
// esm-prisma.test.js); the table comes from the checkout app's seed (plain SQL).
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { startPostgres } = require('../../helpers/postgres');
const { startMariadb } = require('../../helpers/mariadb');
const { profileApp, markerAt, dbEnv } = require('../../helpers/real-app');
const { ROOT } = require('../../helpers/cli');

const APP = path.join(__dirname, '..', '..', 'fixtures', 'real-apps', 'pool-prisma');
const REPORTS_FILE = path.join(APP, 'src', 'reports.ts');
const SHIPPING_FILE = path.join(APP, 'src', 'shipping.ts');
const TSX = require.resolve('tsx/cli', { paths: [ROOT] });
const { seedPostgres, seedMariadb } = require(path.join(APP, '..', 'pool-checkout-express', 'seed.js'));

const REPORTS = [
  { path: '/reports/daily', times: 16 },
  { path: '/reports/status', times: 16 },
];
/** Distinct orders: concurrent transactions touch different rows. */
const SHIPPING = [
  ...Array.from({ length: 12 }, (_, i) => ({ method: 'POST', path: `/reports/ship/${i + 1}` })),
  { path: '/reports/status', times: 24 },
];

/** tsx runs the app in a child process of its own: the process that ran queries. */
const appOf = (run) => run.report.processes.find((p) => p.metrics.queries.length > 0);

let pg;
let maria;
before(async () => {
  const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true', PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' };
  for (const schema of ['schema.prisma', 'schema.mysql.prisma']) {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'prisma', 'build', 'index.js'), 'generate', '--schema', path.join(APP, 'prisma', schema)], { cwd: APP, env, stdio: 'pipe' });
  }
  [pg, maria] = await Promise.all([startPostgres({ database: 'orders' }), startMariadb({ database: 'orders' })]);
  await Promise.all([seedPostgres(pg.connectionString), seedMariadb(maria)]);
});
after(async () => {
  await Promise.all([pg && pg.stop(), maria && maria.stop()]);
});

/** Each adapter: the app's environment, the pool its gauges name, the db its queries name. */
const ADAPTERS = {
  '@prisma/adapter-pg': { driver: 'pg-pool', db: 'postgres', env: () => ({ DB_PROVIDER: 'postgresql', DATABASE_URL: pg.connectionString }), ownQueries: 0 },
  // its adapter asks `SELECT VERSION()` through the pool once, as the first request connects it
  '@prisma/adapter-mariadb': { driver: 'mariadb', db: 'mysql', env: () => ({ DB_PROVIDER: 'mysql', ...dbEnv(maria) }), ownQueries: 1 },
};

for (const [adapter, { driver, db, env, ownQueries }] of Object.entries(ADAPTERS)) {
  const profile = (concurrency, requests) =>
    profileApp({ entry: path.join(APP, 'src', 'server.ts'), runner: [TSX], root: APP, env: env(), concurrency, requests, timeoutMs: 120_000 });

  describe(`pool-prisma through ${adapter}, one client at a time`, () => {
    it('nothing waits: no pool-wait or held-connection finding, the pool never has a query waiting', async () => {
      const run = await profile(1, [...REPORTS, ...SHIPPING]);
      assert.deepEqual([...run.findings('pool-wait'), ...run.findings('held-connection')].map((f) => f.message), []);
      const [pool, ...others] = appOf(run).metrics.pools;
      assert.deepEqual(others, []);
      assert.deepEqual([pool.driver, pool.max, pool.peakWaiting], [driver, 2, 0]);
    });
  });

  describe(`pool-prisma through ${adapter}, 8 concurrent clients`, () => {
    let run;
    before(async () => {
      run = await profile(8, REPORTS);
    });

    it('the report route queues for the adapter\'s pool: a pool-wait finding on one of its .ts query lines', () => {
      const f = run.findings('pool-wait').find((x) => x.data.scope === 'GET /reports/daily');
      assert.ok(f, run.describe());
      const lines = ['orders', 'revenue', 'shipped'].map((n) => markerAt(REPORTS_FILE, n).line);
      assert.equal(f.location.file, REPORTS_FILE, run.describe());
      assert.ok(lines.includes(f.location.line), `on one of the report's query lines ${lines}: ${f.location.line}`);
      assert.deepEqual([f.data.poolMax, f.data.requests, f.data.queries, f.data.db], [2, 16, 48 + ownQueries, db]);
      assert.ok(f.data.waitP95Ms >= 10, `wait p95 ${f.data.waitP95Ms}`);
    });

    it('the gauges show the adapter\'s pool with both connections in use and queries waiting', () => {
      const [pool, ...others] = appOf(run).metrics.pools;
      assert.deepEqual(others, []);
      assert.deepEqual([pool.driver, pool.max, pool.peakInUse, pool.peakSize], [driver, 2, 2, 2]);
      assert.ok(pool.peakWaiting >= 1 && pool.peakWaiting <= 7, `peak waiting ${pool.peakWaiting}`);
    });

    it('a query\'s own duration leaves the wait out: each 20 ms query is timed at about 20 ms', () => {
      const queries = appOf(run).metrics.queries.filter((q) => /sleep/i.test(q.fingerprint));
      assert.equal(queries.length, 3, JSON.stringify(queries.map((q) => q.fingerprint)));
      for (const q of queries) assert.ok(q.p50Ms >= 19 && q.p50Ms < 60, `${q.fingerprint}: p50 ${q.p50Ms} ms`);
    });
  });

  describe(`pool-prisma through ${adapter}: an interactive transaction held open across a carrier call, 8 clients`, () => {
    it('is a held-connection finding on the line before the idle span', async () => {
      const run = await profile(8, SHIPPING);
      const found = run.findings('held-connection');
      // Under load Prisma's own work between BEGIN and the first query can leave the connection
      // idle too (a finding on the $transaction call, fairly): every one is of this route.
      assert.deepEqual([...new Set(found.map((f) => f.data.scope))], ['POST /reports/ship/:id'], run.describe());
      const f = found.find((x) => x.location && x.location.file === SHIPPING_FILE && x.location.line === markerAt(SHIPPING_FILE, 'ship-read').line);
      assert.ok(f, run.describe());
      assert.deepEqual([f.data.scope, f.data.poolMax], ['POST /reports/ship/:id', 2]);
      assert.ok(f.data.idleP95Ms >= 55, `idle p95 ${f.data.idleP95Ms}`);
      assert.ok(f.data.waitingQueries >= 1, `waiting ${f.data.waitingQueries}`);
    });
  });
}
