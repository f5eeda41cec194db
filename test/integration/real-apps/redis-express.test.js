'use strict';
// Redis through ioredis 5 and 6 on a real redis-server: an Express 5 app whose services read
// Redis one key at a time in a loop, fanned out with Promise.all, with MGET, in a pipeline,
// and the same key again and again. Findings land on the service's line with a Redis fix;
// batches are one round trip and no finding.
const test = require('node:test');
const { describe, it, before, after } = test;
const assert = require('node:assert/strict');
const path = require('node:path');
const { startRedis } = require('../../helpers/redis');
const { profileApp, markerAt, concurrentClients } = require('../../helpers/real-app');

const APP = path.join(__dirname, '..', '..', 'fixtures', 'real-apps', 'redis-express');
const USERS = path.join(APP, 'services', 'user-service.js');
const PAGES = path.join(APP, 'services', 'page-service.js');

const PLAN = [
  { path: '/users/3/following', times: 4 },
  { path: '/users/7/following/names', times: 4 },
  { path: '/users/9/following/batch', times: 4 },
  { path: '/pages/feed', times: 4 },
  { path: '/pages/dashboard', times: 4 },
  { path: '/products/1', times: 4 },
  { path: '/products/2', times: 4 },
  { path: '/products/recommended/5', times: 4 },
];

let redis;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  if (redis) await redis.stop();
});

describe('redis-express: a KEYS over 200 000 keys', () => {
  let run;
  before(async () => {
    // a keyspace a KEYS takes milliseconds to walk (not in the app's patterns it reads)
    const Redis = require('ioredis');
    const filler = new Redis(redis.url);
    for (let batch = 0; batch < 20; batch++) {
      const p = filler.pipeline();
      for (let i = 0; i < 10_000; i++) p.set(`filler:${batch}:${i}`, '1');
      await p.exec();
    }
    await filler.quit();
    run = await profileApp({
      entry: path.join(APP, 'server.js'), root: APP, env: { REDIS_URL: redis.url }, args: ['--slow-query-ms', '5'],
      requests: [{ path: '/admin/users/count', times: 3 }], timeoutMs: 120_000,
    });
  });
  after(async () => {
    const Redis = require('ioredis');
    const cleaner = new Redis(redis.url);
    await cleaner.flushall();
    await cleaner.quit();
  });

  it('is a slow query on its line that says not to walk the keyspace', () => {
    const keys = markerAt(path.join(APP, 'routes', 'admin.js'), 'keys');
    const found = run.findingsAt(keys.file, keys.line, 'slow-query');
    assert.equal(found.length, 1, run.describe());
    assert.equal(found[0].data.fingerprint, 'keys user:*:profile');
    assert.equal(found[0].data.db, 'redis');
    assert.match(found[0].message, /Slow query: "keys user:\*:profile" took [\d.]+ ms .*in GET \/admin\/users\/count\. Avoid commands that walk whole keyspaces/);
  });
});

