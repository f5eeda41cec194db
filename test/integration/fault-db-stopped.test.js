// The database stopped mid-run: queries fail in the app's own code, and the agent records
// each failed query with error:true; nothing crashes, the app serves on, and the session
// server keeps taking messages. Real PostgreSQL (test/helpers/postgres.js) and node-postgres.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { startPostgres } = require('../helpers/postgres');
const { startServer, writeApp, cleanupTmp, launch, byType } = require('../helpers/agent-harness');

after(cleanupTmp);

const APP = `
const http = require('node:http');
const pg = require(${JSON.stringify(require.resolve('pg'))});
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2, connectionTimeoutMillis: 1000 });
pool.on('error', () => {}); // idle clients dying with the server: the app's own choice
let ok = 0, failed = 0;
setInterval(() => {
  pool.query('SELECT $1::int AS n', [ok + failed]).then(() => ok++, () => failed++);
}, 20);
const server = http.createServer((req, res) => res.end(JSON.stringify({ ok, failed })));
server.listen(0, '127.0.0.1', () => console.log('ready ' + server.address().port));
process.stdin.on('data', () => { server.close(); pool.end().catch(() => {}).finally(() => process.exit(0)); });
`;

test('postgres stopped mid-run: failed queries are recorded with error:true and the app serves on', { timeout: 120_000 }, async (t) => {
  const pgServer = await startPostgres();
  t.after(() => pgServer.stop());
  const srv = await startServer();
  t.after(() => srv.close());
  const app = launch(process.execPath, writeApp(APP), { url: srv.url, token: srv.token, env: { DATABASE_URL: pgServer.connectionString }, timeoutMs: 100_000 });
  t.after(() => app.child.kill('SIGKILL'));
  await app.printed('ready');
  const port = Number(/ready (\d+)/.exec(app.stdout())[1]);
  await srv.waitFor((ms) => byType(ms, 'query').filter((q) => !q.error).length >= 20, 20_000, '20 good queries');

  await pgServer.stop();
  const stoppedAt = Date.now();
  await srv.waitFor((ms) => byType(ms, 'query').filter((q) => q.error && q.t >= stoppedAt).length >= 20, 30_000, '20 failed queries');

  const failed = byType(srv.messages, 'query').filter((q) => q.error);
  assert.ok(failed.every((q) => q.db === 'postgres' && q.text === 'SELECT $1::int AS n'), 'failed queries keep their SQL and db');
  assert.ok(failed.every((q) => q.durationMs >= 0));
  const state = await (await fetch(`http://127.0.0.1:${port}/`)).json();
  assert.ok(state.failed >= 20, `the app saw ${state.failed} failures itself`);
  assert.ok(state.ok >= 20);
  assert.equal(app.child.exitCode, null, 'the app is still running');
  // The agent still streams its other probes.
  const since = Date.now();
  await srv.waitFor((ms) => ms.some((m) => m.type === 'memory' && m.t >= since), 5000, 'a fresh memory sample');
  assert.equal(srv.server.stats.framesDropped, 0);

  app.child.stdin.write('x');
  const run = await app.exited;
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, '');
});
