'use strict';
// A Hono 4 shop on @hono/node-server with Prisma 7 through its driver adapter @prisma/adapter-pg
// (pool max 2), written in TypeScript and compiled with tsc (source maps on), profiled by
// `perf-lens run` under 8 concurrent clients and under 1. Its N+1s (a findUnique loop, the
// fluent relation API in a loop, a Promise.all fan-out of count(), a shared price helper called
// from the loops of two routes, and a loop inside an interactive transaction opened by a
// middleware) must land on the TypeScript lines marked `// @line:NAME`, with the exact repeats
// per request of each route; the one-query routes, the eager `include` route, the fan-out of
// findUnique that Prisma batches into one `IN (…)` query, and the auth middleware's user lookup
// must not be findings. The same app runs a third time on SQLite (DB_PROVIDER=sqlite: the client
// generated from prisma/schema.sqlite.prisma on @prisma/adapter-better-sqlite3, one in-process
// connection, queries of microseconds) under 8 clients, with the same findings.
//
// The Prisma clients are generated in before() (`prisma generate` needs no engine: the schema
// engine download is skipped with PRISMA_SCHEMA_ENGINE_BINARY=/bin/true); the tables come from
// plain SQL (sql/schema.sql, sql/schema.sqlite.sql), as migrations would need that engine.
const { ROOT } = require('../../helpers/build');
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { promisify } = require('node:util');
const jwt = require('jsonwebtoken');
const { startPostgres } = require('../../helpers/postgres');
const { profileApp, markerAt, concurrentClients } = require('../../helpers/real-app');
const { whereIn, scopesOf, nPlusOneSummary, nPlusOneMessagesAt, assertRouteFigures, itSpeaksTheOrmAndCostsTheSeverity } = require('../../helpers/real-app-expectations');

const APP = path.join(ROOT, 'test', 'fixtures', 'real-apps', 'prisma-hono');
const fixture = require(path.join(APP, 'seed.js'));
const SRC = path.join(APP, 'src');
const ENTRY = path.join(APP, 'build', 'src', 'server.js');
const JWT_SECRET = 'prisma-hono-test-secret';

const F = {
  orders: path.join(SRC, 'services', 'orderService.ts'),
  customers: path.join(SRC, 'services', 'customerService.ts'),
  pricing: path.join(SRC, 'services', 'pricing.ts'),
  products: path.join(SRC, 'services', 'productService.ts'),
  auth: path.join(SRC, 'middleware', 'auth.ts'),
};
const at = markerAt;

const ROUNDS = 10; // every route is requested ROUNDS times per run

/**
 * Every N+1 the app has, as measured with the SQL that reaches node-postgres (one at a time
 * and 8 at once give the same per-request counts: the loops await one query at a time, so
 * Prisma's same-tick batching of findUnique never merges them, not even across requests).
 * Counted the same on SQLite (better-sqlite3's statements, per request with AsyncLocalStorage):
 * the same statements, and the same total under 8 clients, where no two requests' queries are
 * merged into one. There, though, the first requests, released together when the client has
 * connected, stay in step (each query resolves in a microtask) and Prisma's batching tick,
 * scheduled by the first of them, runs the others' findUnique in that request's async context:
 * counted by the context a statement runs in, GET /api/orders shows 39 instead of 22 once.
 * Each request still calls exactly the queries below.
 * `match` tells apart two findings on one line (the fluent API runs two queries per call).
 */
