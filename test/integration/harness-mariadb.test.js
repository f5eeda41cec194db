'use strict';
// The real-MariaDB harness: it starts, answers through `mysql2` with a password, and stop()
// leaves no server and no files behind.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const mysql = require('mysql2/promise');
const { startMariadb } = require('../helpers/mariadb');

function refusesConnections(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });
}

test('startMariadb serves the requested database on 127.0.0.1 and stop() removes it', async (t) => {
  const db = await startMariadb({ database: 'harness_db' });
  t.after(() => db.stop());
  assert.equal(db.host, '127.0.0.1');

  const conn = await mysql.createConnection(db.connectionString);
  const [rows] = await conn.query('select 1 as one, database() as db, current_user() as who');
  await conn.end();
  assert.deepEqual(rows, [{ one: 1, db: 'harness_db', who: `${db.user}@%` }]);

  await assert.rejects(
    mysql.createConnection({ host: db.host, port: db.port, user: db.user, password: 'wrong', database: db.database }),
    /Access denied/,
  );

  await db.stop();
  assert.equal(await refusesConnections(db.port), true, 'the server still listens after stop()');
  assert.equal(fs.existsSync(db.dir), false, 'the temp dir is left behind');
});
