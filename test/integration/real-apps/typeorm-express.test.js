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
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { promisify } = require('node:util');
const jwt = require('jsonwebtoken');
const { ROOT } = require('../../helpers/cli');
const { startPostgres } = require('../../helpers/postgres');
const { profileApp, lineOf } = require('../../helpers/real-app');

const APP = path.join(ROOT, 'test', 'fixtures', 'real-apps', 'typeorm-express');
const SRC = path.join(APP, 'src');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const { seed, VIEWER, POPULAR, COMMENTED_POST, CATEGORIES } = require(path.join(APP, 'seed.js'));

const JWT_SECRET = 'typeorm-express-secret';
const TIMES = 10; // requests per route and run

const src = (rel) => path.join(SRC, rel);
const at = (rel, name) => ({ file: src(rel), line: lineOf(src(rel), name) });
const where = (loc) => (loc ? `${path.relative(SRC, loc.file)}:${loc.line}` : 'null');

const POST_SVC = 'services/post.service.ts';
const PROFILE_SVC = 'services/profile.service.ts';
const COMMENT_SVC = 'services/comment.service.ts';
const CATEGORY_SVC = 'services/category.service.ts';

// Each N+1: where it must land, the "1" query before it, the worst request's count and route, and
// every route that shows it with its exact per-request count (and the loop line calling a helper).
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

const tsc = promisify(execFile);

let pg;
before(async () => {
  const compile = async (tsconfig, outDir) => {
    fs.rmSync(path.join(APP, outDir), { recursive: true, force: true });
    await tsc(process.execPath, [TSC, '-p', path.join(APP, tsconfig)], { cwd: APP }).catch((err) => {
      throw new Error(`tsc -p ${tsconfig} failed:\n${err.stdout}\n${err.stderr}`);
    });
  };
  [pg] = await Promise.all([startPostgres({ database: 'blog' }), compile('tsconfig.json', 'dist'), compile('tsconfig.es5.json', 'dist-es5')]);
  await seed(pg.connectionString);
});
after(async () => {
  if (pg) await pg.stop();
});

