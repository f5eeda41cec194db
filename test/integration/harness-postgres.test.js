'use strict';
// The real-PostgreSQL harness: it starts, answers through `pg` with a password, and stop()
// leaves no server and no files behind.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const { Client } = require('pg');
const { startPostgres } = require('../helpers/postgres');

function refusesConnections(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });
}

test('startPostgres serves the requested database on 127.0.0.1 and stop() removes it', async (t) => {
  const pg = await startPostgres({ database: 'harness_db' });
  t.after(() => pg.stop());
  assert.equal(pg.host, '127.0.0.1');

  const client = new Client({ connectionString: pg.connectionString });
  await client.connect();
  const { rows } = await client.query('select 1 as one, current_database() as db, current_user as who');
  await client.end();
  assert.deepEqual(rows, [{ one: 1, db: 'harness_db', who: pg.user }]);

  const wrong = new Client({ host: pg.host, port: pg.port, user: pg.user, password: 'wrong', database: pg.database });
  await assert.rejects(wrong.connect(), /password authentication failed/);

  await pg.stop();
  assert.equal(await refusesConnections(pg.port), true, 'the server still listens after stop()');
  assert.equal(fs.existsSync(pg.dir), false, 'the temp dir is left behind');
});
