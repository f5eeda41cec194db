'use strict';
// Redis through node-redis 4, 5 and 6 from an ES-module Fastify app on a real redis-server:
// HGETALL per product in a loop, HGET per product fanned out with Promise.all, the same reads
// batched with execAsPipeline() and multi().exec(). Findings land on the service's line with
// a pipeline as the fix; batches are one round trip and no finding.
const test = require('node:test');
const { describe, it, before, after } = test;
const assert = require('node:assert/strict');
const path = require('node:path');
const { startRedis } = require('../../helpers/redis');
const { profileApp, markerAt, concurrentClients } = require('../../helpers/real-app');

const APP = path.join(__dirname, '..', '..', 'fixtures', 'real-apps', 'node-redis-fastify');
const PRODUCTS = path.join(APP, 'services', 'product-service.js');
const CARTS = path.join(APP, 'services', 'cart-service.js');

const PLAN = [
  { path: '/products/category/2', times: 3 },
  { path: '/products/category/3/batched', times: 3 },
  { path: '/carts/42/summary', times: 3 },
];

let redis;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  if (redis) await redis.stop();
});

for (const client of ['redis4', 'redis', 'redis6']) {
  for (const concurrency of [1, 4]) {
    describe(`node-redis-fastify on ${client}, ${concurrentClients(concurrency)}`, () => {
      let run;
      before(async () => {
        run = await profileApp({ entry: path.join(APP, 'server.js'), root: APP, env: { REDIS_URL: redis.url, NODE_REDIS: client }, concurrency, requests: PLAN, timeoutMs: 120_000 });
      });
      const only = (loc, kind) => {
        const found = run.findingsAt(loc.file, loc.line, kind);
        assert.equal(found.length, 1, `one ${kind} finding on ${loc.name} (line ${loc.line}): ${run.describe()}`);
        return found[0];
      };

      it('an HGETALL per product in a loop is an N+1 on its line, named by key pattern, fixed with a pipeline', () => {
        const f = only(markerAt(PRODUCTS, 'product-hgetall'), 'n-plus-one');
        assert.equal(f.data.count, 6);
        assert.equal(f.data.scope, 'GET /products/category/:id');
        assert.equal(f.data.fingerprint, 'hgetall product:?');
        assert.match(f.data.fix, /HGETALL commands in one pipeline .*execAsPipeline\(\)/);
      });

      it('an HGET per product fanned out with Promise.all is an N+1, not a duplicate of one key', () => {
        const loc = markerAt(CARTS, 'cart-names');
        const f = only(loc, 'n-plus-one');
        assert.equal(f.data.count, 6);
        assert.equal(f.data.fingerprint, 'hget product:?');
        assert.deepEqual(run.findingsAt(loc.file, loc.line, 'duplicate-query'), [], run.describe());
      });

      it('a pipeline, a MULTI and single reads are no finding', () => {
        for (const [file, name] of [[PRODUCTS, 'product-pipeline'], [PRODUCTS, 'prices-multi'], [PRODUCTS, 'category-ids'], [CARTS, 'cart-get']]) {
          const loc = markerAt(file, name);
          assert.deepEqual(run.findingsAt(loc.file, loc.line), [], `${name}: ${run.describe()}`);
        }
      });

      it('batches are one round trip each in the report, by their commands', () => {
        const queries = run.report.processes.flatMap((p) => p.metrics.queries);
        const names = queries.map((q) => `${q.fingerprint} ×${q.count}`).join(', ');
        assert.equal(queries.find((q) => q.fingerprint === 'pipeline hgetall')?.count, 3, names);
        assert.equal(queries.find((q) => q.fingerprint === 'multi hget')?.count, 3, names);
        assert.equal(queries.find((q) => q.fingerprint === 'hgetall product:?')?.count, 18, names);
        assert.ok(queries.every((q) => q.db === 'redis'), names);
      });

      it('reads found in the cache are hits, one by one and inside batches', () => {
        const cache = run.report.figures.cache;
        const list = cache.map((c) => `${c.pattern} ${c.hits}/${c.reads}`).join(', ');
        const of = (pattern) => cache.find((c) => c.pattern === pattern) ?? assert.fail(`${pattern} among ${list}`);
        assert.deepEqual(of('hgetall product:?'), { pattern: 'hgetall product:?', db: 'redis', reads: 18, hits: 18, hitRate: 1 });
        assert.equal(of('hget product:?').hits, 18, list);
        assert.equal(of('get cart:?').hits, 3, list);
        assert.equal(of('pipeline hgetall').reads, 18, `execAsPipeline() counts each HGETALL: ${list}`);
        assert.equal(of('multi hget').reads, 18, `multi().exec() counts each HGET: ${list}`);
        assert.equal(of('multi hget').hits, 18, list);
        assert.equal(run.report.figures.routes['GET /carts/:id/summary'].cacheHitRate, 1);
      });
    });
  }
}
