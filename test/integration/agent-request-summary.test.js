// Which requests the agent sends one by one and which it folds, in a real app with a real
// driver (better-sqlite3) under 16 concurrent keep-alive clients: a request whose scope ran a
// query comes as its own `http` message, its scope the one its queries carry (the N+1
// detectors weigh queries against it); the others come folded in `httpSummary` messages,
// every request counted once, with its route, status and duration. The exit path sends the
// last second's summary before the bye.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, writeApp, cleanupTmp, launch, byType, requestsOf } = require('../helpers/agent-harness');

const HEALTH = 600;
const USERS = 150;
const SLOW = 40;
const FLAKY = 60;
const POSTS = 20;

const APP = `
const http = require('node:http');
const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
const db = new Database(':memory:');
db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)');
const insert = db.prepare('INSERT INTO users (name) VALUES (?)');
for (let i = 0; i < 20; i++) insert.run('user ' + i);
const byId = db.prepare('SELECT name FROM users WHERE id = ?');

let flaky = 0;
const server = http.createServer((req, res) => {
  if (req.url === '/health') return res.end('ok');
  // one URL whose status alternates: consecutive requests of one route fold by status
  if (req.url === '/flaky') { res.statusCode = flaky++ % 2 ? 503 : 200; return res.end(); }
  if (req.url.startsWith('/slow')) return setTimeout(() => res.end('slow'), 20);
  if (req.url === '/missing') { res.statusCode = 404; return res.end('no'); }
  // /users/:id: one query per user of a page, then the answer
  const names = [];
  for (let id = 1; id <= 3; id++) names.push(byId.get(id).name);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(names));
});

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const get = (port, target) => new Promise((resolve, reject) => {
  const [method, path] = target.includes(' ') ? target.split(' ') : ['GET', target];
  http.request({ host: '127.0.0.1', port, path, method, agent }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject).end();
});
server.listen(0, '127.0.0.1', async () => {
  const port = server.address().port;
  const paths = [];
  for (let i = 0; i < ${HEALTH}; i++) paths.push('/health');
  for (let i = 0; i < ${USERS}; i++) paths.push('/users/' + (i % 20 + 1));
  for (let i = 0; i < ${SLOW}; i++) paths.push('/slow/' + i);
  for (let i = 0; i < ${FLAKY}; i++) paths.push('/flaky');
  for (let i = 0; i < ${POSTS}; i++) paths.push('POST /health');
  paths.push('/missing');
  // 16 clients at once, in a shuffled order
  paths.sort((a, b) => (a.length * 7919 + b.length) % 3 - 1);
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < paths.length) await get(port, paths[next++]);
  }));
  agent.destroy();
  server.close();
  console.log('done');
});
`;

after(cleanupTmp);

