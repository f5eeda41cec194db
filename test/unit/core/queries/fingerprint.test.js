// SQL fingerprints: which texts must (and must not) share one, libpg-query for PostgreSQL,
// the report's per-fingerprint timings, and a fuzz run that must never throw.
const { CORE } = require('../../../helpers/build');
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const core = require(CORE);
const { fingerprint, normalizeSql, aggregateQueries, initFingerprints } = core;

const SAME = [
  ['mysql', 'SELECT * FROM users WHERE id = 1', 'select *  from users\n where ID=42'],
  ['mysql', "SELECT * FROM users WHERE name = 'bob'", "SELECT * FROM users WHERE name = 'it''s \\' tricky'"],
  ['mysql', 'SELECT * FROM `users` WHERE id = ?', 'SELECT * FROM users WHERE id = 7'],
  ['mysql', 'SELECT * FROM users WHERE name = "x"', "SELECT * FROM users WHERE name = 'y'"],
  ['mysql', 'SELECT * FROM t WHERE id IN (1, 2, 3)', 'SELECT * FROM t WHERE id IN (?)'],
  ['mysql', 'SELECT * FROM t WHERE id IN (1,2,3,4,5,6,7,8)', 'SELECT * FROM t WHERE id IN (9)'],
  ['mysql', 'SELECT 1 # a comment', 'SELECT 2'],
  ['postgres', 'SELECT * FROM t WHERE id IN ($1, $2)', 'SELECT * FROM t WHERE id = ANY($1)'],
  ['postgres', 'SELECT * FROM t WHERE id = ANY($1::int[])', 'SELECT * FROM t WHERE id IN (1,2,3)'],
  ['postgres', 'SELECT * FROM t WHERE id = $1 -- trailing', '/* leading */ SELECT * FROM t WHERE id = $2;'],
  ['postgres', 'SELECT * FROM "users" WHERE id = $1', 'select * from users where id = 3'],
  ['postgres', "SELECT * FROM t WHERE a = E'x\\'y' AND b = $$dollar ' quoted$$", 'SELECT * FROM t WHERE a = $1 AND b = $2'],
  ['postgres', 'SELECT * FROM t WHERE x > -5 AND y = 1.5e10', 'SELECT * FROM t WHERE x > 3 AND y = .5'],
  ['postgres', 'SELECT * FROM t WHERE flag = true LIMIT 10 OFFSET 20', 'SELECT * FROM t WHERE flag = false LIMIT $1 OFFSET $2'],
  ['postgres', 'INSERT INTO t (a, b) VALUES ($1, $2)', 'INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ($5, $6)'],
  ['sqlite', 'SELECT * FROM t WHERE id = ?1', 'SELECT * FROM t WHERE id = :id'],
  ['sqlite', 'SELECT * FROM t WHERE id = @p1', "SELECT * FROM t WHERE id = x'ff'"],
  ['sqlite', 'SELECT /* a /* nested */ comment */ 1', 'SELECT 2'],
  ['other', 'SELECT * FROM t WHERE id = 0x1F', 'SELECT * FROM t WHERE id = 12'],
  ['redis', 'GET user:1', 'GET user:2'],
  ['redis', 'GET user:1:profile', 'GET user:9f8e7d6c5b:profile'],
  ['redis', 'MGET user:1 user:2', 'MGET user:3 user:4 user:5'],
  ['mongodb', 'users.find({"_id": "a1"})', 'users.find({"_id": "b2"})'],
];

const DIFFERENT = [
  ['mysql', 'SELECT * FROM users WHERE id = 1', 'SELECT * FROM posts WHERE id = 1'],
  ['mysql', 'SELECT * FROM users WHERE id = 1', 'SELECT * FROM users WHERE id IN (1, 2)'],
  ['mysql', 'SELECT * FROM users WHERE id = 1', 'SELECT * FROM users WHERE id > 1'],
  ['mysql', 'SELECT a FROM t', 'SELECT b FROM t'],
  ['mysql', 'SELECT * FROM t WHERE x IS NULL', 'SELECT * FROM t WHERE x IS NOT NULL'],
  ['postgres', 'SELECT * FROM t WHERE id = $1', 'SELECT * FROM t WHERE id = ANY($1)'],
  ['postgres', 'SELECT * FROM t WHERE id IN (SELECT x FROM u)', 'SELECT * FROM t WHERE id IN (1)'],
  ['postgres', 'SELECT * FROM "Users"', 'SELECT * FROM users'],
  ['postgres', 'INSERT INTO t (a) VALUES ($1)', 'INSERT INTO t (a, b) VALUES ($1, $2)'],
  ['postgres', 'SELECT * FROM t WHERE id = $1 AND a = $2', 'SELECT * FROM t WHERE id = $1 OR a = $2'],
  ['redis', 'GET a', 'SET a 1'],
  ['redis', 'GET user:1', 'GET session:1'],
  ['redis', 'PIPELINE HGETALL*20', 'PIPELINE GET*20'],
  ['mongodb', 'users.find({"_id": "a1"})', 'users.find({"email": "a1"})'],
];

function checkPairs() {
  for (const [db, a, b] of SAME) assert.equal(fingerprint(a, db), fingerprint(b, db), `${db}: ${a} ~ ${b}`);
  for (const [db, a, b] of DIFFERENT) assert.notEqual(fingerprint(a, db), fingerprint(b, db), `${db}: ${a} ≁ ${b}`);
}

