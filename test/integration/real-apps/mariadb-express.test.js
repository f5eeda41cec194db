'use strict';
// An Express 5 order API over a real MariaDB through the mariadb connector (3.5, the `require`
// build: one bundle whose classes the agent reaches through the pool it creates), profiled by
// `perf-lens run` under one and four keep-alive clients, with a pool of two connections. Two
// N+1s (a query per order in a for…of loop, a Promise.all fan-out through a helper) must land
// on their lines with exact per-request counts, route templates and an `IN (…)` fix; the page
// done with `IN (?)`, the `pool.batch` restock and the transaction must show none, and every
// query must be counted once, in its request.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startMariadb } = require('../../helpers/mariadb');
const { profileApp, markerAt, concurrentClients, dbEnv } = require('../../helpers/real-app');
const { whereIn, unlocatedFindings } = require('../../helpers/real-app-expectations');

const APP = fs.realpathSync(path.join(__dirname, '..', '..', 'fixtures', 'real-apps', 'mariadb-express'));
const data = require(path.join(APP, 'seed.js'));
const at = (rel, marker) => markerAt(path.join(APP, rel), marker, `${rel}:${marker}`);
const where = whereIn(APP);

const ORDERS = 'services/order-service.js';
const CUSTOMERS = 'services/customer-service.js';
const SHIPPING = 'services/shipping-service.js';
const RECENT = 10;
const TIMES = 6; // each route, per run
const RESTOCK = { items: Array.from({ length: 6 }, (_, i) => ({ productId: i + 1, qty: 10 + i })) };

// Queries each request of a route issues, all of them recorded in its scope.
const ROUTES = {
  'GET /customers/:id/orders': 1 + data.FIRST_CUSTOMER_ORDERS,
  'GET /orders/recent': 1 + RECENT,
  'GET /orders/recent/customers': 2,
  'POST /inventory/restock': 1, // one pool.batch of six rows
  'POST /orders/:id/ship': 5, // START TRANSACTION, SELECT … FOR UPDATE, UPDATE, INSERT, COMMIT
};

/** TIMES rounds of every route, interleaved so that concurrent requests are of different routes. */
function plan() {
  const requests = [];
  for (let i = 0; i < TIMES; i++) {
    requests.push(
      { path: '/customers/1/orders' },
      { path: '/orders/recent' },
      { path: '/orders/recent/customers' },
      { method: 'POST', path: '/inventory/restock', body: RESTOCK },
      { method: 'POST', path: `/orders/${11 + i}/ship` },
    );
  }
  return requests;
}

let db;
before(async () => {
  db = await startMariadb({ database: 'shop' });
});
after(async () => {
  if (db) await db.stop();
});

