// A real NestJS 11 app under `perf-lens run`: feature modules (articles, profiles, users, tags),
// controllers with Nest route templates under a global `api` prefix, services with
// @InjectRepository(...) TypeORM repositories (@nestjs/typeorm), a CanActivate guard that verifies a
// JWT (callback API) and loads the user with one query, an interceptor that runs write handlers in
// `dataSource.transaction(...)`, a global exception filter, a pool of 2 connections under 8
// concurrent clients. TypeScript compiled by tsc to ES2015 (tslib __awaiter + generators, source
// maps). The same compiled app runs on the Express adapter and on the Fastify adapter
// (HTTP_ADAPTER=fastify). Its N+1s (a findOneBy loop, a RelationQueryBuilder loop, a lazy relation
// read in a loop, a findOneBy loop on the transaction's manager, a shared helper called from a
// for-loop in one service and a Promise.all fan-out in another) must land on the .ts lines marked
// `// @line:NAME`, with Nest's route templates as scopes and exact per-request counts; its
// one-query and eager-loading routes must give no N+1 finding.
const { describe, it, before, after } = require('node:test');
const path = require('node:path');
const jwt = require('jsonwebtoken');
const { ROOT } = require('../../helpers/cli');
const { startPostgres } = require('../../helpers/postgres');
const { profileApp, markerAt, concurrentClients, dbEnv, compileTypeScript, saveRun } = require('../../helpers/real-app');
const { whereIn, assertTslibOutput, itChecksTypeScriptAppRun, itSpeaksTheOrmAndCostsTheSeverity } = require('../../helpers/real-app-expectations');

const APP = path.join(ROOT, 'test', 'fixtures', 'real-apps', 'nest-typeorm');
const SRC = path.join(APP, 'src');
const { seed, VIEWER, POPULAR, COMMENTER, COMMENTED_ARTICLE, QUIET_ARTICLE } = require(path.join(APP, 'seed.js'));

const JWT_SECRET = 'nest-typeorm-secret';
const TIMES = 10; // requests per route and run

const src = (rel) => path.join(SRC, rel);
const at = (rel, name) => markerAt(src(rel), name);
const where = whereIn(SRC);

const ARTICLES_SVC = 'articles/articles.service.ts';
const COMMENTS_SVC = 'articles/comments.service.ts';
const PROFILES_SVC = 'profiles/profiles.service.ts';
const TAGS_SVC = 'tags/tags.service.ts';

// Each N+1: where it must land, the "1" query before it, the worst request's count and route, and
// every route that shows it with its exact per-request count. `caller` (the loop line calling a
// shared helper) is set only where the call site has 2+ distinct callers; otherwise null.
const EXPECTED = [
  {
    what: 'a repository findOneBy per article in a for-of loop',
    at: [ARTICLES_SVC, 'list-author'],
    one: [ARTICLES_SVC, 'list-articles'],
    count: 20,
    scope: 'GET /api/articles',
    routes: [{ scope: 'GET /api/articles', count: 20, caller: null }],
  },
  {
    what: 'a RelationQueryBuilder loadMany per article, behind the JWT guard',
    at: [ARTICLES_SVC, 'feed-tags'],
    one: [ARTICLES_SVC, 'feed-articles'],
    count: 10,
    scope: 'GET /api/articles/feed',
    routes: [{ scope: 'GET /api/articles/feed', count: 10, caller: null }],
  },
  {
    what: 'a lazy relation (Promise<Article>) awaited per comment',
    at: [PROFILES_SVC, 'user-comments-article'],
    one: [PROFILES_SVC, 'user-comments-list'],
    count: 12,
    scope: 'GET /api/profiles/:username/comments',
    routes: [{ scope: 'GET /api/profiles/:username/comments', count: 12, caller: null }],
  },
  {
    what: 'a findOneBy per tag on the manager of the transaction the interceptor opened',
    at: [ARTICLES_SVC, 'create-tag'],
    one: [ARTICLES_SVC, 'create-slug'],
    count: 5,
    scope: 'POST /api/articles',
    routes: [{ scope: 'POST /api/articles', count: 5, caller: null }],
  },
  {
    what: 'a shared helper (ProfilesService.profileOf) called from a for-loop in CommentsService and a Promise.all map in ProfilesService',
    at: [PROFILES_SVC, 'profile-followers'],
    one: [COMMENTS_SVC, 'comments-list'],
    count: 15,
    scope: 'GET /api/articles/:slug/comments',
    routes: [
      { scope: 'GET /api/articles/:slug/comments', count: 15, caller: [COMMENTS_SVC, 'comments-loop'] },
      { scope: 'GET /api/profiles/:username/followers', count: 6, caller: [PROFILES_SVC, 'followers-loop'] },
    ],
  },
];

// Routes that run one query, or a fixed few different ones, per request (eager: relations / joins).
const CLEAN_ROUTES = [
  'GET /api/user',
  'GET /api/tags',
  'GET /api/tags/:tag/articles',
  'GET /api/articles/:slug',
  'GET /api/profiles/:username',
  'POST /api/articles/:slug/comments',
];

// Every route template and its queries per request, counted independently (TypeORM's query log,
// one request at a time): the POSTs include the guard's lookup, START TRANSACTION and COMMIT.
const QUERIES_PER_REQUEST = {
  'GET /api/articles': 21,
  'GET /api/articles/feed': 13,
  'GET /api/profiles/:username/comments': 14,
  'POST /api/articles': 11,
  'GET /api/articles/:slug/comments': 17,
  'GET /api/profiles/:username/followers': 8,
  'GET /api/user': 1,
  'GET /api/tags': 1,
  'GET /api/tags/:tag/articles': 1,
  'GET /api/articles/:slug': 2,
  'GET /api/profiles/:username': 2,
  'POST /api/articles/:slug/comments': 5,
};

