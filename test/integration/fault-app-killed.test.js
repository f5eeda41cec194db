// The app killed with SIGKILL mid-session: no bye ever comes, yet `perf-lens run` ends the
// session, keeps what arrived, writes the report and the recording, and exits 0; `analyze`
// of that recording tells the same story.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { runCli, fixtureDir, readJson } = require('../helpers/cli');
const { requestsOf } = require('../helpers/agent-harness');

// Serves, requests itself every 10 ms, and runs a query per request (better-sqlite3).
const APP = `
const http = require('node:http');
const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
const db = new Database(':memory:');
db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
const get = db.prepare('SELECT v FROM t WHERE id = ?');
const server = http.createServer((req, res) => res.end(String(get.get(1))));
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  setInterval(() => http.get({ host: '127.0.0.1', port, path: '/x', agent: false }, (r) => r.resume()), 10);
});
`;

function childPids(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

test('an app killed with SIGKILL mid-session: session ended, data kept, report and recording written, exit 0', async (t) => {
  const dir = fixtureDir({ 'app.js': APP });
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const rec = path.join(dir, 'rec.ndjson');
  let appPid = null;
  const res = await runCli(['run', '--json', 'report.json', '--record', 'rec.ndjson', '--', process.execPath, 'app.js'], {
    cwd: dir,
    timeoutMs: 60_000,
    onSpawn: (cli) => {
      // Once requests and queries have been recorded, kill the app outright.
      const poll = setInterval(() => {
        const text = fs.existsSync(rec) ? fs.readFileSync(rec, 'utf8') : '';
        if ((text.match(/"type":"http"/g) || []).length >= 50 && (text.match(/"type":"query"/g) || []).length >= 50) {
          appPid = childPids(cli.pid)[0] ?? null;
          if (appPid) {
            clearInterval(poll);
            process.kill(appPid, 'SIGKILL');
          }
        }
      }, 50);
      cli.once('exit', () => clearInterval(poll));
    },
  });
  assert.ok(appPid, 'the app was killed');
  assert.equal(res.code, 0, res.stderr);
  const report = readJson(path.join(dir, 'report.json'));
  assert.equal(report.processes.length, 1);
  const p = report.processes[0];
  assert.equal(p.pid, appPid);
  assert.ok(p.metrics.http.requests >= 50, `${p.metrics.http.requests} requests kept`);
  assert.ok(p.metrics.queries.reduce((a, q) => a + q.count, 0) >= 50);
  assert.ok(p.metrics.memory.length >= 1);
  assert.ok(Date.parse(p.endedAt) >= Date.parse(p.startedAt));
  const lines = fs.readFileSync(rec, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines[0].type, 'hello');
  assert.equal(lines.filter((m) => m.type === 'bye').length, 0, 'a killed process says no bye');
  assert.equal(requestsOf(lines).length, p.metrics.http.requests);
  assert.match(res.stdout, new RegExp(`pid ${appPid} `));
  assert.match(res.stdout, new RegExp(`http ${p.metrics.http.requests} requests`));

  const again = await runCli(['analyze', 'rec.ndjson', '--json', 'again.json'], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
  const replay = readJson(path.join(dir, 'again.json'));
  assert.equal(replay.processes[0].metrics.http.requests, p.metrics.http.requests);
  assert.deepEqual(replay.processes[0].metrics.queries, p.metrics.queries);
});
