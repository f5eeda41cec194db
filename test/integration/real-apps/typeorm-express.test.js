// A real TypeScript app under `perf-lens run`: Express 4 + TypeORM on PostgreSQL, compiled by tsc
// to ES2015 with tslib's __awaiter + generators and source maps, nested routers, a JWT auth
// middleware that loads the user through TypeORM, a QueryRunner transaction per write request,
// a pool of 2 connections under 8 concurrent clients. Its N+1s (a findOneBy loop, a lazy relation
// read in a loop, a QueryBuilder in a loop, a loop inside a transaction, a shared helper called from
// a for-loop in one route and a Promise.all fan-out in another) must land on the .ts lines marked
// `// @line:NAME`, with the route templates as scopes and exact per-request counts; its one-query
// and eager-loading routes must give no N+1 finding. The same app also runs compiled to ES5
// (__generator state machines) and, compiled to ES2015, on TypeORM 0.3 (the `typeorm03` alias,
// swapped in by a preload) and on TypeORM 0.2 (the `typeorm02` alias, whose own build is ES5 with
// tslib's __awaiter/__generator; 0.2 has no DataSource, findOneBy/findBy/countBy or `relations`
// objects, so its preload gives the app those few 0.3 APIs through compat/node_modules/, a library
// to the app). Per-request queries on 0.2, counted at node-postgres per request (AsyncLocalStorage),
// one at a time and 8 at once: the same as on 1.x.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const jwt = require('jsonwebtoken');
const { ROOT } = require('../../helpers/cli');
const { startPostgres } = require('../../helpers/postgres');
const { profileApp, markerAt, concurrentClients, dbEnv, compileTypeScript, saveRun } = require('../../helpers/real-app');
const { whereIn, assertTslibOutput, itChecksTypeScriptAppRun, itSpeaksTheOrmAndCostsTheSeverity } = require('../../helpers/real-app-expectations');

const APP = path.join(ROOT, 'test', 'fixtures', 'real-apps', 'typeorm-express');
const SRC = path.join(APP, 'src');
const { seed, VIEWER, POPULAR, COMMENTED_POST, CATEGORIES } = require(path.join(APP, 'seed.js'));

const JWT_SECRET = 'typeorm-express-secret';
const TIMES = 10; // requests per route and run

const src = (rel) => path.join(SRC, rel);
const at = (rel, name) => markerAt(src(rel), name);
const where = whereIn(SRC);

const POST_SVC = 'services/post.service.ts';
const PROFILE_SVC = 'services/profile.service.ts';
const COMMENT_SVC = 'services/comment.service.ts';
const CATEGORY_SVC = 'services/category.service.ts';

// Each N+1: where it must land, the "1" query before it, the worst request's count and route, and
// every route that shows it with its exact per-request count (and the loop line calling a helper).
// A route with no `caller` takes any: where the call site is the loop itself, see the locations test.
const EXPECTED = [
  {
    what: 'a findOneBy per post in a for-of loop',
    at: [POST_SVC, 'list-author'],
    one: [POST_SVC, 'list-posts'],
    count: 20,
    scope: 'GET /api/posts',
    routes: [{ scope: 'GET /api/posts', count: 20 }],
  },
  {
    what: 'a lazy relation (Promise<Category>) awaited per post, behind the JWT auth middleware',
    at: [POST_SVC, 'feed-category'],
    one: [POST_SVC, 'feed-posts'],
    count: 10,
    scope: 'GET /api/posts/feed',
    routes: [{ scope: 'GET /api/posts/feed', count: 10 }],
  },
  {
    what: 'a QueryBuilder getMany per post',
    at: [CATEGORY_SVC, 'category-comments'],
    one: [CATEGORY_SVC, 'category-posts'],
    count: 8,
    scope: 'GET /api/categories/:slug/posts',
    routes: [{ scope: 'GET /api/categories/:slug/posts', count: 8 }],
  },
  {
    what: 'a findOneBy per tag on the transaction manager opened by a middleware',
    at: [POST_SVC, 'create-tag'],
    one: [POST_SVC, 'create-category'],
    count: 5,
    scope: 'POST /api/posts',
    routes: [{ scope: 'POST /api/posts', count: 5 }],
  },
  {
    what: 'a shared helper (countBy) called from a for-loop in one route and a Promise.all map in another',
    at: [PROFILE_SVC, 'profile-followers'],
    one: [COMMENT_SVC, 'comments-list'],
    count: 15,
    scope: 'GET /api/posts/:slug/comments',
    routes: [
      { scope: 'GET /api/posts/:slug/comments', count: 15, caller: [COMMENT_SVC, 'comments-loop'] },
      { scope: 'GET /api/profiles/:username/followers', count: 6, caller: [PROFILE_SVC, 'followers-loop'] },
    ],
  },
];