for (const concurrency of [1, 4]) {
  describe(`mariadb-express, ${concurrentClients(concurrency)}`, () => {
    let run;
    before(async () => {
      await data.seed(db);
      run = await profileApp({ entry: path.join(APP, 'server.js'), root: APP, env: dbEnv(db), concurrency, requests: plan(), timeoutMs: 120_000 });
    });
    const only = (loc, kind = 'n-plus-one') => {
      const found = run.findingsAt(loc.file, loc.line, kind);
      assert.equal(found.length, 1, `one ${kind} finding on ${loc.name} (line ${loc.line}): ${run.describe()}`);
      return found[0];
    };
    const queryStats = () => run.report.processes[0].metrics.queries;
    const statOf = (pattern) => {
      const found = queryStats().filter((q) => pattern.test(q.fingerprint));
      assert.equal(found.length, 1, `one fingerprint like ${pattern}: ${queryStats().map((q) => `${q.fingerprint} ×${q.count}`).join(', ')}`);
      return found[0];
    };

    it('serves every request', () => {
      assert.equal(run.load.sent, TIMES * Object.keys(ROUTES).length);
      assert.deepEqual(run.load.failures, []);
      assert.equal(run.report.processes.length, 1);
    });

    it('a SELECT per order in a for…of loop is an N+1 on its line, with the list query as its "1"', () => {
      const f = only(at(ORDERS, 'order-items'));
      assert.equal(f.data.db, 'mysql');
      assert.equal(f.data.count, data.FIRST_CUSTOMER_ORDERS);
      assert.equal(f.data.scope, 'GET /customers/:id/orders');
      assert.equal(f.data.scopes, TIMES, 'every request of the route showed it');
      assert.match(f.data.fingerprint, /^select product_id, qty from order_items where order_id = \?$/i);
      assert.match(f.data.fix, /WHERE order_id IN \(…\)/);
      assert.equal(where(f.related[0]?.location), where(at(ORDERS, 'customer-orders')));
    });

    it('a Promise.all fan-out through a helper is an N+1 on the helper’s query', () => {
      const f = only(at(CUSTOMERS, 'customer-by-id'));
      assert.equal(f.data.count, RECENT);
      assert.equal(f.data.scope, 'GET /orders/recent');
      assert.equal(f.data.scopes, TIMES);
      assert.match(f.data.fix, /WHERE id IN \(…\)/);
      assert.equal(where(f.related[0]?.location), where(at(ORDERS, 'recent-orders')));
      // one caller (the fan-out): no caller is named, the helper's line is the only way to it
      assert.deepEqual(
        f.data.routes.map((r) => ({ scope: r.scope, requests: r.requests, count: r.count, minCount: r.minCount, caller: where(r.caller) })),
        [{ scope: 'GET /orders/recent', requests: TIMES, count: RECENT, minCount: RECENT, caller: 'null' }],
      );
    });

    it('reports no other N+1: none on the IN (?) page, the batch insert or the transaction', () => {
      const expected = [at(ORDERS, 'order-items'), at(CUSTOMERS, 'customer-by-id')].map(where);
      assert.deepEqual(run.nPlusOne().map((f) => where(f.location)).filter((w) => !expected.includes(w)), [], run.describe());
      for (const loc of [at(CUSTOMERS, 'customers-in'), at(ORDERS, 'recent-orders-batched'), at('services/inventory-service.js', 'restock-batch'),
        at(SHIPPING, 'ship-begin'), at(SHIPPING, 'ship-lock'), at(SHIPPING, 'ship-update'), at(SHIPPING, 'ship-insert'), at(SHIPPING, 'ship-commit')]) {
        // queries that wait for the pool of 2 under load are a pool-wait finding, rightly: not what this checks
        const found = run.findingsAt(loc.file, loc.line).filter((f) => f.kind !== 'pool-wait');
        assert.deepEqual(found, [], `no query finding on ${loc.name}: ${run.describe()}`);
      }
      assert.deepEqual(unlocatedFindings(run), []);
    });

    it('counts every query once, in the request that issued it: per route, exactly', () => {
      const got = Object.fromEntries(
        Object.entries(run.report.figures.routes).map(([scope, r]) => [scope, { requests: r.requests, queries: r.queries }]),
      );
      const want = Object.fromEntries(Object.entries(ROUTES).map(([scope, n]) => [scope, { requests: TIMES, queries: n * TIMES }]));
      assert.deepEqual(got, want);
      // the pool's own work (connecting, pinging, resetting) is no query of the app's
      assert.equal(run.report.figures.overall.queriesTotal, TIMES * Object.values(ROUTES).reduce((a, b) => a + b, 0));
    });

    it('counts the pool.batch of six rows as one query per request', () => {
      const batch = statOf(/^insert into stock_movements \(product_id, qty, reason\) values/i);
      assert.equal(batch.db, 'mysql');
      assert.equal(batch.count, TIMES);
    });

    it('records the transaction on the pool’s connection: begin, queries and commit, once per request', () => {
      assert.equal(statOf(/^start transaction$/i).count, TIMES);
      assert.equal(statOf(/^commit$/i).count, TIMES);
      assert.equal(statOf(/^select id, status from orders where id = \? for update$/i).count, TIMES);
      assert.equal(statOf(/^insert into shipments/i).count, TIMES);
      assert.equal(queryStats().some((q) => /^rollback$/i.test(q.fingerprint)), false);
    });
  });
}
