// A Koa 3 + @koa/router + Sequelize 6 blog API over a real MariaDB (mysql2), profiled by
// `perf-lens run` under 8 keep-alive clients and under 1. The pool (max 2) is smaller than the
// load; a router wraps every request in an unmanaged transaction opened in middleware; the auth
// middleware verifies a JWT with a callback and loads the user once per request. Three N+1s
// (a lazy getter in a loop, a Promise.all fan-out, a shared helper called from two routes'
// loops) must land on their lines with exact per-request counts and route templates as scopes;
// one-query and eager-loading routes must show none.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startMariadb } = require('../../helpers/mariadb');
const { profileApp, markerAt, concurrentClients, dbEnv, signedTokens, roundsOfRoutes } = require('../../helpers/real-app');
const {
  whereIn, scopesOf, unlocatedFindings, itChecksEachNPlusOneByRoute, assertNoOtherNPlusOneByRoute, nPlusOneLinksInto, itSpeaksTheOrmAndCostsTheSeverity } = require('../../helpers/real-app-expectations');

const APP = fs.realpathSync(path.join(__dirname, '..', '..', 'fixtures', 'real-apps', 'sequelize-koa'));
const ENTRY = path.join(APP, 'server.js');
const data = require(path.join(APP, 'db', 'seed.js'));

const SECRET = 'koa-sequelize-test-secret';
const TIMES = 12; // each route, per run
const file = (rel) => path.join(APP, rel);
const at = (rel, marker) => markerAt(file(rel), marker, `${rel}:${marker}`);

const ADA = data.USERNAMES[0];
const ROUTES = [
  // one query (the auth lookup), one-query and eager-loading routes: no N+1
  { method: 'GET', path: '/api/user', scope: 'GET /api/user' },
  { method: 'GET', path: '/api/tags', scope: 'GET /api/tags' },
  { method: 'GET', path: `/api/profiles/${ADA}`, scope: 'GET /api/profiles/:username' },
  { method: 'GET', path: `/api/posts/${data.COMMENTED_SLUG}`, scope: 'GET /api/posts/:slug' },
  { method: 'GET', path: '/api/feed', scope: 'GET /api/feed' },
  { method: 'POST', path: `/api/posts/${data.WRITE_SLUG}/comments`, scope: 'POST /api/posts/:slug/comments', body: { comment: { body: 'Nice post!' } } },
  // N+1s
  { method: 'GET', path: '/api/posts', scope: 'GET /api/posts' },
  { method: 'GET', path: `/api/profiles/${ADA}/posts`, scope: 'GET /api/profiles/:username/posts' },
  { method: 'GET', path: `/api/posts/${data.COMMENTED_SLUG}/comments`, scope: 'GET /api/posts/:slug/comments' },
  { method: 'GET', path: '/api/tags/sequelize/posts', scope: 'GET /api/tags/:tag/posts' },
];
const CLEAN_SCOPES = ROUTES.slice(0, 6).map((r) => r.scope);

// Each N+1: where it must land, its "1" query, the worst request's count and route, and every
// route that showed it with its exact per-request count and `caller`: for the shared helper the
// loop line that called it; null where the call site is the loop itself (the next app frame up
// the async chain is only the auth middleware's `await next()`, which is not a caller).
const EXPECTED = [
  {
    what: 'lazy post.getAuthor() in a for…of loop',
    sql: /^select id, username, email, .* from users as user where user\.id = \?/i,
    at: at('controllers/posts.js', 'posts-author-loop'),
    one: at('controllers/posts.js', 'posts-list'),
    count: 20,
    scope: 'GET /api/posts',
    routes: [{ scope: 'GET /api/posts', count: 20, caller: null }],
  },
  {
    what: 'Promise.all(posts.map((post) => post.getTags())) fan-out',
    sql: /^select tag\.id, tag\.name from tags as tag inner join post_tags /i,
    at: at('controllers/profiles.js', 'profile-posts-tags'),
    one: at('controllers/profiles.js', 'profile-posts-list'),
    count: data.ADA_POSTS,
    scope: 'GET /api/profiles/:username/posts',
    routes: [{ scope: 'GET /api/profiles/:username/posts', count: data.ADA_POSTS, caller: null }],
  },
  {
    what: 'shared findAuthorProfile() helper called from two routes’ loops',
    sql: /^select id, username, bio, image from users as user where user\.id = \?/i,
    at: at('services/author-service.js', 'author-profile'),
    one: at('controllers/comments.js', 'comments-list'),
    count: data.COMMENTS,
    scope: 'GET /api/posts/:slug/comments',
    routes: [
      { scope: 'GET /api/posts/:slug/comments', count: data.COMMENTS, caller: at('controllers/comments.js', 'comments-author-loop') },
      { scope: 'GET /api/tags/:tag/posts', count: data.SEQUELIZE_POSTS, caller: at('controllers/tags.js', 'tag-posts-author-loop') },
    ],
  },
];