// Routes that run one query, or a fixed few different ones, per request.
const CLEAN_ROUTES = [
  'GET /api/user',
  'GET /api/tags',
  'GET /api/categories',
  'GET /api/posts/latest',
  'GET /api/posts/:slug',
  'GET /api/profiles/:username',
];

// Every route template and its queries per request, counted independently (TypeORM's query log,
// per request): the POST's include START TRANSACTION and the COMMIT run on the response's 'finish'.
const QUERIES_PER_REQUEST = {
  'GET /api/posts': 21,
  'GET /api/posts/feed': 13,
  'GET /api/categories/:slug/posts': 10,
  'POST /api/posts': 11,
  'GET /api/posts/:slug/comments': 17,
  'GET /api/profiles/:username/followers': 8,
  'GET /api/user': 1,
  'GET /api/tags': 1,
  'GET /api/categories': 1,
  'GET /api/posts/latest': 2,
  'GET /api/posts/:slug': 2,
  'GET /api/profiles/:username': 2,
};

// Query lines that run once per request: never an N+1.
const ONCE_PER_REQUEST = [
  ['middleware/auth.ts', 'auth-user'],
  [POST_SVC, 'list-posts'],
  [POST_SVC, 'latest-posts'],
  [POST_SVC, 'get-post'],
  [POST_SVC, 'feed-follows'],
  [POST_SVC, 'feed-posts'],
  [POST_SVC, 'create-category'],
  [POST_SVC, 'create-save'],
  [PROFILE_SVC, 'profile-user'],
  [PROFILE_SVC, 'followers-user'],
  [PROFILE_SVC, 'followers-list'],
  [COMMENT_SVC, 'comments-post'],
  [COMMENT_SVC, 'comments-list'],
  [CATEGORY_SVC, 'categories-list'],
  [CATEGORY_SVC, 'category-find'],
  [CATEGORY_SVC, 'category-posts'],
  ['services/tag.service.ts', 'tags-list'],
];

function requestPlan() {
  const auth = { authorization: `Token ${jwt.sign({ id: VIEWER.id, username: VIEWER.username }, JWT_SECRET)}` };
  const category = CATEGORIES[1][1];
  const newPost = {
    post: { title: 'Profiling TypeORM apps', body: 'Lazy relations are queries.', category, tags: ['typescript', 'orm', 'postgres', 'performance', 'node'] },
  };
  const routes = [
    { path: '/api/posts' },
    { path: '/api/posts/feed', headers: auth },
    { path: `/api/categories/${category}/posts` },
    { method: 'POST', path: '/api/posts', headers: auth, body: newPost },
    { path: `/api/posts/${COMMENTED_POST.slug}/comments` },
    { path: `/api/profiles/${POPULAR.username}/followers` },
    { path: '/api/user', headers: auth },
    { path: '/api/tags' },
    { path: '/api/categories' },
    { path: '/api/posts/latest' },
    { path: `/api/posts/${COMMENTED_POST.slug}` },
    { path: `/api/profiles/${POPULAR.username}` },
  ];
  // interleaved: concurrent requests of different routes overlap
  const plan = [];
  for (let i = 0; i < TIMES; i++) plan.push(...routes.map((r) => ({ ...r, times: 1 })));
  return plan;
}