// Query lines that run once per request: never an N+1.
const ONCE_PER_REQUEST = [
  ['auth/auth.guard.ts', 'auth-user'],
  [ARTICLES_SVC, 'list-articles'],
  [ARTICLES_SVC, 'feed-follows'],
  [ARTICLES_SVC, 'feed-articles'],
  [ARTICLES_SVC, 'get-article'],
  [ARTICLES_SVC, 'create-slug'],
  [ARTICLES_SVC, 'create-save'],
  [COMMENTS_SVC, 'comments-article'],
  [COMMENTS_SVC, 'comments-list'],
  [COMMENTS_SVC, 'add-comment-article'],
  [COMMENTS_SVC, 'add-comment-save'],
  [PROFILES_SVC, 'profile-user'],
  [PROFILES_SVC, 'followers-list'],
  [PROFILES_SVC, 'user-comments-list'],
  [TAGS_SVC, 'tags-list'],
  [TAGS_SVC, 'tag-articles'],
];

let runs = 0;
function requestPlan() {
  const run = ++runs; // article titles (→ slugs) must be new in every run: the POST rejects a taken slug
  const auth = { authorization: `Token ${jwt.sign({ id: VIEWER.id, username: VIEWER.username }, JWT_SECRET)}` };
  const bearer = { authorization: `Bearer ${jwt.sign({ id: VIEWER.id, username: VIEWER.username }, JWT_SECRET)}` };
  const tagList = ['nestjs', 'orm', 'postgres', 'performance', 'typescript'];
  const plan = [];
  // interleaved: concurrent requests of different routes overlap
  for (let i = 0; i < TIMES; i++) {
    plan.push(
      { path: '/api/articles' },
      { path: '/api/articles/feed', headers: auth },
      { path: `/api/profiles/${COMMENTER.username}/comments` },
      { method: 'POST', path: '/api/articles', headers: bearer, body: { article: { title: `Profiling Nest apps, run ${run} #${i}`, description: 'N+1s', body: 'Repositories in loops.', tagList } } },
      { path: `/api/articles/${COMMENTED_ARTICLE.slug}/comments` },
      { path: `/api/profiles/${POPULAR.username}/followers` },
      { path: '/api/user', headers: auth },
      { path: '/api/tags' },
      { path: '/api/tags/typescript/articles' },
      { path: `/api/articles/${COMMENTED_ARTICLE.slug}` },
      { path: `/api/profiles/${POPULAR.username}` },
      { method: 'POST', path: `/api/articles/${QUIET_ARTICLE.slug}/comments`, headers: auth, body: { comment: { body: `Thanks! (${run}.${i})` } } },
    );
  }
  return plan.map((r) => ({ ...r, times: 1 }));
}

let pg;
before(async () => {
  [pg] = await Promise.all([startPostgres({ database: 'conduit' }), compileTypeScript(APP, 'tsconfig.json', 'dist')]);
  await seed(pg.connectionString);
});
after(async () => {
  if (pg) await pg.stop();
});

it('compiles every async function to tslib __awaiter + generators (ES2015), with source maps', () => {
  for (const rel of [ARTICLES_SVC, COMMENTS_SVC, PROFILES_SVC, TAGS_SVC, 'auth/auth.guard.ts', 'common/transaction.interceptor.ts', 'articles/articles.controller.ts']) {
    assertTslibOutput(path.join(APP, 'dist', rel.replace(/\.ts$/, '.js')), /function\* \(/);
  }
});

/** Profiles dist/main.js on `adapter` under `concurrency` clients. */
async function profile({ adapter, concurrency }) {
  await seed(pg.connectionString);
  const run = await profileApp({
    entry: path.join(APP, 'dist', 'main.js'),
    root: APP,
    concurrency,
    env: { HTTP_ADAPTER: adapter, ...dbEnv(pg), DB_POOL_MAX: '2', JWT_SECRET },
    requests: requestPlan(),
  });
  // to look at the reports: NEST_TYPEORM_REPORTS=/some/dir node --test …
  if (process.env.NEST_TYPEORM_REPORTS) saveRun(process.env.NEST_TYPEORM_REPORTS, `${adapter}-c${concurrency}`, run);
  return run;
}

/** Registers the assertions on the run `get()` returns. */
const assertFindings = (get) => {
  itSpeaksTheOrmAndCostsTheSeverity(get, { speaks: [{ orm: /^typeorm$/, fix: /leftJoinAndSelect/ }] });
  itChecksTypeScriptAppRun(get, {
  expected: EXPECTED, times: TIMES, at, where, src: SRC,
  oncePerRequest: ONCE_PER_REQUEST, cleanRoutes: CLEAN_ROUTES, queriesPerRequest: QUERIES_PER_REQUEST,
  authLookup: 'the guard’s user lookup', routeTemplate: 'Nest route template',
  });
};

for (const adapter of ['express', 'fastify']) {
  describe(`NestJS 11 on @nestjs/platform-${adapter} + TypeORM 1.x (@nestjs/typeorm), tsc ES2015`, () => {
    for (const concurrency of [8, 1]) {
      describe(`${concurrentClients(concurrency)}, pool of 2`, () => {
        let run;
        before(async () => {
          run = await profile({ adapter, concurrency });
        });
        assertFindings(() => run);
      });
    }
  });
}
