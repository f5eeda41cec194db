// A RealWorld "Conduit" API on Express 5 + Bookshelf 1.2 (Bluebird) over knex 3 + pg, profiled
// by `perf-lens run` with 8 and then 1 keep-alive clients and a pool of 2 connections. Its N+1s
// (a per-article `load`, a per-comment `related('author').fetch()`, a shared serializeProfile
// helper called from two routes' loops) must land on the app's lines with exact per-request
// counts and route templates as scopes; its one-query and eager-loading routes, and the
// passport-jwt user lookup, must give no N+1 at all.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const jwt = require('jsonwebtoken');
const { profileApp, lineOf } = require('../../helpers/real-app');
const { whereIn, nPlusOneMessagesAt, itSpeaksTheOrmAndCostsTheSeverity } = require('../../helpers/real-app-expectations');
const { startPostgres } = require('../../helpers/postgres');

const APP = path.join(__dirname, '..', '..', 'fixtures', 'real-apps', 'bookshelf-express');
const { seed, SLUGS, VIEWER, CELEB, COUNTS, usernameOf } = require(path.join(APP, 'seed'));
const SRC = path.join(APP, 'src');
const file = {
  articles: path.join(SRC, 'services', 'article-service.js'),
  comments: path.join(SRC, 'services', 'comment-service.js'),
  profiles: path.join(SRC, 'services', 'profile-service.js'),
  auth: path.join(SRC, 'middleware', 'auth.js'),
  tags: path.join(SRC, 'controllers', 'tags.js'),
  controller: path.join(SRC, 'controllers', 'articles.js'),
};
const at = (f, name) => ({ file: file[f], line: lineOf(file[f], name) });
const LINES = {
  articlesList: at('articles', 'articles-list'),
  articlesLoad: at('articles', 'articles-load'),
  feedEager: at('articles', 'feed-eager'),
  favoritesList: at('articles', 'favorites-list'),
  favoritesLoop: at('articles', 'favorites-loop'),
  commentsList: at('comments', 'comments-list'),
  commentsAuthor: at('comments', 'comments-author'),
  followersList: at('profiles', 'followers-list'),
  followersLoop: at('profiles', 'followers-loop'),
  profileFollowing: at('profiles', 'profile-following'),
  authUser: at('auth', 'auth-user'),
  tagsList: at('tags', 'tags-list'),
};

const ROUTE = {
  list: 'GET /api/articles',
  feedEager: 'GET /api/articles/feed-eager',
  show: 'GET /api/articles/:slug',
  comments: 'GET /api/articles/:slug/comments',
  favorites: 'GET /api/articles/:slug/favorites',
  profile: 'GET /api/profiles/:username',
  followers: 'GET /api/profiles/:username/followers',
  user: 'GET /api/user',
  tags: 'GET /api/tags',
};
const TIMES = 10;
const JWT_SECRET = 'conduit-test-secret';

/** Each route TIMES times, interleaved, so concurrent requests are of different routes. */
function plan() {
  const headers = { authorization: `Token ${jwt.sign({ id: VIEWER.id, username: VIEWER.username }, JWT_SECRET)}` };
  const requests = [];
  for (let i = 0; i < TIMES; i++) {
    const commented = SLUGS.commented[i % SLUGS.commented.length];
    for (const p of [
      i % 2 ? '/api/articles?limit=20' : '/api/articles',
      '/api/articles/feed-eager',
      `/api/articles/${SLUGS.all[(i * 7) % SLUGS.all.length]}`,
      `/api/articles/${commented}/comments`,
      `/api/articles/${commented}/favorites`,
      `/api/profiles/${usernameOf(3 + i)}`,
      `/api/profiles/${CELEB.username}/followers`,
      '/api/user',
      '/api/tags',
    ]) requests.push({ path: p, headers });
  }
  return requests;
}