for (const client of ['ioredis', 'ioredis6']) {
  for (const concurrency of [1, 4]) {
    describe(`redis-express on ${client}, ${concurrentClients(concurrency)}`, () => {
      let run;
      before(async () => {
        run = await profileApp({ entry: path.join(APP, 'server.js'), root: APP, env: { REDIS_URL: redis.url, IOREDIS: client }, concurrency, requests: PLAN, timeoutMs: 120_000 });
      });
      const only = (loc, kind) => {
        const found = run.findingsAt(loc.file, loc.line, kind);
        assert.equal(found.length, 1, `one ${kind} finding on ${loc.name} (line ${loc.line}): ${run.describe()}`);
        return found[0];
      };

      it('a GET per followed user in a loop is an N+1 on the loop line, with its key pattern and MGET as the fix', () => {
        const f = only(markerAt(USERS, 'profile-get'), 'n-plus-one');
        assert.equal(f.data.count, 10);
        assert.equal(f.data.scope, 'GET /users/:id/following');
        assert.match(f.data.fingerprint, /^get user:\?:profile$/);
        assert.match(f.data.fix, /one MGET/);
        assert.doesNotMatch(f.message, /user:\d+:profile/, 'no key of one user in the message');
      });

      it('the same GETs fanned out with Promise.all are an N+1 too', () => {
        const f = only(markerAt(USERS, 'profile-fanout'), 'n-plus-one');
        assert.equal(f.data.count, 10);
        assert.match(f.data.fix, /one MGET/);
      });

      it('one MGET and one pipeline of twenty HGETALLs are no finding', () => {
        for (const name of ['profile-mget', 'follows']) {
          const loc = markerAt(USERS, name);
          assert.deepEqual(run.findingsAt(loc.file, loc.line), [], run.describe());
        }
        const feed = markerAt(PAGES, 'feed-pipeline');
        assert.deepEqual(run.findingsAt(feed.file, feed.line), [], run.describe());
      });

      it('the theme read by six widgets in one request is a duplicate to read once', () => {
        const f = only(markerAt(PAGES, 'theme'), 'duplicate-query');
        assert.equal(f.data.count, 6);
        assert.match(f.message, /Read it once/);
        assert.deepEqual(run.findingsAt(f.location.file, f.location.line, 'n-plus-one'), []);
      });

      it('every command is in the report by key pattern, the pipeline as one round trip', () => {
        const queries = run.report.processes.flatMap((p) => p.metrics.queries);
        const names = queries.map((q) => `${q.fingerprint} ×${q.count}`).join(', ');
        const feed = queries.find((q) => q.fingerprint === 'pipeline hgetall');
        assert.ok(feed, `the feed's pipeline among ${names}`);
        assert.equal(feed.db, 'redis');
        assert.equal(feed.count, 4);
        const gets = queries.find((q) => q.fingerprint === 'get user:?:profile');
        assert.equal(gets?.count, 80, names);
        assert.equal(queries.find((q) => q.fingerprint === 'mget user:?:profile')?.count, 4, names);
      });

      it('cache reads are counted per key pattern: hits, misses and the hit rate', () => {
        const cache = run.report.figures.cache;
        const of = (pattern) => {
          const p = cache.find((c) => c.pattern === pattern);
          assert.ok(p, `${pattern} among ${cache.map((c) => `${c.pattern} ${c.hits}/${c.reads}`).join(', ')}`);
          return p;
        };
        assert.deepEqual(of('get recs:user:?'), { pattern: 'get recs:user:?', db: 'redis', reads: 4, hits: 0, hitRate: 0 });
        assert.deepEqual(of('get settings:theme'), { pattern: 'get settings:theme', db: 'redis', reads: 24, hits: 24, hitRate: 1 });
        assert.equal(of('get user:?:profile').hits, 80);
        assert.equal(of('mget user:?:profile').reads, 40, 'an MGET counts each of its keys');
        assert.equal(of('mget user:?:profile').hits, 40);
        const products = of('get cache:product:?');
        assert.equal(products.reads, 8);
        // cache-aside: the first read of each product misses, the next ones hit (concurrent
        // requests for one product may both miss before either stores it)
        if (concurrency === 1) assert.equal(products.hits, 6);
        else assert.ok(products.hits >= 0 && products.hits <= 6, `hits ${products.hits}`);
        assert.equal(products.hitRate, Math.round((products.hits / 8) * 1000) / 1000);
      });

      it('the hit rate is a key figure per route and for the run', () => {
        const f = run.report.figures;
        assert.equal(f.routes['GET /products/recommended/:userId'].cacheHitRate, 0);
        assert.equal(f.routes['GET /products/recommended/:userId'].cacheReads, 4);
        assert.equal(f.routes['GET /pages/dashboard'].cacheHitRate, 1);
        assert.equal(f.routes['GET /pages/feed'].cacheReads, 80, 'the pipeline of twenty HGETALLs counts its reads');
        assert.equal(f.overall.cacheReads, f.cache.reduce((a, c) => a + c.reads, 0));
        assert.ok(f.overall.cacheHitRate > 0.8 && f.overall.cacheHitRate < 1, `overall ${f.overall.cacheHitRate}`);
        const m = run.report.processes[0].metrics.cache;
        assert.deepEqual([m.reads, m.hits, m.hitRate], [f.overall.cacheReads, f.overall.cacheHits, f.overall.cacheHitRate]);
        assert.match(run.cli.stdout, new RegExp(`cache hits ${(m.hitRate * 100).toFixed(1)} % of ${m.reads} reads`));
      });
    });
  }
}
