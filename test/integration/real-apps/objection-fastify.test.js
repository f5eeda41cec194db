// A real Fastify 5 + Objection 3 (knex 3, pg) app under `perf-lens run`: plugins per resource,
// a JWT onRequest hook that loads the user once per request, a transaction per write request
// opened in a preHandler hook, a knex pool of 2 against 8 concurrent clients (and 1).
// Every N+1 must land on the app's own line with its "1" query, its exact per-request count
// and the Fastify route template; the one-query and eager-loading routes must show none.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const jwt = require('jsonwebtoken');
const { startPostgres } = require('../../helpers/postgres');
const { profileApp, markerAt } = require('../../helpers/real-app');
const { whereIn, itChecksAppRunAllAtOnce, itSpeaksTheOrmAndCostsTheSeverity } = require('../../helpers/real-app-expectations');

const APP = path.join(__dirname, '..', '..', 'fixtures', 'real-apps', 'objection-fastify');
const { seed } = require(path.join(APP, 'seed.js'));
const file = (rel) => path.join(APP, rel);
const SECRET = 'taskboard-test-secret';
const TIMES = 10; // requests per route

const PROJECT_SERVICE = file('services/project-service.js');
const TASK_SERVICE = file('services/task-service.js');
const LABEL_SERVICE = file('services/label-service.js');
const PROJECTS_CTRL = file('controllers/projects.js');
const PROFILES_CTRL = file('controllers/profiles.js');
const at = markerAt;

let pg;
let facts;
let token;
before(async () => {
  pg = await startPostgres({ database: 'taskboard' });
  facts = await seed(pg.connectionString);
  token = jwt.sign({ id: facts.aliceId, username: 'alice-0a1b2c' }, SECRET, { expiresIn: '1h' });
});
after(async () => {
  if (pg) await pg.stop();
});

/** The load: every route TIMES times, interleaved, with route params that vary. */
function plan() {
  const auth = { authorization: `Token ${token}` };
  const p = facts.projects;
  const u = facts.assignees;
  const requests = [];
  for (let i = 0; i < TIMES; i++) {
    requests.push(
      { path: '/api/user', headers: auth },
      { path: '/api/tags' },
      { path: '/api/projects', headers: auth },
      { path: `/api/projects/${p[i % p.length]}`, headers: auth },
      { path: `/api/projects/${p[(i + 1) % p.length]}/tasks`, headers: auth },
      { path: `/api/projects/${p[(i + 2) % p.length]}/board`, headers: auth },
      { path: `/api/projects/${p[(i + 3) % p.length]}/stats`, headers: auth },
      { path: `/api/profiles/${u[i % u.length]}/tasks`, headers: auth },
      { path: `/api/profiles/${u[(i + 1) % u.length]}`, headers: auth },
      {
        method: 'POST',
        path: `/api/projects/${facts.sandbox}/tasks`,
        headers: auth,
        body: { task: { title: `write ${i}`, labels: ['triage', 'backend', 'perf', 'p1', 'q3', 'api'] } },
      },
      { method: 'PATCH', path: `/api/tasks/${facts.sandboxTaskId}`, headers: auth, body: { task: { status: ['open', 'doing', 'done'][i % 3] } } },
    );
  }
  return requests;
}

/**
 * The N+1s the app has, each with its "1" query and exact count per request of each route; caller:
 * the loop line above the call site, stated where 2+ callers share it.
 */