it('compiles every async function to tslib __awaiter + generators (ES2015) or __generator (ES5), with source maps', () => {
  for (const rel of [POST_SVC, PROFILE_SVC, COMMENT_SVC, CATEGORY_SVC, 'middleware/auth.ts']) {
    for (const [dist, generator] of [['dist', /function\* \(/], ['dist-es5', /tslib_1\.__generator\(/]]) {
      const js = path.join(APP, dist, rel.replace(/\.ts$/, '.js'));
      const code = fs.readFileSync(js, 'utf8');
      assert.match(code, /tslib_1\.__awaiter\(/, js);
      assert.match(code, generator, js);
      assert.doesNotMatch(code, /\basync\b|\bawait\b/, `${js} still has native async functions`);
      assert.match(code, /\/\/# sourceMappingURL=.*\.js\.map/, js);
      assert.ok(fs.existsSync(`${js}.map`), `${js}.map`);
    }
  }
});

/** Profiles dist/main.js (or dist-es5/main.js) under `concurrency` clients; node: extra node args. */
async function profile({ concurrency, dist = 'dist', node = [] }) {
  const run = await profileApp({
    entry: path.join(APP, dist, 'main.js'),
    root: APP,
    node,
    concurrency,
    env: {
      DB_HOST: pg.host,
      DB_PORT: String(pg.port),
      DB_USER: pg.user,
      DB_PASSWORD: pg.password,
      DB_NAME: pg.database,
      DB_POOL_MAX: '2',
      JWT_SECRET,
    },
    requests: requestPlan(),
  });
  // to look at the reports: TYPEORM_EXPRESS_REPORTS=/some/dir node --test …
  const dump = process.env.TYPEORM_EXPRESS_REPORTS;
  if (dump) {
    const name = `${dist}-c${concurrency}${node.length ? `-${path.basename(node[node.length - 1], '.js').replace(/^use-/, '')}` : ''}`;
    fs.writeFileSync(path.join(dump, `report-${name}.json`), JSON.stringify(run.report, null, 2));
    fs.writeFileSync(path.join(dump, `cli-${name}.txt`), `${run.cli.stdout}\n--- stderr\n${run.cli.stderr}`);
  }
  return run;
}

/** Registers the assertions on the run `get()` returns. */
function assertFindings(get) {
  for (const e of EXPECTED) {
    it(`${e.what}: ${e.at[1]} ×${e.count} in ${e.scope}`, () => {
      const run = get();
      const loc = at(...e.at);
      const found = run.findingsAt(loc.file, loc.line, 'n-plus-one');
      assert.equal(found.length, 1, `one n-plus-one finding at ${where(loc)}; findings:\n${run.describe()}`);
      const f = found[0];
      assert.ok(f.related.length > 0, 'the finding has related locations');
      assert.equal(where(f.related[0].location), where(at(...e.one)), `the "1" query: ${JSON.stringify(f.related[0])}`);
      assert.equal(f.data.count, e.count, 'repeats in the worst request');
      assert.equal(f.data.scope, e.scope, 'the worst request’s route');
      assert.equal(f.data.scopes, TIMES * e.routes.length, 'requests that showed it');
      assert.ok(Array.isArray(f.data.routes), `data.routes: ${JSON.stringify(f.data.routes)}`);
      const actual = f.data.routes
        .map((r) => ({ scope: r.scope, requests: r.requests, count: r.count, minCount: r.minCount, caller: r.caller ? where(r.caller) : null }))
        .sort((a, b) => a.scope.localeCompare(b.scope));
      const expected = e.routes
        .map((r) => ({
          scope: r.scope,
          requests: TIMES,
          count: r.count,
          minCount: r.count,
          // a loop that calls a helper is the caller; where the call site is the loop itself, any (see the locations test)
          caller: r.caller ? where(at(...r.caller)) : (actual.find((a) => a.scope === r.scope)?.caller ?? null),
        }))
        .sort((a, b) => a.scope.localeCompare(b.scope));
      assert.deepEqual(actual, expected, 'data.routes');
    });
  }

  it('no other n-plus-one finding: none on the auth lookup, the one-query routes or the eager routes', () => {
    const run = get();
    const expected = EXPECTED.map((e) => where(at(...e.at))).sort();
    const actual = run.nPlusOne().map((f) => where(f.location)).sort();
    assert.deepEqual(actual, expected, run.describe());
    for (const [rel, name] of ONCE_PER_REQUEST) {
      const loc = at(rel, name);
      assert.deepEqual(run.findingsAt(loc.file, loc.line, 'n-plus-one'), [], `${name} runs once per request`);
    }
    for (const f of run.nPlusOne()) {
      const scopes = [f.data.scope, ...(f.data.routes ?? []).map((r) => r.scope)];
      for (const clean of CLEAN_ROUTES) assert.ok(!scopes.includes(clean), `${clean} shows up in ${where(f.location)}`);
    }
  });

  it('reports every request under its route template with its exact queries per request', () => {
    const routes = get().report.figures.routes;
    const actual = Object.fromEntries(Object.entries(routes).map(([name, r]) => [name, { requests: r.requests, queriesPerRequest: r.queriesPerRequest }]));
    const expected = Object.fromEntries(Object.entries(QUERIES_PER_REQUEST).map(([name, n]) => [name, { requests: TIMES, queriesPerRequest: n }]));
    assert.deepEqual(actual, expected);
  });

  it('no finding without a location', () => {
    const run = get();
    const lost = run.report.findings.filter((f) => !f.location);
    assert.deepEqual(lost.map((f) => `${f.kind}: ${f.message}`), [], run.describe());
  });

  it('every location of the findings (call site, related, route callers) is a .ts line, mapped through the source maps', () => {
    const run = get();
    const bad = [];
    for (const f of run.report.findings) {
      const locs = [
        ['location', f.location],
        ...f.related.map((r) => [`related "${r.message.slice(0, 60)}"`, r.location]),
        ...(f.data.routes ?? []).map((r) => [`routes[${r.scope}].caller`, r.caller]),
      ];
      for (const [what, loc] of locs) {
        if (loc && !(loc.file.startsWith(SRC + path.sep) && loc.file.endsWith('.ts'))) bad.push(`${where(f.location)} ${what}: ${loc.file}:${loc.line}`);
      }
    }
    assert.deepEqual(bad, []);
  });
}

describe('Express 4 + TypeORM 1.x, tsc ES2015 (__awaiter + function*)', () => {
  for (const concurrency of [8, 1]) {
    describe(`${concurrency} concurrent client${concurrency > 1 ? 's' : ''}, pool of 2`, () => {
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
