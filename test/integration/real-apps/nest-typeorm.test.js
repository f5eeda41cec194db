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
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { promisify } = require('node:util');
const jwt = require('jsonwebtoken');
const { ROOT } = require('../../helpers/cli');
const { startPostgres } = require('../../helpers/postgres');
const { profileApp, lineOf } = require('../../helpers/real-app');

const APP = path.join(ROOT, 'test', 'fixtures', 'real-apps', 'nest-typeorm');
const SRC = path.join(APP, 'src');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const { seed, VIEWER, POPULAR, COMMENTER, COMMENTED_ARTICLE, QUIET_ARTICLE } = require(path.join(APP, 'seed.js'));

const JWT_SECRET = 'nest-typeorm-secret';
const TIMES = 10; // requests per route and run

const src = (rel) => path.join(SRC, rel);
const at = (rel, name) => ({ file: src(rel), line: lineOf(src(rel), name) });
const where = (loc) => (loc ? `${path.relative(SRC, loc.file)}:${loc.line}` : 'null');

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
    routes: [{ scope: 'GET /api/articles', count: 20 }],
  },
  {
    what: 'a RelationQueryBuilder loadMany per article, behind the JWT guard',
    at: [ARTICLES_SVC, 'feed-tags'],
    one: [ARTICLES_SVC, 'feed-articles'],
    count: 10,
    scope: 'GET /api/articles/feed',
    routes: [{ scope: 'GET /api/articles/feed', count: 10 }],
  },
  {
    what: 'a lazy relation (Promise<Article>) awaited per comment',
    at: [PROFILES_SVC, 'user-comments-article'],
    one: [PROFILES_SVC, 'user-comments-list'],
    count: 12,
    scope: 'GET /api/profiles/:username/comments',
    routes: [{ scope: 'GET /api/profiles/:username/comments', count: 12 }],
  },
  {
    what: 'a findOneBy per tag on the manager of the transaction the interceptor opened',
    at: [ARTICLES_SVC, 'create-tag'],
    one: [ARTICLES_SVC, 'create-slug'],
    count: 5,
    scope: 'POST /api/articles',
    routes: [{ scope: 'POST /api/articles', count: 5 }],
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

const tsc = promisify(execFile);

let pg;
before(async () => {
  const compile = async () => {
    fs.rmSync(path.join(APP, 'dist'), { recursive: true, force: true });
    await tsc(process.execPath, [TSC, '-p', path.join(APP, 'tsconfig.json')], { cwd: APP }).catch((err) => {
      throw new Error(`tsc failed:\n${err.stdout}\n${err.stderr}`);
    });
  };
  [pg] = await Promise.all([startPostgres({ database: 'conduit' }), compile()]);
  await seed(pg.connectionString);
});
after(async () => {
  if (pg) await pg.stop();
});

it('compiles every async function to tslib __awaiter + generators (ES2015), with source maps', () => {
  for (const rel of [ARTICLES_SVC, COMMENTS_SVC, PROFILES_SVC, TAGS_SVC, 'auth/auth.guard.ts', 'common/transaction.interceptor.ts', 'articles/articles.controller.ts']) {
    const js = path.join(APP, 'dist', rel.replace(/\.ts$/, '.js'));
    const code = fs.readFileSync(js, 'utf8');
    assert.match(code, /tslib_1\.__awaiter\(/, js);
    assert.match(code, /function\* \(/, js);
    assert.doesNotMatch(code, /\basync\b|\bawait\b/, `${js} still has native async functions`);
    assert.match(code, /\/\/# sourceMappingURL=.*\.js\.map/, js);
    assert.ok(fs.existsSync(`${js}.map`), `${js}.map`);
  }
});

/** Profiles dist/main.js on `adapter` under `concurrency` clients. */
async function profile({ adapter, concurrency }) {
  const run = await profileApp({
    entry: path.join(APP, 'dist', 'main.js'),
    root: APP,
    concurrency,
    env: {
      HTTP_ADAPTER: adapter,
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
  // to look at the reports: NEST_TYPEORM_REPORTS=/some/dir node --test …
  const dump = process.env.NEST_TYPEORM_REPORTS;
  if (dump) {
    const name = `${adapter}-c${concurrency}`;
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
        .map((r) => ({ scope: r.scope, requests: TIMES, count: r.count, minCount: r.count, caller: r.caller ? where(at(...r.caller)) : null }))
        .sort((a, b) => a.scope.localeCompare(b.scope));
      assert.deepEqual(actual, expected, 'data.routes');
    });
  }

  it('no other n-plus-one finding: none on the guard’s user lookup, the one-query routes or the eager routes', () => {
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

  it('reports every request under its Nest route template with its exact queries per request', () => {
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

for (const adapter of ['express', 'fastify']) {
  describe(`NestJS 11 on @nestjs/platform-${adapter} + TypeORM 1.x (@nestjs/typeorm), tsc ES2015`, () => {
    for (const concurrency of [8, 1]) {
      describe(`${concurrency} concurrent client${concurrency > 1 ? 's' : ''}, pool of 2`, () => {
        let run;
        before(async () => {
          run = await profile({ adapter, concurrency });
        });
        assertFindings(() => run);
      });
    }
  });
}
