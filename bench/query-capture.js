#!/usr/bin/env node
// Cost of query capture per query: the same workload in child processes with and without the
// agent (only its query probe on), runs interleaved so drift hits both alike. Prints the
// median time per query of each, the difference (the capture's cost) and the ratio.
//   node bench/query-capture.js [--runs 6] [--queries 20000] [--pg] [--redis] [--pin]
// SQLite in memory by default (low noise: a query costs a few µs), directly and through the
// knex query builder and the Bookshelf ORM (whose entry calls capture the app's frame, see
// src/agent/queries/entry-sites.ts); --pg adds node-postgres
// and a pg Pool of 2 with 8 queries in flight (the pool-wait capture: waits, gauges, handoffs)
// against a throw-away PostgreSQL (test/helpers/postgres.js); --redis adds ioredis and node-redis
// GETs (100 in flight at a time, so the client's CPU, not the round trip, sets the pace) against a
// throw-away redis-server (test/helpers/redis.js), whose goal is ≤ 5 µs per command. The agent is dist/agent.js
// (PERF_LENS_BENCH_AGENT overrides), the server dist/core.js.
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const agentPath = process.env.PERF_LENS_BENCH_AGENT || path.join(root, 'dist', 'agent.js');
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback;
};
const RUNS = flag('--runs', 6);
const QUERIES = flag('--queries', 20000);
const WITH_PG = args.includes('--pg');
const WITH_REDIS = args.includes('--redis');

// Each workload prints one line: a JSON array of ns per query, one value per batch.
const WORKLOADS = {
  sqlite: `
const Database = require('better-sqlite3');
const db = new Database(':memory:');
db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INT, title TEXT)');
const addUser = db.prepare('INSERT INTO users (id, name) VALUES (?, ?)');
const addPost = db.prepare('INSERT INTO posts (user_id, title) VALUES (?, ?)');
for (let i = 1; i <= 100; i++) { addUser.run(i, 'u' + i); addPost.run(i, 't' + i); }
const userById = db.prepare('SELECT * FROM users WHERE id = ?');
const postsOf = db.prepare('SELECT * FROM posts WHERE user_id = ?');
function listPosts(n) {           // an N+1 loop from two lines of application code
  for (let i = 0; i < n; i += 2) {
    userById.get((i % 100) + 1);
    postsOf.all((i % 100) + 1);
  }
}
const total = Number(process.env.QUERIES), out = [];
listPosts(2000); // warm-up
for (let done = 0; done < total; done += 1000) {
  const t0 = process.hrtime.bigint();
  listPosts(1000);
  out.push(Number(process.hrtime.bigint() - t0) / 1000); // listPosts(1000) runs 1000 queries
}
console.log(JSON.stringify(out));
`,
  knex: ormLoop(`
const knex = require('knex')({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
async function setup() {
  await knex.schema.createTable('users', (t) => { t.increments('id'); t.string('name'); });
  await knex('users').insert(Array.from({ length: 100 }, (_, i) => ({ name: 'u' + i })));
}
const one = (id) => knex('users').where({ id }).first(); // a builder awaited from the app's line
`),
  bookshelf: ormLoop(`
const knex = require('knex')({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
const User = require('bookshelf')(knex).model('User', { tableName: 'users' });
async function setup() {
  await knex.schema.createTable('users', (t) => { t.increments('id'); t.string('name'); });
  await knex('users').insert(Array.from({ length: 100 }, (_, i) => ({ name: 'u' + i })));
}
const one = (id) => User.where({ id }).fetch(); // a model fetch, Bluebird inside
`),
  pg: `
const pg = require('pg');
(async () => {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  const total = Math.min(Number(process.env.QUERIES), 4000), out = [];
  async function batch(n) { for (let i = 0; i < n; i++) await client.query('SELECT $1::int AS id', [i % 100]); }
  await batch(500);
  for (let done = 0; done < total; done += 200) {
    const t0 = process.hrtime.bigint();
    await batch(200);
    out.push(Number(process.hrtime.bigint() - t0) / 200);
  }
  await client.end();
  console.log(JSON.stringify(out));
})();
`,
  // 8 queries in flight on a pool of 2: six queue, so most queries carry a pool wait and the
  // pool's gauges are read twice each; the client's CPU per query, as for Redis
  'pg-pool': `
const pg = require('pg');
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
(async () => {
  const total = Math.min(Number(process.env.QUERIES), 4000), out = [];
  async function batch() { await Promise.all(Array.from({ length: 8 }, (_, i) => pool.query('SELECT $1::int AS id', [i]))); }
  for (let i = 0; i < 60; i++) await batch();
  for (let done = 0; done < total; done += 200) {
    const c0 = process.cpuUsage();
    for (let b = 0; b < 25; b++) await batch();
    const c = process.cpuUsage(c0);
    out.push(((c.user + c.system) * 1000) / 200); // ns per query
  }
  await pool.end();
  console.log(JSON.stringify(out));
})();
`,
  ioredis: redisLoop(`
const Redis = require('ioredis');
const client = new Redis(process.env.REDIS_URL);
const ready = client.set('user:1:profile', 'x');
const get = (id) => client.get('user:' + id + ':profile');
const close = () => client.quit();
`),
  'node-redis': redisLoop(`
const { createClient } = require('redis');
const client = createClient({ url: process.env.REDIS_URL });
const ready = client.connect().then(() => client.set('user:1:profile', 'x'));
const get = (id) => client.get('user:' + id + ':profile');
const close = () => client.quit();
`),
};

