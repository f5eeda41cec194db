'use strict';
// Redis Cluster and auto-pipelining under the real CLI, on three real redis-server masters: an
// Express 5 app whose services read a GET per friend in a loop, fan the same GETs out with
// Promise.all, and read the theme once per widget, through ioredis's Redis.Cluster (5 and 6,
// with enableAutoPipelining on and off), node-redis's createCluster, and ioredis auto-pipelining
// on one server. However the client routes or batches the commands, the findings are the same:
// N+1s on the service's lines with MGET or a pipeline as the fix, the duplicate read, no
// finding for the single GET, and the report counts each command the app made once.
const test = require('node:test');
const { describe, it, before, after } = test;
const assert = require('node:assert/strict');
const path = require('node:path');
const { startRedis } = require('../../helpers/redis');
const { startRedisCluster } = require('../../helpers/redis-cluster');
const { profileApp, markerAt, concurrentClients } = require('../../helpers/real-app');

const APP = path.join(__dirname, '..', '..', 'fixtures', 'real-apps', 'redis-cluster-express');
const FRIENDS = path.join(APP, 'services', 'friend-service.js');
const PAGES = path.join(APP, 'services', 'page-service.js');

const PLAN = [
  { path: '/users/3/friends', times: 4 },
  { path: '/users/7/friends/names', times: 4 },
  { path: '/pages/home', times: 4 },
  { path: '/users/9', times: 4 },
];

let cluster;
let redis;
before(async () => {
  cluster = await startRedisCluster();
  redis = await startRedis();
});
after(async () => {
  if (cluster) await cluster.stop();
  if (redis) await redis.stop();
});

const SETUPS = [
  { name: 'ioredis Redis.Cluster with enableAutoPipelining', env: { IOREDIS: 'ioredis', AUTO_PIPELINING: '1' }, cluster: true, concurrency: [1, 4] },
  { name: 'ioredis 6 Redis.Cluster', env: { IOREDIS: 'ioredis6' }, cluster: true, concurrency: [4] },
  { name: 'node-redis createCluster', env: { REDIS_CLIENT: 'redis' }, cluster: true, concurrency: [4] },
  { name: 'ioredis 6 on one server with enableAutoPipelining', env: { IOREDIS: 'ioredis6', AUTO_PIPELINING: '1' }, cluster: false, concurrency: [4] },
];

for (const setup of SETUPS) {
  for (const concurrency of setup.concurrency) {
    describe(`redis-cluster-express on ${setup.name}, ${concurrentClients(concurrency)}`, () => {
      let run;
      before(async () => {
        const where = setup.cluster ? { CLUSTER_NODES: JSON.stringify(cluster.startupNodes) } : { REDIS_URL: redis.url };
        run = await profileApp({ entry: path.join(APP, 'server.js'), root: APP, env: { ...setup.env, ...where }, concurrency, requests: PLAN, timeoutMs: 120_000 });
      });
      const only = (loc, kind) => {
        const found = run.findingsAt(loc.file, loc.line, kind);
        assert.equal(found.length, 1, `one ${kind} finding on ${loc.name} (line ${loc.line}): ${run.describe()}`);
        return found[0];
      };

      it('a GET per friend in a loop is an N+1 on the loop line, with its key pattern and MGET as the fix', () => {
        const f = only(markerAt(FRIENDS, 'profile-loop'), 'n-plus-one');
        assert.equal(f.data.count, 10);
        assert.equal(f.data.scope, 'GET /users/:id/friends');
        assert.equal(f.data.fingerprint, 'get user:?:profile');
        assert.match(f.data.fix, /one MGET/);
        assert.doesNotMatch(f.message, /user:\d+:profile/, 'no key of one user in the message');
      });

      it('the same GETs fanned out with Promise.all are an N+1 on their line too', () => {
        const f = only(markerAt(FRIENDS, 'profile-fanout'), 'n-plus-one');
        assert.equal(f.data.count, 10);
        assert.equal(f.data.scope, 'GET /users/:id/friends/names');
        assert.match(f.data.fix, /one MGET/);
      });

      it('the theme read by five widgets in one request is a duplicate to read once; one GET is no finding', () => {
        const f = only(markerAt(PAGES, 'theme'), 'duplicate-query');
        assert.equal(f.data.count, 5);
        assert.match(f.message, /Read it once/);
        const single = markerAt(FRIENDS, 'profile');
        assert.deepEqual(run.findingsAt(single.file, single.line), [], run.describe());
      });

      it('the report counts each command the app made once, and nothing the client sent on its own', () => {
        const queries = run.report.processes.flatMap((p) => p.metrics.queries);
        const names = queries.map((q) => `${q.fingerprint} ×${q.count}`).join(', ');
        // 4 requests × 10 friends on each of two routes, and the 4 single GETs
        assert.equal(queries.find((q) => q.fingerprint === 'get user:?:profile')?.count, 84, names);
        assert.equal(queries.find((q) => q.fingerprint === 'get settings:theme')?.count, 20, names);
        assert.deepEqual(queries.filter((q) => /^(pipeline|multi|client|info|cluster|asking|hello)\b/.test(q.fingerprint)).map((q) => q.fingerprint), [], names);
        const cache = run.report.figures.cache.find((c) => c.pattern === 'get user:?:profile');
        assert.deepEqual([cache?.reads, cache?.hits], [84, 84]);
      });
    });
  }
}