function expectedNPlusOnes() {
  return [
    {
      what: 'for…of $relatedQuery loop in the projects service',
      at: at(PROJECT_SERVICE, 'projects-tasks-loop'),
      one: at(PROJECT_SERVICE, 'projects-list'),
      scope: 'GET /api/projects',
      routes: [{ scope: 'GET /api/projects', count: facts.projectCount }],
    },
    {
      what: 'Promise.all fan-out of $relatedQuery(assignee)',
      at: at(TASK_SERVICE, 'assignee-fanout'),
      one: at(TASK_SERVICE, 'project-tasks'),
      scope: 'GET /api/projects/:slug/tasks',
      routes: [{ scope: 'GET /api/projects/:slug/tasks', count: facts.tasksPerProject }],
    },
    {
      what: 'knex.raw in a loop',
      at: at(TASK_SERVICE, 'label-count-raw'),
      one: at(TASK_SERVICE, 'project-tasks'),
      scope: 'GET /api/projects/:slug/stats',
      routes: [{ scope: 'GET /api/projects/:slug/stats', count: facts.tasksPerProject }],
    },
    {
      what: 'shared knex-builder helper called from two routes’ loops',
      at: at(LABEL_SERVICE, 'labels-helper'),
      one: at(PROFILES_CTRL, 'profile-tasks'), // the worst request is a profile one (20 > 15)
      scope: 'GET /api/profiles/:username/tasks',
      routes: [
        { scope: 'GET /api/profiles/:username/tasks', count: facts.tasksPerAssignee, caller: at(PROFILES_CTRL, 'profile-labels-loop') },
        { scope: 'GET /api/projects/:slug/board', count: facts.tasksPerProject, caller: at(PROJECTS_CTRL, 'board-labels-loop') },
      ],
    },
    {
      what: 'insert loop inside the request transaction (opened in a preHandler hook)',
      at: at(TASK_SERVICE, 'label-insert'),
      one: at(TASK_SERVICE, 'task-insert'),
      scope: 'POST /api/projects/:slug/tasks',
      routes: [{ scope: 'POST /api/projects/:slug/tasks', count: 6 }],
    },
  ];
}

/** Lines that run a fixed number of times per request: never an N+1. */
function cleanLines() {
  return [
    at(file('plugins/auth.js'), 'auth-user'),
    at(file('controllers/tags.js'), 'tags-list'),
    at(PROJECT_SERVICE, 'project-graph'),
    at(PROJECT_SERVICE, 'project-by-slug'),
    at(PROJECT_SERVICE, 'projects-list'),
    at(TASK_SERVICE, 'project-tasks'),
    at(TASK_SERVICE, 'task-insert'),
    at(TASK_SERVICE, 'task-patch'),
    at(PROFILES_CTRL, 'profile-user'),
    at(PROFILES_CTRL, 'profile-tasks'),
  ];
}

const CLEAN_ROUTES = ['GET /api/user', 'GET /api/tags', 'GET /api/projects/:slug', 'GET /api/profiles/:username', 'PATCH /api/tasks/:id'];

const where = whereIn(APP);


/** Objection's models speak withGraphFetched; the label helpers call knex directly and speak whereIn. */
const OBJECTION_SPEAKS = {
  speaks: [{ orm: 'objection', fix: /withGraphFetched\('relation'\)/ }, { orm: 'knex', fix: /\.whereIn\('task_id', ids\)|\(knex: \.insert\(\[rows\]\)\)/ }],
  lines: [
    { ...at(TASK_SERVICE, 'label-count-raw'), orm: 'knex' },
    { ...at(LABEL_SERVICE, 'labels-helper'), orm: 'knex' },
    { ...at(TASK_SERVICE, 'label-insert'), orm: 'knex' },
  ],
};

for (const concurrency of [8, 1]) {
  describe(`objection-fastify, ${concurrency} concurrent client(s), knex pool max 2`, () => {
    let run;
    itSpeaksTheOrmAndCostsTheSeverity(() => run, OBJECTION_SPEAKS);
    before(async () => {
      run = await profileApp({
        entry: file('server.js'),
        env: { DATABASE_URL: pg.connectionString, JWT_SECRET: SECRET, DB_POOL_MAX: '2' },
        concurrency,
        requests: plan(),
        timeoutMs: 60_000,
      });
      if (process.env.SHOW_FINDINGS) console.log(`${concurrency} client(s):\n${run.describe()}`);
    });

    it('sent every request with a 2xx reply', () => {
      assert.equal(run.load.sent, 11 * TIMES);
    });

    itChecksAppRunAllAtOnce(() => run, {
      names: ['projects-tasks-loop', 'assignee-fanout', 'label-count-raw', 'labels-helper', 'label-insert'],
      expected: expectedNPlusOnes, cleanLines, cleanRoutes: CLEAN_ROUTES, authLine: at(file('plugins/auth.js'), 'auth-user'), times: TIMES, where,
      eagerRoutes: 'the eager withGraphFetched route', authLookup: "the auth hook's user lookup",
    });
  });
}