/**
 * A Redis workload: `ready`, `get(id)` and `close()` defined by `body`; batches of 100 GETs in
 * flight; the client's CPU per command.
 */
function redisLoop(body) {
  return `${body}
(async () => {
  await ready;
  const total = Math.min(Number(process.env.QUERIES), 20000), out = [];
  async function batch() { await Promise.all(Array.from({ length: 100 }, (_, i) => get(i))); }
  for (let i = 0; i < 20; i++) await batch();
  for (let done = 0; done < total; done += 1000) {
    // the client's own CPU (user + system), not the wall time: the wall time also holds the
    // server's turn, which the session server's work on the same machine slows
    const c0 = process.cpuUsage();
    for (let b = 0; b < 10; b++) await batch();
    const c = process.cpuUsage(c0);
    out.push(c.user + c.system); // µs for 1000 commands = ns per command
  }
  await close();
  console.log(JSON.stringify(out));
})();
`;
}

/** An ORM workload: `setup()` and `one(id)` (one query) defined by `body`, timed per batch of 200. */
function ormLoop(body) {
  return `${body}
(async () => {
  await setup();
  const total = Math.min(Number(process.env.QUERIES), 6000), out = [];
  async function batch(n) { for (let i = 0; i < n; i++) await one((i % 100) + 1); }
  await batch(500);
  for (let done = 0; done < total; done += 200) {
    const t0 = process.hrtime.bigint();
    await batch(200);
    out.push(Number(process.hrtime.bigint() - t0) / 200);
  }
  await knex.destroy();
  console.log(JSON.stringify(out));
})();
`;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * With --pin, the workload runs on CPU 1 and everything else (this process, the session server,
 * the database) stays on CPU 0: a client sharing its core with the server it talks to measures
 * how the two interleave (on loopback the sender pays for waking the receiver), not the capture.
 */
const PIN = args.includes('--pin');
let scripts = 0;
// this process (the session server) and the servers it starts from here on stay on CPU 0
if (PIN) spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });

