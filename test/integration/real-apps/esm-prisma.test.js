// Prisma 7 with its ES module client, run by tsx: the runtime reaches the app through an ESM
// import of its CommonJS build (tsx compiles it), so the agent must swap the runtime's exports
// before the importing module takes its snapshot of them. The N+1 of findUnique must still be on
// its .ts line, with exact counts under concurrency.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const pg = require('pg');
const { startPostgres } = require('../../helpers/postgres');
const { profileApp, lineOf, concurrentClients } = require('../../helpers/real-app');
const { itSpeaksTheOrmAndCostsTheSeverity } = require('../../helpers/real-app-expectations');
const { ROOT } = require('../../helpers/cli');

const APP = path.join(__dirname, '..', '..', 'fixtures', 'real-apps', 'esm-prisma');
const ORDERS = path.join(APP, 'src', 'orders.ts');
const TSX = require.resolve('tsx/cli', { paths: [ROOT] });

let db;
before(async () => {
  // generation needs no engine: offline, the schema engine is declared absent
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'prisma', 'build', 'index.js'), 'generate', '--schema', path.join(APP, 'prisma', 'schema.prisma')], {
    cwd: APP,
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true', PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    stdio: 'pipe',
  });
  db = await startPostgres();
  const c = new pg.Client({ connectionString: db.connectionString });
  await c.connect();
  await c.query('CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL)');
  await c.query('CREATE TABLE orders (id int PRIMARY KEY, number text NOT NULL, customer_id int NOT NULL REFERENCES customers (id))');
  for (let i = 1; i <= 10; i++) {
    await c.query('INSERT INTO customers VALUES ($1, $2)', [i, `customer ${i}`]);
    await c.query('INSERT INTO orders VALUES ($1, $2, $3)', [i, `ord-${1000 + i}`, i]);
  }
  await c.end();
});
after(async () => db && db.stop());

for (const concurrency of [8, 1]) {
  describe(`ESM Prisma client under tsx, ${concurrentClients(concurrency)}`, () => {
    let run;
    itSpeaksTheOrmAndCostsTheSeverity(() => run, { speaks: [{ orm: '@prisma/client', fix: /include: \{ relation: true \}|\(Prisma: createMany\(\{ data: rows \}\)\)/ }] });
    before(async () => {
      run = await profileApp({
        entry: path.join(APP, 'src', 'server.ts'),
        runner: [TSX],
        env: { DATABASE_URL: db.connectionString },
        concurrency,
        requests: [{ path: '/orders', times: 10 }, ...Array.from({ length: 10 }, (_, i) => ({ path: `/orders/ord-${1001 + i}` }))],
      });
    });

    it('puts the findUnique in the loop on its .ts line, 10 per request, after the findMany', () => {
      const found = run.nPlusOne();
      assert.equal(found.length, 1, run.describe());
      const [f] = found;
      assert.deepEqual([f.location.file, f.location.line], [ORDERS, lineOf(ORDERS, 'order-customer')], run.describe());
      assert.equal(f.data.count, 10);
      assert.deepEqual(f.data.routes.map((r) => [r.scope, r.requests, r.count, r.minCount]), [['GET /orders', 10, 10, 10]]);
      assert.equal(f.related[0].location.line, lineOf(ORDERS, 'orders-list'));
    });
  });
}
