'use strict';
// The SQL normaliser against random and hostile SQL: no throw, bounded output, and no
// super-linear work. The guard against super-linear work here is size, not a clock: 256 KB of
// each hostile shape takes well under a second when linear and hours when quadratic, so a
// regression ends in the test's timeout. The growth ratios themselves are measured, side by
// side, in bench/sql-normalizer.js.
const { CORE } = require('../../../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const core = require(CORE);
const { fingerprint, normalizeSql, initFingerprints, MAX_SQL_CHARS } = core;
const { SHAPES } = require('../../../fixtures/sql-hostile-shapes');

const DIALECTS = ['postgres', 'mysql', 'sqlite', 'other'];
const BIG = 256 * 1024;

test('the tokenizer reads 256 KB of every hostile shape in every dialect (a super-linear path would not finish)', { timeout: 180_000 }, () => {
  for (const db of DIALECTS) {
    for (const [shape, unit] of Object.entries(SHAPES)) {
      const text = unit.repeat(Math.ceil(BIG / unit.length));
      const shapeOf = normalizeSql(text, db);
      assert.equal(typeof shapeOf.text, 'string', `${db} / ${shape}`);
      // Normalising never expands a text by more than a small factor (placeholders, spacing).
      assert.ok(shapeOf.text.length <= text.length * 2 + 64, `${db} / ${shape}: ${text.length} chars became ${shapeOf.text.length}`);
    }
  }
});

test('fingerprints cut text past the agent limit as the agent does: 1 MB of hostile SQL groups with its first 4 096 chars', { timeout: 180_000 }, async () => {
  assert.equal(MAX_SQL_CHARS, 4096);
  await initFingerprints();
  for (const db of DIALECTS) {
    for (const [shape, unit] of Object.entries(SHAPES)) {
      const text = `/*${db}*/` + unit.repeat(Math.ceil((1 << 20) / unit.length));
      const fp = fingerprint(text, db);
      assert.equal(fp, fingerprint(text.slice(0, MAX_SQL_CHARS), db), `${db} / ${shape}`);
      assert.ok(fp.length <= MAX_SQL_CHARS * 2 + 64, `${db} / ${shape}: fingerprint of ${fp.length} chars`);
    }
  }
  // A real bulk insert far past the limit still groups with its smaller self.
  const bulk = (n) => 'INSERT INTO t (a, b) VALUES ' + Array.from({ length: n }, (_, i) => `(${i}, 'x${i}')`).join(', ');
  assert.equal(fingerprint(bulk(50_000), 'postgres'), fingerprint(bulk(3), 'postgres'));
  assert.equal(fingerprint(bulk(50_000), 'mysql'), 'insert into t (a, b) values (?, ?)');
});

test('100 000 random SQL texts from a grammar of hostile pieces: always a string, never a throw', { timeout: 240_000 }, async () => {
  await initFingerprints();
  let seed = 99;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const pieces = ['SELECT', 'select', '*', 'FROM', 't', 'WHERE', 'id', '=', 'IN', '(', ')', ',', "'", "''", '"', '`', '$1', '?', ':x', '@p', '$$', '$q$', '--', '/*', '*/', '#', '\n', '\\', 'ANY(', 'ARRAY[', ']', '::', 'E\'', 'X\'0f\'', '0x1F', '1e10', '-.5', ';', 'VALUES', 'INSERT INTO', 'UPDATE', 'SET', 'LIMIT', 'NULL', '\u0000', '\ud800', '\u2028', ' '];
  const dbs = ['postgres', 'mysql', 'sqlite', 'mongodb', 'redis', 'other'];
  for (let i = 0; i < 100_000; i++) {
    let s = '';
    const n = 1 + Math.floor(rnd() * 30);
    for (let k = 0; k < n; k++) s += pieces[Math.floor(rnd() * pieces.length)] + (rnd() < 0.5 ? ' ' : '');
    const fp = fingerprint(s, dbs[i % dbs.length]);
    assert.equal(typeof fp, 'string', s);
    assert.ok(fp.length <= Math.max(64, s.length * 4), `fingerprint of ${JSON.stringify(s)} is ${fp.length} chars`);
  }
});