test('requests that ran queries come one by one with their scope; the rest folded, each counted once', async () => {
  const srv = await startServer();
  try {
    const launched = launch(process.execPath, writeApp(APP), { url: srv.url, token: srv.token });
    const pid = launched.child.pid;
    const run = await launched.exited;
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'done\n');
    const messages = await srv.waitFor((ms) => byType(ms, 'bye', pid).length > 0, 10000, 'bye');

    const single = byType(messages, 'http', pid);
    assert.equal(single.length, USERS, 'one http message per request that ran queries');
    assert.ok(single.every((h) => h.route === '/users/:id' && h.status === 200 && h.path.startsWith('/users/')));
    const scopes = new Set(single.map((h) => h.scope));
    assert.equal(scopes.size, USERS, 'each its own scope');
    // the start-up CREATE and INSERTs run outside any request, in a burst scope
    const queries = byType(messages, 'query', pid).filter((q) => q.scope?.name !== 'burst');
    assert.equal(queries.length, USERS * 3);
    for (const q of queries) assert.ok(scopes.has(q.scope.id), `query scope ${q.scope.id} names a request sent on its own`);

    const folded = byType(messages, 'httpSummary', pid);
    assert.ok(folded.length >= 1);
    const bye = byType(messages, 'bye', pid)[0];
    assert.ok(messages.indexOf(folded[folded.length - 1]) < messages.indexOf(bye), 'the last summary comes before the bye');
    const perRoute = {};
    for (const s of folded) for (const r of s.routes) {
      const key = `${r.method} ${r.route} ${r.status}`;
      perRoute[key] = (perRoute[key] ?? 0) + r.counts.reduce((a, n) => a + n, 0);
    }
    assert.deepEqual(perRoute, {
      'GET /health 200': HEALTH,
      'POST /health 200': POSTS,
      'GET /slow/:id 200': SLOW,
      'GET /flaky 200': FLAKY / 2,
      'GET /flaky 503': FLAKY / 2,
      'GET /missing 404': 1,
    });

    const all = requestsOf(messages, pid);
    assert.equal(all.length, HEALTH + USERS + SLOW + FLAKY + POSTS + 1);
    const slow = all.filter((h) => h.route === '/slow/:id').map((h) => h.durationMs);
    assert.ok(Math.min(...slow) >= 19, `slow requests took ${Math.min(...slow)} ms at least`);
    const health = all.filter((h) => h.route === '/health').map((h) => h.durationMs);
    assert.ok(Math.max(...health) < Math.min(...slow), 'a folded duration stays in its own class');
  } finally {
    await srv.close();
  }
});

// A paced health check: a request every 25 ms for 2.5 s on one keep-alive connection.
const PACED = 100;
const PACED_APP = `
const http = require('node:http');
const server = http.createServer((req, res) => res.end('ok'));
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
server.listen(0, '127.0.0.1', async () => {
  const port = server.address().port;
  for (let i = 0; i < ${PACED}; i++) {
    await new Promise((resolve, reject) => http.get({ host: '127.0.0.1', port, path: '/health', agent }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject));
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  agent.destroy();
  server.close();
  console.log('done');
});
`;

for (const [label, options, intervalMs] of [
  ['by default every 100 ms', undefined, 100],
  // under 100 is raised to 100: the live charts promise an event on the chart within 250 ms
  ['every 100 ms when summaryIntervalMs asks for less', { summaryIntervalMs: 5 }, 100],
  ['every second with summaryIntervalMs: 1000', { summaryIntervalMs: 1000 }, 1000],
]) {
  test(`folded requests are sent ${label}, every request counted once`, async () => {
    const srv = await startServer();
    try {
      const launched = launch(process.execPath, writeApp(PACED_APP), { url: srv.url, token: srv.token, options });
      const pid = launched.child.pid;
      const run = await launched.exited;
      assert.equal(run.code, 0, run.stderr);
      const messages = await srv.waitFor((ms) => byType(ms, 'bye', pid).length > 0, 10000, 'bye');
      const folded = byType(messages, 'httpSummary', pid);
      const counted = folded.flatMap((s) => s.routes).reduce((n, r) => n + r.counts.reduce((a, c) => a + c, 0), 0);
      assert.equal(counted, PACED);
      // A window runs from its first request until its timer fires (late on a loaded machine,
      // never early), and the exit sends the last one: over the run's span that makes at most
      // span / interval + 1 windows, and at least a fifth as many unless timers run very late.
      const span = folded[folded.length - 1].t - folded[0].fromT;
      const spans = folded.map((s) => (s.t - s.fromT).toFixed(0)).join(', ');
      assert.ok(folded.length <= Math.ceil(span / intervalMs) + 1, `${folded.length} summaries over ${span.toFixed(0)} ms spanning ${spans} ms`);
      assert.ok(folded.length >= Math.floor(span / intervalMs / 5), `${folded.length} summaries over ${span.toFixed(0)} ms spanning ${spans} ms`);
    } finally {
      await srv.close();
    }
  });
}
