'use strict';
// Severity follows cost, on a real app with real drivers: an Express 5 back office over
// better-sqlite3 (seeded at start-up in db.transaction()) and PostgreSQL (pg Pool), under one
// and four keep-alive clients. Each N+1 costs something else: the finding's severity, message
// and numbers must say so; identical repeated reads are a duplicate, not an N+1.
const test = require('node:test');
const { describe, it, before, after } = test;
const assert = require('node:assert/strict');
const path = require('node:path');
const { startPostgres } = require('../../helpers/postgres');
const { profileApp, markerAt, concurrentClients } = require('../../helpers/real-app');

const APP = path.join(__dirname, '..', '..', 'fixtures', 'real-apps', 'severity-express');
const { seed } = require(path.join(APP, 'seed.js'));
const at = (file, name) => markerAt(path.join(APP, file), name);
const SQLITE = 'db/sqlite.js';
const CATALOG = 'services/catalog-service.js';
const REPORTS = 'services/report-service.js';

const PLAN = [
  { path: '/catalog/products', times: 6 },
  { path: '/reports/orders', times: 4 },
  { path: '/reports/monthly', times: 2 },
  { path: '/reports/stock', times: 4 },
  { path: '/reports/widgets', times: 4 },
];

let pg;
before(async () => {
  pg = await startPostgres({ database: 'shop' });
});
after(async () => {
  if (pg) await pg.stop();
});

for (const concurrency of [1, 4]) {
  describe(`severity-express, ${concurrentClients(concurrency)}`, () => {
    let run;
    before(async () => {
      await seed(pg.connectionString);
      run = await profileApp({ entry: path.join(APP, 'server.js'), root: APP, env: { DATABASE_URL: pg.connectionString }, concurrency, requests: PLAN, timeoutMs: 120_000 });
      assert.deepEqual(run.load.failures, []);
    });
    const only = (loc, kind = 'n-plus-one') => {
      const found = run.findingsAt(loc.file, loc.line, kind);
      assert.equal(found.length, 1, `one ${kind} finding on ${loc.name} (line ${loc.line}): ${run.describe()}`);
      return found[0];
    };

    it('the bulk load in one db.transaction() at start-up is one info finding that says why', () => {
      const f = only(at(SQLITE, 'bulk-insert'));
      assert.equal(f.severity, 'info');
      assert.equal(f.data.count, 40);
      assert.match(f.message, /Reported as info: these are writes inside one transaction outside any request \(a bulk load\), [\d.]+ ms in all\./);
      assert.match(f.data.fix, /multi-row VALUES list/);
    });

    it('an N+1 on in-process SQLite costing microseconds is info, and says SQLite runs in the process', () => {
      const f = only(at(CATALOG, 'product-tag'));
      assert.equal(f.severity, 'info');
      assert.equal(f.data.count, 25);
      assert.equal(f.data.scope, 'GET /catalog/products');
      assert.ok(f.data.costMs < 50, `costMs ${f.data.costMs}`);
      assert.match(f.message, /\(SQLite runs in the process: no round trip per query\); a warning takes 50\.0 ms\./);
    });

    it('twenty quick lookups inside a 2.4 s request are info, with their share of it', (t) => {
      const f = only(at(REPORTS, 'day-total'));
      assert.equal(f.data.count, 20);
      assert.ok(f.data.requestMs >= 2400, `requestMs ${f.data.requestMs}`);
      assert.ok(f.data.share < 0.05, `share ${f.data.share}`);
      // Twenty lookups take ~6 ms here, but a CI machine running other suites on the same two
      // cores has measured them past 50 ms: the rule then makes them a warning, as it should.
      if (f.data.costMs >= 50) {
        t.diagnostic(`the twenty lookups took ${f.data.costMs} ms on this loaded machine`);
        assert.equal(f.severity, 'warning');
        assert.doesNotMatch(f.message, /Reported as info/);
        return;
      }
      assert.equal(f.severity, 'info');
      assert.match(f.message, /Reported as info: the repeats cost [\d.]+ ms in all in the costliest request, [\d.]+ % of its \d+ ms; a warning takes 50\.0 ms\./);
    });

    it('60 ms of lookups in a 1 s request is a warning: costly, but not most of the request', () => {
      const f = only(at(REPORTS, 'warehouse-stock'));
      // the request waits 950 ms besides: CI's loaded machine took the six 10 ms lookups past
      // 100 ms and a 450 ms wait made them a fifth of the request, an error by the rule
      assert.equal(f.severity, 'warning', `cost ${f.data.costMs} ms, share ${f.data.share}`);
      assert.ok(f.data.costMs >= 60 && f.data.share < 0.2, `cost ${f.data.costMs} ms, share ${f.data.share}`);
      assert.doesNotMatch(f.message, /Reported as info/);
    });

    it('150 ms of lookups that are most of the request is an error, with its numbers', () => {
      const f = only(at(REPORTS, 'order-customer'));
      assert.equal(f.severity, 'error');
      assert.equal(f.data.count, 10);
      assert.ok(f.data.costMs >= 150, `costMs ${f.data.costMs}`);
      assert.ok(f.data.share >= 0.5, `share ${f.data.share}`);
      assert.equal(f.data.scope, 'GET /reports/orders');
      assert.match(f.data.fix, /WHERE id = ANY\(\$1\)/);
    });

    it('the same row read six times in a request is a duplicate to read once, not an N+1', () => {
      const theme = at(REPORTS, 'theme');
      assert.deepEqual(run.findingsAt(theme.file, theme.line, 'n-plus-one'), [], run.describe());
      const f = only(theme, 'duplicate-query');
      assert.equal(f.data.count, 6);
      assert.match(f.message, /ran 6 times with the same values in GET \/reports\/widgets \(and 3 more scopes\)\. Read it once/);
    });

    it('one finding per line: no line carries two findings of one kind', () => {
      const seen = new Set();
      for (const f of run.report.findings) {
        if (!f.location) continue;
        const key = `${f.kind} ${f.location.file}:${f.location.line}`;
        assert.ok(!seen.has(key), `two ${key}`);
        seen.add(key);
      }
    });
  });
}
