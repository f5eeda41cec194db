// An Express 5 + drizzle-orm 0.45 blog API (plain CommonJS) over a real MariaDB through a
// mysql2/promise pool of 2 connections, profiled by `perf-lens run` under 8 keep-alive clients
// and under 1. drizzle's builders are lazy thenables (no app frame on the driver's stack); the
// auth middleware verifies the JWT with jsonwebtoken's callback API and loads the user with one
// `db.query.users.findFirst` per request; two routes run in `db.transaction` (one of them a
// write). Four N+1s (a relational findFirst in a service loop, a select builder in a loop, a
// multi-line Promise.all fan-out, a shared helper called from two routes' loops, once inside a
// transaction) must land on their lines with exact per-request counts and route templates as
// scopes, the comments routes on a nested `mergeParams` router; one-query and eager routes
// (relational `with`, a join) must show none.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startMariadb } = require('../../helpers/mariadb');
const { profileApp, markerAt, concurrentClients, dbEnv, signedTokens, roundsOfRoutes } = require('../../helpers/real-app');
const {
  whereIn, scopesOf, unlocatedFindings, assertRouteFigures,
  itChecksEachNPlusOneByRoute, assertNoOtherNPlusOneByRoute, nPlusOneLinksInto, itSpeaksTheOrmAndCostsTheSeverity } = require('../../helpers/real-app-expectations');

const APP = fs.realpathSync(path.join(__dirname, '..', '..', 'fixtures', 'real-apps', 'drizzle-express'));
const ENTRY = path.join(APP, 'server.js');
const data = require(path.join(APP, 'db', 'seed.js'));

const SECRET = 'express-drizzle-test-secret';
const TIMES = 12; // each route, per run
const file = (rel) => path.join(APP, rel);
const at = (rel, marker) => markerAt(file(rel), marker, `${rel}:${marker}`);

const ADA = data.USERNAMES[0];
const ROUTES = [
  // the auth lookup alone, one-query routes and eager routes: no N+1
  { method: 'GET', path: '/api/user', scope: 'GET /api/user' },
  { method: 'GET', path: '/api/tags', scope: 'GET /api/tags' },
  { method: 'GET', path: `/api/profiles/${ADA}`, scope: 'GET /api/profiles/:username' }, // users with: { posts }
  { method: 'GET', path: `/api/posts/${data.COMMENTED_SLUG}`, scope: 'GET /api/posts/:slug' }, // posts with: { comments }
  { method: 'GET', path: '/api/feed', scope: 'GET /api/feed' }, // posts inner join users
  { method: 'POST', path: `/api/posts/${data.WRITE_SLUG}/comments`, scope: 'POST /api/posts/:slug/comments', body: { comment: { body: 'Nice post!' } } },
  // N+1s
  { method: 'GET', path: '/api/posts', scope: 'GET /api/posts' },
  { method: 'GET', path: '/api/authors', scope: 'GET /api/authors' },
  { method: 'GET', path: `/api/profiles/${ADA}/posts`, scope: 'GET /api/profiles/:username/posts' },
  { method: 'GET', path: `/api/posts/${data.COMMENTED_SLUG}/comments`, scope: 'GET /api/posts/:slug/comments' },
  { method: 'GET', path: '/api/tags/drizzle/posts', scope: 'GET /api/tags/:tag/posts' },
];
const CLEAN_SCOPES = ROUTES.slice(0, 6).map((r) => r.scope);

// Queries each request of a route sends (the auth lookup included; begin/commit counted), as
// counted with the app alone, one request at a time and eight at once.
const QUERIES_PER_REQUEST = {
  'GET /api/user': 1,
  'GET /api/tags': 2,
  'GET /api/profiles/:username': 2,
  'GET /api/posts/:slug': 2,
  'GET /api/feed': 2,
  'POST /api/posts/:slug/comments': 6, // begin, post by slug, insert, update, commit
  'GET /api/posts': 2 + data.PAGE_SIZE,
  'GET /api/authors': 2 + data.USERNAMES.length,
  'GET /api/profiles/:username/posts': 3 + data.ADA_POSTS,
  'GET /api/posts/:slug/comments': 5 + data.COMMENTS, // begin, post by slug, comments, …, commit
  'GET /api/tags/:tag/posts': 3 + data.DRIZZLE_POSTS,
};

