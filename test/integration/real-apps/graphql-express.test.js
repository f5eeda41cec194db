'use strict';
// GraphQL's N+1: field resolvers (Post.author, Post.comments) that load per parent through knex,
// served by graphql-http on Express, under one and eight keep-alive clients. Each N+1 sits on the
// resolver's line and its fix says what GraphQL apps do: a DataLoader per request.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { startPostgres } = require('../../helpers/postgres');
const { profileApp, markerAt, concurrentClients } = require('../../helpers/real-app');

const APP = path.join(__dirname, '..', '..', 'fixtures', 'real-apps', 'graphql-express');
const RESOLVERS = path.join(APP, 'schema', 'resolvers.js');
const { seed } = require(path.join(APP, 'seed.js'));
const QUERY = { query: '{ posts(first: 12) { id title author { name } comments { body } } }' };

let pg;
before(async () => {
  pg = await startPostgres({ database: 'gql' });
  await seed(pg.connectionString);
});
after(async () => {
  if (pg) await pg.stop();
});

for (const concurrency of [8, 1]) {
  describe(`graphql-express, ${concurrentClients(concurrency)}`, () => {
    let run;
    before(async () => {
      run = await profileApp({
        entry: path.join(APP, 'server.js'), root: APP, env: { DATABASE_URL: pg.connectionString }, concurrency,
        requests: [{ method: 'POST', path: '/graphql', body: QUERY, times: 16 }],
      });
      assert.deepEqual(run.load.failures, []);
    });

    for (const [name, count] of [['author', 12], ['comments', 12]]) {
      it(`the Post.${name} resolver's N+1 is on its line, ${count} per request, and its fix is a DataLoader`, () => {
        const loc = markerAt(RESOLVERS, name);
        const found = run.findingsAt(loc.file, loc.line, 'n-plus-one');
        assert.equal(found.length, 1, run.describe());
        const [f] = found;
        assert.equal(f.data.count, count);
        assert.equal(f.data.scope, 'POST /graphql');
        assert.equal(f.data.orm, 'knex');
        assert.equal(f.data.callerLibrary, 'graphql');
        assert.match(f.data.fix, /^A GraphQL resolver loads them one parent at a time: batch the loads with a DataLoader \(one query per tick with WHERE (id|post_id) = ANY\(\$1\)\)\.$/);
        assert.ok(f.message.includes(f.data.fix));
        assert.equal(f.related[0].location.line, markerAt(RESOLVERS, 'posts').line, 'the posts query is the "1"');
      });
    }
  });
}