const EXPECTED = [
  {
    what: 'findUnique of each order\'s customer in a for…of loop',
    at: at(F.orders, 'order-customer'),
    count: 20,
    scope: 'GET /api/orders',
    one: at(F.orders, 'orders-recent'),
    routes: { 'GET /api/orders': { count: 20 } },
  },
  {
    what: 'the shared price helper, called from the loops of two routes',
    at: at(F.pricing, 'current-price'),
    count: fixture.CART_ITEMS_PER_CUSTOMER, // 7: the cart is the worst route
    scope: 'GET /api/customers/:handle/cart',
    one: at(F.customers, 'cart-items'),
    routes: {
      'GET /api/customers/:handle/cart': { count: fixture.CART_ITEMS_PER_CUSTOMER, caller: at(F.customers, 'cart-loop') },
      'GET /api/orders/:number/invoice': { count: fixture.ITEMS_PER_ORDER, caller: at(F.orders, 'invoice-loop') },
    },
  },
  {
    what: 'a Promise.all fan-out of order.count() (count is never batched)',
    at: at(F.customers, 'customer-order-count'),
    count: 15,
    scope: 'GET /api/customers',
    one: at(F.customers, 'customers-list'),
    routes: { 'GET /api/customers': { count: 15 } },
  },
  {
    what: 'the fluent API in a loop: its findUnique of the order',
    at: at(F.customers, 'order-items-fluent'),
    match: (fp) => !/order_items/.test(fp),
    count: fixture.ORDERS_PER_CUSTOMER, // 6
    scope: 'GET /api/customers/:handle/orders',
    one: at(F.customers, 'customer-orders'),
    routes: { 'GET /api/customers/:handle/orders': { count: fixture.ORDERS_PER_CUSTOMER } },
  },
  {
    what: 'the fluent API in a loop: its .items() query',
    at: at(F.customers, 'order-items-fluent'),
    match: (fp) => /order_items/.test(fp),
    count: fixture.ORDERS_PER_CUSTOMER,
    scope: 'GET /api/customers/:handle/orders',
    // The query just before the first items query is the order lookup of the first iteration,
    // on this same line; a detector that skips queries of the repeats' own call site would
    // name the customer's orders query instead: either is right.
    one: [at(F.customers, 'order-items-fluent'), at(F.customers, 'customer-orders')],
    routes: { 'GET /api/customers/:handle/orders': { count: fixture.ORDERS_PER_CUSTOMER } },
  },
  {
    what: 'tx.product.findUniqueOrThrow in a loop inside the transaction middleware',
    at: at(F.orders, 'tx-product'),
    count: fixture.ORDER_LINES.length, // 5
    scope: 'POST /api/orders',
    one: at(F.orders, 'order-create'),
    routes: { 'POST /api/orders': { count: fixture.ORDER_LINES.length } },
  },
  {
    what: 'tx.orderItem.create in the same loop',
    at: at(F.orders, 'tx-item-create'),
    count: fixture.ORDER_LINES.length,
    scope: 'POST /api/orders',
    // the "1" is the last query before the repeats that is not itself repeated: the order insert
    one: at(F.orders, 'order-create'),
    routes: { 'POST /api/orders': { count: fixture.ORDER_LINES.length } },
  },
];

/** Lines that run once (or a fixed few different queries) per request: never an N+1. */
const NOT_N_PLUS_ONE = [
  at(F.auth, 'auth-user'),
  at(F.products, 'products-list'),
  at(F.orders, 'orders-recent'),
  at(F.orders, 'order-eager'),
  at(F.orders, 'invoice-order'),
  at(F.orders, 'order-lines'),
  at(F.orders, 'order-products-batched'), // Promise.all of findUnique: one `IN (…)` query
  at(F.orders, 'order-create'),
  at(F.customers, 'customer-by-handle'),
  at(F.customers, 'customers-list'),
  at(F.customers, 'customer-orders'),
  at(F.customers, 'cart-items'),
];
/**
 * Every route, as Hono spells it, with the SQL statements one request sends (measured with
 * node-postgres's Client#query wrapped: the same one at a time and 8 at once; the auth lookup is
 * one of them; POST counts BEGIN and COMMIT). The same on SQLite (better-sqlite3's statements).
 */
const ROUTE_QUERIES = {
  'GET /api/user': 1,
  'GET /api/products': 2,
  'GET /api/orders': 22,
  'GET /api/orders/:number': 4, // include: order, customer, items
  'GET /api/orders/:number/invoice': 3 + fixture.ITEMS_PER_ORDER,
  'GET /api/orders/:number/products': 3, // the six findUnique go out as one IN (…) query
  'GET /api/customers': 17,
  'GET /api/customers/:handle/orders': 3 + 2 * fixture.ORDERS_PER_CUSTOMER,
  'GET /api/customers/:handle/cart': 3 + fixture.CART_ITEMS_PER_CUSTOMER,
  'POST /api/orders': 5 + 2 * fixture.ORDER_LINES.length,
};
const CLEAN_ROUTES = ['GET /api/user', 'GET /api/products', 'GET /api/orders/:number', 'GET /api/orders/:number/products'];

const run$ = promisify(execFile);

let pg;
let sqliteDir;
before(async () => {
  const build = (async () => {
    const env = {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true',
      PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING: '1',
      CHECKPOINT_DISABLE: '1',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    };
    const prisma = path.join(ROOT, 'node_modules', 'prisma', 'build', 'index.js');
    await Promise.all([
      run$(process.execPath, [prisma, 'generate'], { cwd: APP, env }),
      run$(process.execPath, [prisma, 'generate', '--schema', path.join(APP, 'prisma', 'schema.sqlite.prisma')], { cwd: APP, env }),
    ]);
    await run$(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', APP], { cwd: APP });
  })();
  const db = (async () => {
    pg = await startPostgres({ database: 'shop' });
    await fixture.seed(pg.connectionString);
  })();
  sqliteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'prisma-hono-sqlite-'));
  fixture.seedSqlite(path.join(sqliteDir, 'shop.db'));
  await Promise.all([build, db]);
});
after(async () => {
  if (pg) await pg.stop();
  if (sqliteDir) fs.rmSync(sqliteDir, { recursive: true, force: true });
});