// Fingerprints as Perf Lens normalises them (lower case, `?` for values); backticks dropped
// before matching, so the patterns hold whether or not the normaliser keeps them.
const shape = (fingerprint) => String(fingerprint).replace(/`/g, '');

// Each N+1: where it must land, its "1" query, the worst request's count and route, and every
// route that showed it with its exact per-request count and `caller`: the loop line for the
// shared helper (two callers), null where the call site has a single caller.
const EXPECTED = [
  {
    what: 'db.query.users.findFirst() in a service for…of loop',
    // the same SQL as the auth middleware's lookup (which runs once per request, on its own line)
    sql: /^select id, username, email, bio, image, created_at from users users where users\.id = \?/i,
    at: at('services/post-service.js', 'posts-author-loop'),
    one: at('services/post-service.js', 'posts-list'),
    count: data.PAGE_SIZE,
    scope: 'GET /api/posts',
    routes: [{ scope: 'GET /api/posts', count: data.PAGE_SIZE, caller: null }],
  },
  {
    what: 'db.select({ count() }) builder in a for…of loop',
    sql: /^select count\(\*\) from posts where posts\.author_id = \?/i,
    at: at('services/author-service.js', 'authors-count-loop'),
    one: at('services/author-service.js', 'authors-list'),
    count: data.USERNAMES.length,
    scope: 'GET /api/authors',
    routes: [{ scope: 'GET /api/authors', count: data.USERNAMES.length, caller: null }],
  },
  {
    what: 'Promise.all(rows.map((post) => db.select()…)) fan-out',
    sql: /^select id, body, post_id, author_id, created_at from comments where comments\.post_id = \? order by comments\.id/i,
    at: at('controllers/profiles.js', 'profile-posts-comments'),
    one: at('controllers/profiles.js', 'profile-posts-list'),
    count: data.ADA_POSTS,
    scope: 'GET /api/profiles/:username/posts',
    routes: [{ scope: 'GET /api/profiles/:username/posts', count: data.ADA_POSTS, caller: null }],
  },
  {
    what: 'shared findAuthorProfile() helper called from two routes’ loops (one in a transaction)',
    sql: /^select username, bio, image from users users where users\.id = \?/i,
    at: at('services/author-service.js', 'author-profile'),
    one: at('controllers/comments.js', 'comments-list'),
    count: data.COMMENTS,
    scope: 'GET /api/posts/:slug/comments',
    routes: [
      { scope: 'GET /api/posts/:slug/comments', count: data.COMMENTS, caller: at('controllers/comments.js', 'comments-author-loop') },
      { scope: 'GET /api/tags/:tag/posts', count: data.DRIZZLE_POSTS, caller: at('controllers/tags.js', 'tag-posts-author-loop') },
    ],
  },
];

// Lines that run once per request: never an N+1, however many requests run at once.
const ONCE_PER_REQUEST = [
  at('middleware/auth.js', 'auth-user'),
  at('controllers/tags.js', 'tags-list'),
  at('controllers/tags.js', 'tag-by-name'),
  at('controllers/tags.js', 'tag-posts-list'),
  at('controllers/profiles.js', 'profile-posts-list'),
  at('controllers/comments.js', 'comments-list'),
  at('services/post-service.js', 'posts-list'),
  at('services/post-service.js', 'post-by-slug'),
  at('services/post-service.js', 'post-show'),
  at('services/post-service.js', 'feed'),
  at('services/post-service.js', 'comment-insert'),
  at('services/post-service.js', 'post-touch'),
  at('services/author-service.js', 'user-by-username'),
  at('services/author-service.js', 'profile-show'),
  at('services/author-service.js', 'authors-list'),
];

const where = whereIn(APP);
const sameLine = (loc, want) => !!loc && loc.file === want.file && loc.line === want.line;

/** The N+1 findings with e's SQL shape that are on e's line or in e's route, wherever they landed. */
function candidates(run, e) {
  return run.nPlusOne().filter(
    (f) => e.sql.test(shape(f.data.fingerprint)) && (sameLine(f.location, e.at) || scopesOf(f).includes(e.scope)),
  );
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
  describe(`drizzle-express, ${concurrentClients(concurrency)}`, () => {
    let run;
    itSpeaksTheOrmAndCostsTheSeverity(() => run, { speaks: [{ orm: 'drizzle-orm', fix: /with: \{ relation: true \}/ }] });
    before(async () => {
      run = await profileApp({ entry: ENTRY, root: APP, env, concurrency, requests: plan(), timeoutMs: 120_000 });
    });

    it('serves every request', () => {
      assert.equal(run.load.sent, TIMES * ROUTES.length);
      assert.deepEqual(run.load.failures, []);
    });

    itChecksEachNPlusOneByRoute(() => run, { expected: EXPECTED, candidates, times: TIMES, db: 'mysql', where });

    it('reports no other N+1: none on the one-query and eager routes, none on once-per-request lines', () => {
      assertNoOtherNPlusOneByRoute(run, { expected: EXPECTED, candidates, where, cleanScopes: CLEAN_SCOPES, oncePerRequest: ONCE_PER_REQUEST });
    });

    it('points no N+1 at the auth middleware as a caller or related line', () => {
      assert.deepEqual(nPlusOneLinksInto(run, file('middleware'), where, { callers: true }), []);
    });

    it('names each request by its Express route template (nested routers included) and gives it its own queries', () => {
      assertRouteFigures(run, QUERIES_PER_REQUEST, TIMES);
    });

    it('gives every finding a location', () => {
      assert.deepEqual(unlocatedFindings(run), []);
    });
  });
}
