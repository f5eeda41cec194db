// Express 4 with router.param (a query per request before the handler), a middleware before
// every handler and nested routers: requests are named by their route templates, the param
// loader's query is never an N+1, and the loop's N+1 is counted per request under concurrency.
const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { profileApp, lineOf, concurrentClients } = require('../../helpers/real-app');
const { itSpeaksTheOrmAndCostsTheSeverity } = require('../../helpers/real-app-expectations');

const APP = path.join(__dirname, '..', '..', 'fixtures', 'real-apps', 'express4-router-param');
const USERS = path.join(APP, 'routes', 'users.js');

for (const concurrency of [8, 1]) {
  describe(`Express 4 router.param, ${concurrentClients(concurrency)}`, () => {
    let run;
    it('runs', async () => {
      run = await profileApp({
        entry: path.join(APP, 'app.js'),
        concurrency,
        requests: [1, 2, 3].flatMap((u) => [{ path: `/api/users/${u}/posts`, times: 4 }, { path: `/api/users/${u}`, times: 4 }]),
      });
    });

    it('names requests by their templates and finds the loop N+1 only, 6 per request', () => {
      assert.deepEqual(Object.keys(run.report.figures.routes).sort(), ['GET /api/users/:userId', 'GET /api/users/:userId/posts']);
      const found = run.nPlusOne();
      assert.equal(found.length, 1, run.describe());
      const [f] = found;
      assert.deepEqual([f.location.file, f.location.line], [USERS, lineOf(USERS, 'post-comments')]);
      assert.equal(f.related[0].location.line, lineOf(USERS, 'posts-list'));
      assert.deepEqual(f.data.routes.map((r) => [r.scope, r.requests, r.count, r.minCount]), [['GET /api/users/:userId/posts', 12, 6, 6]]);
      assert.equal(run.findingsAt(USERS, lineOf(USERS, 'param-user')).filter((f) => f.kind !== 'pool-wait').length, 0, 'the param loader runs once per request');
    });
    itSpeaksTheOrmAndCostsTheSeverity(() => run, { speaks: [{ orm: 'knex', fix: /\.whereIn\(/ }] });
  });
}
