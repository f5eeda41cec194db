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
const jwt = require('jsonwebtoken');
const { startMariadb } = require('../../helpers/mariadb');
const { profileApp, lineOf } = require('../../helpers/real-app');

const APP = fs.realpathSync(path.join(__dirname, '..', '..', 'fixtures', 'real-apps', 'drizzle-express'));
const ENTRY = path.join(APP, 'server.js');
const data = require(path.join(APP, 'db', 'seed.js'));

const SECRET = 'express-drizzle-test-secret';
const TIMES = 12; // each route, per run
const file = (rel) => path.join(APP, rel);
const at = (rel, marker) => ({ file: file(rel), line: lineOf(file(rel), marker), name: `${rel}:${marker}` });

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

const where = (loc) => (loc ? `${path.relative(APP, loc.file)}:${loc.line}` : 'null');
const sameLine = (loc, want) => !!loc && loc.file === want.file && loc.line === want.line;

/** The N+1 findings with e's SQL shape that are on e's line or in e's route, wherever they landed. */
function candidates(run, e) {
  return run.nPlusOne().filter(
    (f) => e.sql.test(shape(f.data.fingerprint)) &&
      (sameLine(f.location, e.at) || f.data.scope === e.scope || (f.data.routes ?? []).some((r) => r.scope === e.scope)),
  );
}

/** The one N+1 finding of `e` (found by its SQL and its line or route, so each is checked on its own). */
function findingOf(run, e) {
  const found = candidates(run, e);
  assert.equal(found.length, 1, `expected one N+1 finding for the ${e.what} in ${e.scope}, got ${found.length}:\n${run.describe()}`);
  return found[0];
}

let db;
let env;

before(async () => {
  db = await startMariadb({ database: 'blog' });
  await data.seed(db);
  env = {
    DB_HOST: db.host,
    DB_PORT: String(db.port),
    DB_USER: db.user,
    DB_PASSWORD: db.password,
    DB_NAME: db.database,
    JWT_SECRET: SECRET,
  };
});

after(async () => {
  if (db) await db.stop();
});

/** The request plan: TIMES rounds of every route, the signed-in user rotating over three. */
function plan() {
  const tokens = [1, 2, 3].map((id) => `Token ${jwt.sign({ id, username: data.USERNAMES[id - 1] }, SECRET, { expiresIn: '1h' })}`);
  const requests = [];
  for (let i = 0; i < TIMES; i++) {
    ROUTES.forEach((r, j) => {
      requests.push({
        method: r.method,
        path: r.path,
        headers: { authorization: tokens[(i + j) % tokens.length] },
        ...(r.body ? { body: r.body } : {}),
      });
    });
  }
  return requests;
}

for (const concurrency of [8, 1]) {
  describe(`drizzle-express, ${concurrency} concurrent client${concurrency > 1 ? 's' : ''}`, () => {
    let run;
    before(async () => {
      run = await profileApp({ entry: ENTRY, root: APP, env, concurrency, requests: plan(), timeoutMs: 120_000 });
    });

    it('serves every request', () => {
      assert.equal(run.load.sent, TIMES * ROUTES.length);
      assert.deepEqual(run.load.failures, []);
    });

    for (const e of EXPECTED) {
      it(`finds the ${e.what}: count, route template, "1" query`, () => {
        const f = findingOf(run, e);
        assert.equal(f.data.count, e.count, `count of ${e.at.name}: ${f.message}`);
        assert.equal(f.data.scope, e.scope, `scope of ${e.at.name}`);
        assert.equal(f.data.scopes, TIMES * e.routes.length, `requests that showed ${e.at.name}`);
        assert.equal(f.data.db, 'mysql');
        assert.ok(f.related.length >= 1, `no related "1" query: ${JSON.stringify(f.related)}`);
        assert.equal(where(f.related[0].location), where(e.one), `the "1" query of ${e.at.name}`);
      });

      it(`puts the ${e.what} on ${e.at.name} (line ${e.at.line})`, () => {
        const f = findingOf(run, e);
        assert.equal(where(f.location), where(e.at), f.message);
        assert.equal(run.findingsAt(e.at.file, e.at.line, 'n-plus-one').length, 1);
      });

      it(`lists every route of ${e.at.name} with exact per-request counts`, () => {
        const f = findingOf(run, e);
        assert.ok(Array.isArray(f.data.routes), `data.routes is ${JSON.stringify(f.data.routes)}`);
        const got = [...f.data.routes].sort((a, b) => a.scope.localeCompare(b.scope));
        const want = [...e.routes].sort((a, b) => a.scope.localeCompare(b.scope));
        // All routes compared at once, so one failure shows every difference.
        const row = (r) => ({ scope: r.scope, requests: r.requests, count: r.count, minCount: r.minCount, caller: where(r.caller) });
        assert.deepEqual(
          got.map(row),
          want.map((w) => row({ ...w, requests: TIMES, minCount: w.count })),
          `data.routes of ${e.at.name}: ${JSON.stringify(f.data.routes)}`,
        );
      });
    }

    it('reports no other N+1: none on the one-query and eager routes, none on once-per-request lines', () => {
      const expected = new Set(EXPECTED.flatMap((e) => candidates(run, e).slice(0, 1)));
      const extra = run.nPlusOne().filter((f) => !expected.has(f));
      assert.deepEqual(extra.map((f) => `${where(f.location)} ${f.data.scope} ×${f.data.count}`), [], run.describe());
      for (const f of run.nPlusOne()) {
        const scopes = [f.data.scope, ...(f.data.routes ?? []).map((r) => r.scope)];
        for (const s of scopes) assert.ok(!CLEAN_SCOPES.includes(s), `an N+1 in ${s}: ${f.message}`);
      }
      for (const loc of ONCE_PER_REQUEST) {
        assert.deepEqual(run.findingsAt(loc.file, loc.line, 'n-plus-one').map((f) => f.message), [], `N+1 on ${loc.name}`);
      }
    });

    it('points no N+1 at the auth middleware as a caller or related line', () => {
      const bad = [];
      for (const f of run.nPlusOne()) {
        for (const r of f.related) {
          if (r.location && r.location.file.startsWith(file('middleware'))) bad.push(`${where(f.location)} → ${where(r.location)} ${r.message}`);
        }
        for (const r of f.data.routes ?? []) {
          if (r.caller && r.caller.file.startsWith(file('middleware'))) bad.push(`${where(f.location)} caller ${where(r.caller)} in ${r.scope}`);
        }
      }
      assert.deepEqual(bad, []);
    });

    it('names each request by its Express route template (nested routers included) and gives it its own queries', () => {
      const got = Object.fromEntries(
        Object.entries(run.report.figures.routes).map(([scope, r]) => [scope, { requests: r.requests, queriesPerRequest: r.queriesPerRequest }]),
      );
      const want = Object.fromEntries(
        Object.entries(QUERIES_PER_REQUEST).map(([scope, n]) => [scope, { requests: TIMES, queriesPerRequest: n }]),
      );
      assert.deepEqual(got, want);
    });

    it('gives every finding a location', () => {
      const missing = run.report.findings.filter((f) => !f.location);
      assert.deepEqual(missing.map((f) => `${f.kind}: ${f.message}`), []);
    });
  });
}