function runChild(source, env) {
  return new Promise((resolve, reject) => {
    // a file, not `-e`: the app's frames then have a file and a line, as a real app's do
    // inside the checkout, so its node_modules resolve
    const dir = path.join(root, '.cache', 'bench-scripts');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `workload-${process.pid}-${++scripts}.js`);
    fs.writeFileSync(file, source);
    const [cmd, argv] = PIN ? ['taskset', ['-c', '1', process.execPath, file]] : [process.execPath, [file]];
    const child = spawn(cmd, argv, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      fs.rmSync(file, { force: true });
      if (code !== 0) return reject(new Error(`workload exited with ${code}: ${err.slice(0, 500)}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch {
        reject(new Error(`workload printed no result: ${out.slice(0, 200)} ${err.slice(0, 500)}`));
      }
    });
  });
}

async function bench(name, source, extraEnv, server) {
  const base = { QUERIES: String(QUERIES), NODE_OPTIONS: '', ...extraEnv };
  const agentEnv = {
    ...base,
    NODE_OPTIONS: `--require ${agentPath}`,
    PERF_LENS_URL: server.url,
    PERF_LENS_TOKEN: server.token,
    // a queue large enough that every query is sent, not dropped: sending is part of the cost
    PERF_LENS_OPTIONS: JSON.stringify({ maxQueue: 200000, probes: { memory: false, gc: false, eventLoop: false, cpu: false, http: false, queries: true } }),
  };
  const without = [];
  const withAgent = [];
  const before = server.queries();
  for (let run = 0; run < RUNS; run++) {
    // alternate which goes first so warm caches and CPU drift favour neither
    const order = run % 2 === 0 ? ['without', 'with'] : ['with', 'without'];
    for (const which of order) {
      const perBatch = await runChild(source, which === 'with' ? agentEnv : base);
      (which === 'with' ? withAgent : without).push(...perBatch);
    }
  }
  await new Promise((r) => setTimeout(r, 300));
  const captured = server.queries() - before;
  const a = median(without);
  const b = median(withAgent);
  console.log(
    `${name.padEnd(9)} without ${(a / 1000).toFixed(2).padStart(7)} µs/query   with ${(b / 1000).toFixed(2).padStart(7)} µs/query   ` +
      `capture ${((b - a) / 1000).toFixed(2)} µs/query   ratio ${(b / a).toFixed(2)}   (${captured} queries captured)`,
  );
  return { name, withoutUs: a / 1000, withUs: b / 1000, costUs: (b - a) / 1000, ratio: b / a, captured };
}

async function main() {
  const { SessionServer } = require(path.join(root, 'dist', 'core.js'));
  const session = new SessionServer({});
  const url = await session.listen();
  let count = 0;
  session.on('message', (m) => {
    if (m.type === 'query') count++;
  });
  const server = { url, token: session.token, queries: () => count };
  console.log(`query capture: ${RUNS} interleaved runs each, Node ${process.version}, agent ${path.relative(root, agentPath)}`);
  let postgres = null;
  let redis = null;
  try {
    await bench('sqlite', WORKLOADS.sqlite, {}, server);
    await bench('knex', WORKLOADS.knex, {}, server);
    await bench('bookshelf', WORKLOADS.bookshelf, {}, server);
    if (WITH_PG) {
      postgres = await require(path.join(root, 'test', 'helpers', 'postgres.js')).startPostgres();
      await bench('pg', WORKLOADS.pg, { DATABASE_URL: postgres.connectionString }, server);
      await bench('pg-pool', WORKLOADS['pg-pool'], { DATABASE_URL: postgres.connectionString }, server);
    }
    if (WITH_REDIS) {
      redis = await require(path.join(root, 'test', 'helpers', 'redis.js')).startRedis();
      await bench('ioredis', WORKLOADS.ioredis, { REDIS_URL: redis.url }, server);
      await bench('node-redis', WORKLOADS['node-redis'], { REDIS_URL: redis.url }, server);
    }
  } finally {
    if (postgres) await postgres.stop();
    if (redis) await redis.stop();
    await session.close();
  }
}

main().catch((err) => {
  console.error(err.message || err);
  process.exit(1);
});
