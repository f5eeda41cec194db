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
const jwt = require('jsonwebtoken');
const { startMariadb } = require('../../helpers/mariadb');
const { profileApp, lineOf } = require('../../helpers/real-app');

const APP = fs.realpathSync(path.join(__dirname, '..', '..', 'fixtures', 'real-apps', 'sequelize-koa'));
const ENTRY = path.join(APP, 'server.js');
const data = require(path.join(APP, 'db', 'seed.js'));

const SECRET = 'koa-sequelize-test-secret';
const TIMES = 12; // each route, per run
const file = (rel) => path.join(APP, rel);
const at = (rel, marker) => ({ file: file(rel), line: lineOf(file(rel), marker), name: `${rel}:${marker}` });

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

const where = (loc) => (loc ? `${path.relative(APP, loc.file)}:${loc.line}` : 'null');

/** The N+1 findings with e's SQL shape in e's route, wherever they landed. */
function candidates(run, e) {
  return run.nPlusOne().filter(
    (f) => e.sql.test(f.data.fingerprint) && (f.data.scope === e.scope || (f.data.routes ?? []).some((r) => r.scope === e.scope)),
  );
}

/** The one N+1 finding of `e` (found by its SQL and route, so its line is checked on its own). */
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
  describe(`sequelize-koa, ${concurrency} concurrent client${concurrency > 1 ? 's' : ''}`, () => {
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
        assert.deepEqual(got.map((r) => r.scope), want.map((r) => r.scope), `routes of ${e.at.name}`);
        // All routes compared at once, so one failure shows every difference.
        const shape = (r, w) => ({
          scope: r.scope,
          requests: r.requests,
          count: r.count,
          minCount: r.minCount,
          ...('caller' in w ? { caller: where(r.caller) } : {}),
        });
        assert.deepEqual(
          got.map((r, i) => shape(r, want[i])),
          want.map((w) => shape({ ...w, requests: TIMES, minCount: w.count, caller: w.caller }, w)),
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

    it('points no N+1 at the middleware (auth, transaction) as a caller or related line', () => {
      const bad = [];
      for (const f of run.nPlusOne()) {
        for (const r of f.related) {
          if (r.location && r.location.file.startsWith(file('middleware'))) bad.push(`${where(f.location)} → ${where(r.location)} ${r.message}`);
        }
      }
      assert.deepEqual(bad, []);
    });

    it('gives every finding a location', () => {
      const missing = run.report.findings.filter((f) => !f.location);
      assert.deepEqual(missing.map((f) => `${f.kind}: ${f.message}`), []);
    });
  });
}
