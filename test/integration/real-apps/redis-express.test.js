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
];

let redis;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  if (redis) await redis.stop();
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
    });
  }
}