/** The app's database settings: PostgreSQL through a pool of 2, or the SQLite file. */
const DATABASES = {
  postgres: () => ({ DATABASE_URL: pg.connectionString, DB_POOL_MAX: '2' }),
  sqlite: () => ({ DB_PROVIDER: 'sqlite', DATABASE_URL: `file:${path.join(sqliteDir, 'shop.db')}` }),
};

function profile(concurrency, db) {
  const token = jwt.sign({ sub: '1' }, JWT_SECRET, { algorithm: 'HS256', expiresIn: '1h' });
  return profileApp({
    entry: ENTRY,
    root: APP,
    env: { ...DATABASES[db](), JWT_SECRET },
    concurrency,
    requests: fixture.loadPlan(token, ROUNDS),
    timeoutMs: 120_000,
  });
}

const where = whereIn(APP);

function checkRun(concurrency, db = 'postgres') {
  const clients = concurrentClients(concurrency);
  describe(db === 'postgres' ? `${clients}, pool max 2` : `SQLite (better-sqlite3 adapter), ${clients}`, () => {
    let run;
    itSpeaksTheOrmAndCostsTheSeverity(() => run, { speaks: [{ orm: '@prisma/client', fix: /include: \{ relation: true \}|\(Prisma: createMany\(\{ data: rows \}\)\)/ }] });
    before(async () => {
      run = await profile(concurrency, db);
    });

    for (const e of EXPECTED) {
      it(`${e.what}: ${path.basename(e.at.file)}:${e.at.line}, ${e.count} per request`, () => {
        const found = run.findingsAt(e.at.file, e.at.line, 'n-plus-one').filter((f) => !e.match || e.match(f.data.fingerprint));
        assert.equal(found.length, 1, `one N+1 at ${where(e.at)} (${e.at.name}); findings:\n${run.describe()}`);
        const f = found[0];
        assert.equal(f.data.scope, e.scope, 'scope');
        assert.equal(f.data.db, db, 'db');
        assert.equal(f.data.count, e.count, `count in the worst request (${e.scope})`);
        assert.equal(f.data.scopes, Object.keys(e.routes).length * ROUNDS, 'requests that showed it');
        assert.ok(f.related?.length > 0, 'a related "1" query');
        const ones = [e.one].flat();
        assert.ok(
          ones.some((one) => where(one) === where(f.related[0].location)),
          `the "1" query: ${where(f.related[0].location)} (${f.related[0].message}), expected ${ones.map((o) => `${where(o)} (${o.name})`).join(' or ')}`,
        );

        assert.ok(Array.isArray(f.data.routes), `data.routes: ${JSON.stringify(f.data.routes)}`);
        const routes = Object.fromEntries(f.data.routes.map((r) => [r.scope, r]));
        assert.deepEqual(Object.keys(routes).sort(), Object.keys(e.routes).sort(), 'routes that showed it');
        for (const [scope, want] of Object.entries(e.routes)) {
          const r = routes[scope];
          assert.deepEqual(
            { requests: r.requests, count: r.count, minCount: r.minCount },
            { requests: ROUNDS, count: want.count, minCount: want.count },
            `${scope}: every request runs it exactly ${want.count} times`,
          );
          if (want.caller) assert.equal(where(r.caller), where(want.caller), `${scope}: caller (${want.caller.name})`);
        }
      });
    }

    it('finds no other N+1: exactly the expected ones', () => {
      const got = run.nPlusOne().map((f) => nPlusOneSummary(f, where)).sort();
      const want = EXPECTED.map((e) => `${where(e.at)} ${e.scope} ×${e.count}`).sort();
      assert.deepEqual(got, want, run.describe());
    });

    it('no N+1 on the one-query lines, the eager include, the batched findUnique fan-out, the auth lookup', () => {
      for (const loc of NOT_N_PLUS_ONE) {
        assert.deepEqual(nPlusOneMessagesAt(run, loc), [], `${loc.name} at ${where(loc)}`);
      }
      // the auth lookup, wherever it is placed: once per request, however many run at once
      const users = run.nPlusOne().filter((f) => /\busers\b/.test(f.data.fingerprint));
      assert.deepEqual(users.map((f) => `${where(f.location)} ${f.message}`), []);
    });

    it('no N+1 in the one-query routes and the eager route', () => {
      for (const f of run.nPlusOne()) {
        const scopes = scopesOf(f);
        for (const s of CLEAN_ROUTES) assert.ok(!scopes.includes(s), `${s} in ${where(f.location)} ${f.message}`);
      }
    });

    it('names each request by its Hono route template and gives it its own queries', () => {
      assertRouteFigures(run, ROUTE_QUERIES, ROUNDS);
    });

    it('every finding has a location', () => {
      const without = run.report.findings.filter((f) => !f.location);
      assert.deepEqual(without.map((f) => `${f.kind} ${f.message}`), []);
    });
  });
}

checkRun(8);
checkRun(1);
checkRun(8, 'sqlite');
