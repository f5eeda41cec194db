// Query capture with node-postgres against a real PostgreSQL: Client and Pool entries, a
// pool queue, a failing query, a query inside an HTTP request, an ESM app on Node 20/22/24,
// and knex, Sequelize, TypeORM and drizzle-orm, whose queries must land on the app's line.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { startServer, launch } = require('../helpers/agent-harness');
const { startPostgres } = require('../helpers/postgres');
const { runtimes } = require('../helpers/runtimes');
const { runFixture, queriesAt, expectQueriesAt, assertOneAfterAnother } = require('../fixtures/capture/run');

const fixtures = path.join(__dirname, '..', 'fixtures', 'capture');

let srv;
let pg;
before(async () => {
  [srv, pg] = await Promise.all([startServer(), startPostgres()]);
});
after(async () => {
  await Promise.all([srv && srv.close(), pg && pg.stop()]);
});

const expectAt = (run, file, name, count, check) => expectQueriesAt(run, file, name, count, 'postgres', check);

describe('node-postgres capture (CommonJS)', () => {
  const file = path.join(fixtures, 'pg-app.cjs');
  let run;
  before(async () => {
    run = await runFixture(srv, process.execPath, file, { env: { DATABASE_URL: pg.connectionString } });
  });

  it('runs the app unchanged', () => {
    assert.match(run.result.stdout, /expected failure: 42P01/);
    assert.match(run.result.stdout, /done/);
  });

  it('captures Client queries: promise, callback, named prepared, Query object, failure', () => {
    expectAt(run, file, 'client-promise', 1, (q) => {
      assert.equal(q.text, 'INSERT INTO items VALUES ($1, $2), ($3, $4)');
      assert.deepEqual(q.params, ['1', 'one', '2', 'two']);
      assert.equal(q.error, false);
    });
    expectAt(run, file, 'client-callback', 1, (q) => assert.deepEqual(q.params, ['1']));
    expectAt(run, file, 'client-named', 1, (q) => {
      assert.equal(q.text, 'SELECT name FROM items WHERE id = $1');
      assert.deepEqual(q.params, ['2']);
    });
    expectAt(run, file, 'client-named-again', 1, (q) => assert.deepEqual(q.params, ['1']));
    expectAt(run, file, 'client-query-object', 1, (q) => assert.equal(q.text, 'SELECT count(*) FROM items'));
    expectAt(run, file, 'client-error', 1, (q) => {
      assert.equal(q.error, true);
      assert.deepEqual(q.params, ['7']);
    });
  });

  it('captures Pool queries at the line that called the pool, once each', () => {
    expectAt(run, file, 'pool-promise', 1, (q) => assert.equal(q.error, false));
    expectAt(run, file, 'pool-callback', 1, (q) => assert.deepEqual(q.params, ['1']));
    // max 1 connection, ten queries at once: nine wait in the pool's queue
    const queued = expectAt(run, file, 'pool-queue', 10, (q) => assert.match(q.text, /pg_sleep/));
    assert.deepEqual(queued.map((q) => q.params[0]).sort(), ['1', '1', '1', '1', '1', '2', '2', '2', '2', '2']);
    assertOneAfterAnother(queued);
    const texts = run.queries.map((q) => q.text);
    assert.equal(run.queries.length, 21, `one message per query: ${JSON.stringify(texts)}`);
  });

  it('gives a query inside an HTTP request that request as its scope', () => {
    expectAt(run, file, 'in-request', 1, (q) => assert.equal(q.scope.name, 'GET /items/:id'));
    const outside = queriesAt(run.queries, file, run.lines.get('pool-promise'))[0];
    assert.notEqual(outside.scope.name, 'GET /items/:id');
  });
});

for (const rt of runtimes()) {
  describe(`an ESM app importing pg on ${rt.version}`, () => {
    const file = path.join(fixtures, 'esm-app.mjs');
    let run;
    before(async () => {
      run = await runFixture(srv, rt.path, file, { env: { DATABASE_URL: pg.connectionString } });
    });

    it('captures Client and Pool queries at the module lines', () => {
      assert.match(run.result.stdout, /done/);
      expectAt(run, file, 'esm-client', 1, (q) => assert.equal(q.text, 'SELECT 1 AS one'));
      const pooled = expectAt(run, file, 'esm-pool', 2);
      assert.deepEqual(pooled.map((q) => q.params), [['r'], ['i']]);
      assert.equal(run.queries.length, 3);
    });
  });
}

describe('ORMs and query builders on pg', () => {
  const file = path.join(fixtures, 'orm-app.cjs');
  let run;
  before(async () => {
    run = await runFixture(srv, process.execPath, file, { env: { DATABASE_URL: pg.connectionString } });
  });

  it('attributes knex, Sequelize, TypeORM and drizzle queries to the app line', () => {
    assert.match(run.result.stdout, /Dune,Emma,Dune,Emma/);
    // knex asks a new connection `select version();`, from the query that made it open one
    const knex = queriesAt(run.queries, file, run.lines.get('knex')).filter((q) => !/^select version\(\);?$/.test(q.text));
    assert.equal(knex.length, 1, JSON.stringify(knex.map((q) => q.text)));
    assert.match(knex[0].text, /^select \* from "books" where "id" = \$1 limit \$2$/);
    assert.deepEqual(knex[0].params, ['1', '1']);
    expectAt(run, file, 'typeorm', 1, (q) => assert.match(q.text, /FROM "books" "Book" WHERE/));
    expectAt(run, file, 'drizzle', 1, (q) => {
      assert.match(q.text, /from "books" where "books"."id" = \$1/);
      assert.deepEqual(q.params, ['2']);
    });
    // Sequelize also runs its own set-up queries on the first connection from that line
    const sequelize = expectAt(run, file, 'sequelize', queriesAt(run.queries, file, run.lines.get('sequelize')).length);
    assert.ok(sequelize.some((q) => /FROM "books" AS "Book" WHERE "Book"."id" = 2/.test(q.text)), JSON.stringify(sequelize.map((q) => q.text)));
  });
});

describe('what the app observes of its drivers', () => {
  it('is the same with and without the agent: results, callbacks, errors, events, rejections', async () => {
    const file = path.join(fixtures, 'behaviour-app.cjs');
    const env = { DATABASE_URL: pg.connectionString };
    const withAgent = await runFixture(srv, process.execPath, file, { env });
    const without = await launch(process.execPath, file, { env, agent: false }).exited;
    assert.equal(without.code, 0, without.stderr);
    assert.match(without.stdout, /unhandledRejection 42P01/);
    assert.equal(withAgent.result.stdout, without.stdout);
    // and the agent did see them: 7 SQLite and 9 PostgreSQL queries
    assert.equal(withAgent.queries.filter((q) => q.db === 'sqlite').length, 7);
    assert.equal(withAgent.queries.filter((q) => q.db === 'postgres').length, 9);
    assert.equal(withAgent.queries.filter((q) => q.error).length, 6); // 2 SQLite, 4 PostgreSQL
  });
});