let pg;
before(async () => {
  [pg] = await Promise.all([
    startPostgres({ database: 'blog' }),
    compileTypeScript(APP, 'tsconfig.json', 'dist'),
    compileTypeScript(APP, 'tsconfig.es5.json', 'dist-es5'),
  ]);
  await seed(pg.connectionString);
});
after(async () => {
  if (pg) await pg.stop();
});

it('compiles every async function to tslib __awaiter + generators (ES2015) or __generator (ES5), with source maps', () => {
  for (const rel of [POST_SVC, PROFILE_SVC, COMMENT_SVC, CATEGORY_SVC, 'middleware/auth.ts']) {
    for (const [dist, generator] of [['dist', /function\* \(/], ['dist-es5', /tslib_1\.__generator\(/]]) {
      assertTslibOutput(path.join(APP, dist, rel.replace(/\.ts$/, '.js')), generator);
    }
  }
});

/** Profiles dist/main.js (or dist-es5/main.js) under `concurrency` clients; node: extra node args. */
async function profile({ concurrency, dist = 'dist', node = [] }) {
  await seed(pg.connectionString);
  const run = await profileApp({
    entry: path.join(APP, dist, 'main.js'),
    root: APP,
    node,
    concurrency,
    env: { ...dbEnv(pg), DB_POOL_MAX: '2', JWT_SECRET },
    requests: requestPlan(),
  });
  // to look at the reports: TYPEORM_EXPRESS_REPORTS=/some/dir node --test …
  const dump = process.env.TYPEORM_EXPRESS_REPORTS;
  if (dump) {
    const name = `${dist}-c${concurrency}${node.length ? `-${path.basename(node[node.length - 1], '.js').replace(/^use-/, '')}` : ''}`;
    saveRun(dump, name, run);
  }
  return run;
}

/** Registers the assertions on the run `get()` returns. */
const assertFindings = (get) => {
  itSpeaksTheOrmAndCostsTheSeverity(get, { speaks: [{ orm: /^typeorm(0[23])?$/, fix: /leftJoinAndSelect/ }] });
  itChecksTypeScriptAppRun(get, {
  expected: EXPECTED, times: TIMES, at, where, src: SRC,
  oncePerRequest: ONCE_PER_REQUEST, cleanRoutes: CLEAN_ROUTES, queriesPerRequest: QUERIES_PER_REQUEST,
  authLookup: 'the auth lookup', routeTemplate: 'route template',
  });
};

describe('Express 4 + TypeORM 1.x, tsc ES2015 (__awaiter + function*)', () => {
  for (const concurrency of [8, 1]) {
    describe(`${concurrentClients(concurrency)}, pool of 2`, () => {
      let run;
      before(async () => {
        run = await profile({ concurrency });
      });
      assertFindings(() => run);
    });
  }
});

describe('Express 4 + TypeORM 1.x, tsc ES5 (__awaiter + __generator state machines), 8 concurrent clients', () => {
  let run;
  before(async () => {
    run = await profile({ concurrency: 8, dist: 'dist-es5' });
  });
  assertFindings(() => run);
});

describe('the same ES2015 app on TypeORM 0.3 (typeorm03), 8 concurrent clients', () => {
  let run;
  before(async () => {
    run = await profile({ concurrency: 8, node: ['-r', path.join(APP, 'use-typeorm03.js')] });
  });
  assertFindings(() => run);
});

describe('the same ES2015 app on TypeORM 0.2 (typeorm02, its own build ES5 with __awaiter), 8 concurrent clients', () => {
  let run;
  before(async () => {
    assert.match(require('typeorm02/package.json').version, /^0\.2\./);
    run = await profile({ concurrency: 8, node: ['-r', path.join(APP, 'use-typeorm02.js')] });
  });
  it('ran on TypeORM 0.2 (the compat layer says which TypeORM it loaded)', () => {
    assert.match(run.cli.stdout, /^typeorm 0\.2\.\d+ \(typeorm02\) through the 0\.3 API compat layer$/m);
  });
  assertFindings(() => run);
});