// Lines that run once per request: never an N+1, however many requests run at once.
const ONCE_PER_REQUEST = [
  at('middleware/auth.js', 'auth-user'),
  at('controllers/tags.js', 'tags-list'),
  at('controllers/tags.js', 'tag-by-name'),
  at('controllers/tags.js', 'tag-posts-list'),
  at('controllers/posts.js', 'posts-list'),
  at('controllers/posts.js', 'post-show'),
  at('controllers/posts.js', 'feed'),
  at('controllers/profiles.js', 'profile-posts-list'),
  at('controllers/comments.js', 'comments-list'),
  at('controllers/comments.js', 'comment-create'),
  at('services/author-service.js', 'user-by-username'),
  at('services/post-service.js', 'post-by-slug'),
];

const where = whereIn(APP);

/** The N+1 findings with e's SQL shape in e's route, wherever they landed (so its line is checked on its own). */
function candidates(run, e) {
  return run.nPlusOne().filter((f) => e.sql.test(f.data.fingerprint) && scopesOf(f).includes(e.scope));
}

let db;
let env;

before(async () => {
  db = await startMariadb({ database: 'blog' });
  await data.seed(db);
  env = { ...dbEnv(db), JWT_SECRET: SECRET };
});

after(async () => {
  if (db) await db.stop();
});

/** The request plan: TIMES rounds of every route, the signed-in user rotating over three. */
const plan = () => roundsOfRoutes(ROUTES, TIMES, signedTokens(data.USERNAMES.slice(0, 3), SECRET));

for (const concurrency of [8, 1]) {
  describe(`sequelize-koa, ${concurrentClients(concurrency)}`, () => {
    let run;
    itSpeaksTheOrmAndCostsTheSeverity(() => run, { speaks: [{ orm: 'sequelize', fix: /include: \[Relation\]/ }] });
    before(async () => {
      run = await profileApp({ entry: ENTRY, root: APP, env, concurrency, requests: plan(), timeoutMs: 120_000 });
    });

    it('serves every request', () => {
      assert.equal(run.load.sent, TIMES * ROUTES.length);
      assert.deepEqual(run.load.failures, []);
    });

    // scopesFirst: the route list alone first, then every row at once
    itChecksEachNPlusOneByRoute(() => run, { expected: EXPECTED, candidates, times: TIMES, db: 'mysql', where, scopesFirst: true });

    it('reports no other N+1: none on the one-query and eager routes, none on once-per-request lines', () => {
      assertNoOtherNPlusOneByRoute(run, { expected: EXPECTED, candidates, where, cleanScopes: CLEAN_SCOPES, oncePerRequest: ONCE_PER_REQUEST });
    });

    it('points no N+1 at the middleware (auth, transaction) as a caller or related line', () => {
      // related lines only: the routes test checks each caller (none is the middleware's `await next()`)
      assert.deepEqual(nPlusOneLinksInto(run, file('middleware'), where), []);
    });

    it('gives every finding a location', () => {
      assert.deepEqual(unlocatedFindings(run), []);
    });
  });
}
