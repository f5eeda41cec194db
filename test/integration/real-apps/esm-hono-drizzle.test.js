// An ES module app ("type": "module"): Hono's and drizzle's ESM builds never pass through
// require, so the agent reaches them through a module-customization hook. The N+1 must still be
// on its line, counted per request under concurrency, and named by Hono's route template.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const pg = require('pg');
const { startPostgres } = require('../../helpers/postgres');
const { profileApp, lineOf, concurrentClients } = require('../../helpers/real-app');
const { itSpeaksTheOrmAndCostsTheSeverity } = require('../../helpers/real-app-expectations');

const APP = path.join(__dirname, '..', '..', 'fixtures', 'real-apps', 'esm-hono-drizzle');
const SERVICE = path.join(APP, 'src', 'books-service.js');
const BOOKS = 12;

let db;
before(async () => {
  db = await startPostgres();
  const c = new pg.Client({ connectionString: db.connectionString });
  await c.connect();
  await c.query('CREATE TABLE authors (id int PRIMARY KEY, name text NOT NULL)');
  await c.query('CREATE TABLE books (id int PRIMARY KEY, title text NOT NULL, slug text NOT NULL, author_id int NOT NULL)');
  for (let i = 1; i <= 20; i++) {
    await c.query('INSERT INTO authors VALUES ($1, $2)', [i, `author ${i}`]);
    await c.query('INSERT INTO books VALUES ($1, $2, $3, $4)', [i, `book ${i}`, `book-${i}-${(i * 2654435761 % 65536).toString(16)}`, i]);
  }
  await c.end();
});
after(async () => db && db.stop());

for (const concurrency of [8, 1]) {
  describe(`ESM Hono + drizzle, ${concurrentClients(concurrency)}`, () => {
    let run;
    itSpeaksTheOrmAndCostsTheSeverity(() => run, { speaks: [{ orm: 'drizzle-orm', fix: /with: \{ relation: true \}/ }] });
    before(async () => {
      run = await profileApp({
        entry: path.join(APP, 'src', 'server.js'),
        env: { DATABASE_URL: db.connectionString },
        concurrency,
        requests: [
          { path: '/api/books', times: 10 },
          ...Array.from({ length: 10 }, (_, i) => ({ path: `/api/books/book-${i + 1}-${(((i + 1) * 2654435761) % 65536).toString(16)}` })),
        ],
      });
    });

    it('puts the N+1 of the relational query in the loop on its line, with exact counts and the route template', () => {
      const found = run.nPlusOne();
      assert.equal(found.length, 1, run.describe());
      const [f] = found;
      assert.deepEqual([f.location.file, f.location.line], [SERVICE, lineOf(SERVICE, 'book-author')], run.describe());
      assert.equal(f.data.count, BOOKS);
      assert.equal(f.data.scope, 'GET /api/books');
      assert.deepEqual(f.data.routes.map((r) => [r.scope, r.requests, r.count, r.minCount]), [['GET /api/books', 10, BOOKS, BOOKS]]);
      assert.equal(f.related[0].location.line, lineOf(SERVICE, 'books-list'));
    });

    it('names each request by its Hono route template', () => {
      assert.deepEqual(Object.keys(run.report.figures.routes).sort(), ['GET /api/books', 'GET /api/books/:slug']);
    });
  });
}