// fingerprints, whatever the quoting: load(author) batches ids with IN, related('author').fetch() takes one
const SQL = {
  loadAuthor: /from "?users"? where "?users"?\."?id"? in \(/i,
  loadTags: /from "?tags"? inner join "?articles_tags"?/i,
  fetchAuthor: /from "?users"? where "?users"?\."?id"? = /i,
  following: /from "?follows"? where "?follower_id"? = .* and "?followed_id"? = /i,
};

const where = whereIn(APP);
// A caller is named only where the call site is shared by several callers (the helper): a call
// site with one caller is the loop itself, and its caller (the controller) is no loop.
const same = (loc, expected) =>
  expected === null ? loc === null : loc !== null && loc !== undefined && loc.file === expected.file && loc.line === expected.line;

/** The N+1 finding at `line` whose SQL matches `sql`; fails listing every finding otherwise. */
function nPlusOneAt(run, line, sql) {
  const found = run.findingsAt(line.file, line.line, 'n-plus-one').filter((f) => sql.test(f.data.fingerprint));
  assert.equal(found.length, 1, `one N+1 at ${where(line)} matching ${sql}; findings:\n${run.describe()}`);
  return found[0];
}

/** data.routes holds exactly `expected` ({scope, count, caller}), each seen by TIMES requests. */
function assertRoutes(f, expected) {
  const routes = f.data.routes;
  assert.ok(Array.isArray(routes), `data.routes missing on ${where(f.location)}: ${JSON.stringify(f.data)}`);
  const got = routes.map((r) => r.scope).sort();
  assert.deepEqual(got, expected.map((e) => e.scope).sort(), `routes of ${where(f.location)}: ${JSON.stringify(routes)}`);
  for (const e of expected) {
    const r = routes.find((x) => x.scope === e.scope);
    const msg = `${e.scope} on ${where(f.location)}: ${JSON.stringify(r)}`;
    assert.equal(r.requests, TIMES, `requests, ${msg}`);
    assert.equal(r.count, e.count, `count, ${msg}`);
    assert.equal(r.minCount, e.count, `minCount, ${msg}`);
    assert.ok(same(r.caller, e.caller), `caller ${where(r.caller)}, expected ${where(e.caller)}, ${msg}`);
  }
}

function assertFinding(f, { count, scope, scopes, one }) {
  const msg = `${where(f.location)} ${f.message}\n${JSON.stringify(f.data)}`;
  assert.equal(f.data.count, count, `count, ${msg}`);
  assert.equal(f.data.scope, scope, `scope, ${msg}`);
  assert.equal(f.data.scopes, scopes, `scopes, ${msg}`);
  assertOneQuery(f, one);
}

/** The first related item is the "1" query, at `one`. */
function assertOneQuery(f, one) {
  const related = f.related.map((r) => `${where(r.location)} ${r.message}`).join('\n  ');
  assert.ok(f.related.length > 0 && same(f.related[0].location, one),
    `first related item of ${where(f.location)} should be the "1" query at ${where(one)}; related:\n  ${related}`);
}

let pg;
before(async () => {
  pg = await startPostgres({ database: 'conduit' });
  await seed(pg.connectionString);
});
after(async () => {
  if (pg) await pg.stop();
});

for (const concurrency of [8, 1]) {
  describe(`Bookshelf + Express Conduit, ${concurrency} client${concurrency > 1 ? 's' : ''}, pool max 2`, () => {
    let run;
    itSpeaksTheOrmAndCostsTheSeverity(() => run, { speaks: [{ orm: 'bookshelf', fix: /withRelated/ }] });
    before(async () => {
      run = await profileApp({
        entry: path.join(APP, 'server.js'),
        env: { DATABASE_URL: pg.connectionString, JWT_SECRET, DB_POOL_MAX: '2' },
        concurrency,
        requests: plan(),
        timeoutMs: 60_000,
      });
    });

    it('serves every request', () => {
      assert.equal(run.load.sent, TIMES * Object.keys(ROUTE).length);
      assert.deepEqual(run.load.statuses, { 200: TIMES * Object.keys(ROUTE).length });
    });

    it('reports the per-article load(author) N+1 on the load line, 20 per list request', () => {
      const f = nPlusOneAt(run, LINES.articlesLoad, SQL.loadAuthor);
      assertFinding(f, { count: COUNTS.listPage, scope: ROUTE.list, scopes: TIMES, one: LINES.articlesList });
      assertRoutes(f, [{ scope: ROUTE.list, count: COUNTS.listPage, caller: null }]);
    });

    it('reports the per-article load(tags) N+1 on the load line, 20 per list request', () => {
      const f = nPlusOneAt(run, LINES.articlesLoad, SQL.loadTags);
      assert.equal(f.data.count, COUNTS.listPage, JSON.stringify(f.data));
      assert.equal(f.data.scope, ROUTE.list);
      assert.equal(f.data.scopes, TIMES);
      assertRoutes(f, [{ scope: ROUTE.list, count: COUNTS.listPage, caller: null }]);
    });

    it('gives the load(tags) N+1 the article list as its "1" query, not its sibling load(author) query', () => {
      const f = nPlusOneAt(run, LINES.articlesLoad, SQL.loadTags);
      assertOneQuery(f, LINES.articlesList);
    });

    it('reports the per-comment related(author).fetch() N+1, 15 per comments request', () => {
      const f = nPlusOneAt(run, LINES.commentsAuthor, SQL.fetchAuthor);
      assertFinding(f, { count: COUNTS.comments, scope: ROUTE.comments, scopes: TIMES, one: LINES.commentsList });
      assertRoutes(f, [{ scope: ROUTE.comments, count: COUNTS.comments, caller: null }]);
    });

    it('reports the serializeProfile helper once, on its query line, with both calling routes and their loops', () => {
      const f = nPlusOneAt(run, LINES.profileFollowing, SQL.following);
      assertFinding(f, { count: COUNTS.followers, scope: ROUTE.followers, scopes: 2 * TIMES, one: LINES.followersList });
      assertRoutes(f, [
        { scope: ROUTE.followers, count: COUNTS.followers, caller: LINES.followersLoop },
        { scope: ROUTE.favorites, count: COUNTS.favorites, caller: LINES.favoritesLoop },
      ]);
    });

    it('reports no other N+1: not for the one-query routes, the eager-loading route or the auth lookup', () => {
      const n = run.nPlusOne();
      assert.equal(n.length, 4, `expected 4 N+1 findings:\n${run.describe()}`);
      const quiet = [ROUTE.feedEager, ROUTE.show, ROUTE.profile, ROUTE.user, ROUTE.tags];
      for (const f of n) {
        assert.ok(!quiet.includes(f.data.scope), `N+1 in ${f.data.scope}: ${f.message}`);
        for (const r of f.data.routes ?? []) assert.ok(!quiet.includes(r.scope), `N+1 route ${r.scope}: ${f.message}`);
      }
      for (const line of [LINES.feedEager, LINES.tagsList, LINES.articlesList, LINES.commentsList, LINES.followersList, LINES.favoritesList]) {
        assert.deepEqual(nPlusOneMessagesAt(run, line), [], `N+1 at ${where(line)}`);
      }
    });

    it('reports nothing on the passport-jwt user lookup (one query per request, whatever the concurrency)', () => {
      // slow under load, or where a route's queue for the pool of 2 shows: about the load, not this lookup
      const found = run.findingsAt(LINES.authUser.file, LINES.authUser.line).filter((f) => f.kind !== 'slow-query' && f.kind !== 'pool-wait');
      assert.deepEqual(found.map((f) => `${f.kind} ${f.message}`), [], run.describe());
    });

    it('gives every finding a location', () => {
      const lost = run.report.findings.filter((f) => f.location === null || f.location === undefined);
      assert.deepEqual(lost.map((f) => `${f.kind} ${f.message}`), []);
    });
  });
}
