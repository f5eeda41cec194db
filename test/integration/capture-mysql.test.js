// Query capture with mysql2 against a real MariaDB: a connection's query and execute under
// the callback and promise APIs, pools (callback and promise), a pool queue, a failure. The
// installed mysql2 publishes TracingChannels: each query must still be recorded once.
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { startServer } = require('../helpers/agent-harness');
const { startMariadb } = require('../helpers/mariadb');
const { runFixture, expectQueriesAt, assertOneAfterAnother } = require('../fixtures/capture/run');

const file = path.join(__dirname, '..', 'fixtures', 'capture', 'mysql-app.cjs');

let srv;
let db;
let run;
before(async () => {
  [srv, db] = await Promise.all([startServer(), startMariadb()]);
  run = await runFixture(srv, process.execPath, file, { env: { MYSQL_URL: db.connectionString } });
});
after(async () => {
  await Promise.all([srv && srv.close(), db && db.stop()]);
});

const expectAt = (name, count, check) => expectQueriesAt(run, file, name, count, 'mysql', check);

describe('mysql2 capture', () => {
  it('runs the app unchanged', () => {
    assert.match(run.result.stdout, /expected failure: ER_NO_SUCH_TABLE/);
    assert.match(run.result.stdout, /done/);
  });

  it('captures a connection’s query and execute, callback and promise APIs', () => {
    expectAt('conn-query-callback', 1, (q) => {
      assert.equal(q.text, 'INSERT INTO pets VALUES (?, ?), (?, ?)');
      assert.deepEqual(q.params, ['1', 'rex', '2', 'tom']);
      assert.equal(q.error, false);
    });
    expectAt('conn-execute-callback', 1, (q) => assert.deepEqual(q.params, ['2']));
    expectAt('promise-query', 1, (q) => assert.equal(q.text, 'SELECT id FROM pets ORDER BY id'));
    expectAt('promise-execute', 1, (q) => assert.deepEqual(q.params, ['1']));
    expectAt('promise-error', 1, (q) => assert.equal(q.error, true));
  });

  it('captures pool queries at the line that called the pool', () => {
    expectAt('pool-query-callback', 1, (q) => assert.equal(q.text, 'SELECT COUNT(*) AS n FROM pets'));
    expectAt('pool-execute-callback', 1, (q) => assert.deepEqual(q.params, ['1']));
    const queued = expectAt('pool-queue', 10, (q) => assert.match(q.text, /SLEEP/));
    assert.deepEqual(queued.map((q) => q.params[0]).sort(), ['1', '1', '1', '1', '1', '2', '2', '2', '2', '2']);
    assertOneAfterAnother(queued);
    expectAt('promise-pool-execute', 1, (q) => assert.deepEqual(q.params, ['2']));
  });

  it('records each query once', () => {
    // 2 set-up queries + 18 marked ones
    assert.equal(run.queries.length, 20, JSON.stringify(run.queries.map((q) => q.text.slice(0, 40))));
  });
});