test('the tokenizer shows a normalised text', () => {
  assert.equal(fingerprint("SELECT *  FROM Users\nWHERE id = 42 AND name = 'x' -- c", 'mysql'), 'select * from users where id = ? and name = ?');
  assert.equal(fingerprint('SELECT count(*) FROM t WHERE id IN ($1, $2, $3)', 'sqlite'), 'select count(*) from t where id in (?)');
  assert.equal(fingerprint('INSERT INTO t (a, b) VALUES (1, 2), (3, 4)', 'mysql'), 'insert into t (a, b) values (?, ?)');
  assert.equal(fingerprint('GET user:42', 'redis'), 'get user:?');
  assert.equal(fingerprint('MGET user:1:profile user:2:profile +30', 'redis'), 'mget user:?:profile');
  assert.equal(fingerprint('PIPELINE HGETALL*20 GET*1', 'redis'), 'pipeline hgetall get');
});

test('texts that must and must not share a fingerprint (tokenizer)', () => checkPairs());

test('shape: batch sizes, housekeeping statements and the key column', () => {
  assert.equal(normalizeSql('SELECT * FROM t WHERE id IN (1,2,3)', 'mysql').batchSize, 3);
  assert.equal(normalizeSql('INSERT INTO t (a) VALUES (1), (2)', 'mysql').batchSize, 2);
  assert.equal(normalizeSql('SELECT * FROM t WHERE id = ANY($1)', 'postgres').arrayPlaceholder, 'any');
  assert.equal(normalizeSql('SELECT * FROM comments WHERE post_id = $1', 'postgres').keyColumn, 'post_id');
  for (const sql of ['BEGIN', 'COMMIT', 'ROLLBACK', 'SAVEPOINT a', 'RELEASE SAVEPOINT a', 'SET search_path = x', 'SHOW tables',
    'CREATE TABLE t (a int)', 'ALTER TABLE t ADD b int', 'PRAGMA table_info(t)', 'SELECT * FROM information_schema.columns',
    'SELECT * FROM pg_catalog.pg_class', "SELECT name FROM sqlite_master WHERE type = 'table'"]) {
    assert.equal(normalizeSql(sql, 'postgres').housekeeping, true, sql);
  }
  assert.equal(normalizeSql('SELECT * FROM posts', 'postgres').housekeeping, false);
});

test('aggregateQueries: per fingerprint, most total time first, nearest-rank percentiles', () => {
  const q = (text, durationMs) => ({ type: 'query', pid: 1, t: 0, durationMs, db: 'mysql', text, scope: null, callsite: null, error: false });
  const rows = aggregateQueries([
    ...[1, 2, 3, 4, 100].map((d, i) => q(`SELECT * FROM a WHERE id = ${i}`, d)),
    q('SELECT * FROM b', 300),
  ]);
  assert.deepEqual(rows, [
    { fingerprint: 'select * from b', db: 'mysql', count: 1, totalMs: 300, p50Ms: 300, p95Ms: 300, maxMs: 300 },
    { fingerprint: 'select * from a where id = ?', db: 'mysql', count: 5, totalMs: 110, p50Ms: 3, p95Ms: 100, maxMs: 100 },
  ]);
});

test('20 000 random and malformed SQL strings never throw', () => {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const pieces = ["'", '"', '`', '$', '$$', '$a$', '--', '/*', '*/', '#', '?', ':', '::', '@', '(', ')', ',', '[', ']', 'IN', 'in (', 'ANY(', 'VALUES', ' ', '\n', '\\', 'select', 'E\'', '0x', '1e', '-', '.5', ';', 'ARRAY[', '\u00e9', '\ud83d', 'x'];
  const dbs = ['postgres', 'mysql', 'sqlite', 'mongodb', 'redis', 'other'];
  for (let i = 0; i < 20000; i++) {
    let s = '';
    const n = Math.floor(rnd() * 40);
    for (let k = 0; k < n; k++) s += rnd() < 0.7 ? pieces[Math.floor(rnd() * pieces.length)] : String.fromCharCode(Math.floor(rnd() * 0xffff));
    const db = dbs[i % dbs.length];
    const fp = fingerprint(s, db);
    assert.equal(typeof fp, 'string');
  }
});

test('a long malformed text is fingerprinted in linear time (no hang)', () => {
  for (const unit of ["'", '/*', '(', 'IN (1,', '$a', 'x = ANY(', 'VALUES (1),']) {
    assert.equal(typeof fingerprint(unit.repeat(20000), 'postgres'), 'string');
  }
});

test('PostgreSQL through libpg-query groups by the parser fingerprint', async () => {
  assert.equal(await initFingerprints(), true);
  checkPairs();
  // libpg-query ignores aliases and column order; the first text seen is what is shown
  const a = fingerprint('SELECT id AS a, name FROM users WHERE id = $1', 'postgres');
  assert.equal(a, 'select id as a, name from users where id = ?');
  assert.equal(fingerprint('SELECT name, id AS b FROM users WHERE id = 5', 'postgres'), a);
  // `?` placeholders do not parse as PostgreSQL: the tokenizer decides
  assert.equal(fingerprint('SELECT * FROM x WHERE id = ?', 'postgres'), 'select * from x where id = ?');
});
