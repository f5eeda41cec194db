'use strict';
// The SQL normaliser against random and hostile SQL: no throw, and no super-linear time. Time
// is judged as a ratio (4× the input must cost well under 8× the time), never against a clock.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const core = require(process.env.PERF_LENS_CORE || path.join(__dirname, '..', '..', 'dist', 'core.js'));
const { fingerprint, normalizeSql, initFingerprints } = core;

let counter = 0;
// Inputs built by repeating a unit; each call gets a unique prefix so no cache answers it.
const SHAPES = {
  'open quote': "'",
  'open comment': '/*',
  'nested parens': '(',
  'long IN list': 'IN (1,',
  'dollar tags': '$a$',
  'ANY(': 'x = ANY(',
  'multi-row VALUES': 'VALUES (1, \'a\'),',
  'backslashes in a string': "'\\\\\\'",
  'comment dashes': '-- -',
  'casts': '::int::text',
  'identifiers': '"a""b" ',
  'numbers': '1e1.5e-',
  'placeholders': '? $1 :a @b ',
  'unicode': '\u00e9\ud83d\ude00\u0000',
  'mixed': "SELECT * FROM t WHERE a IN ('x', $1, ?) /* c */ AND b = ANY($2::int[]) -- e\n",
};

function timeOf(fn, input, reps) {
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const text = `/*${counter++}*/${input}`;
    const t0 = process.hrtime.bigint();
    fn(text);
    best = Math.min(best, Number(process.hrtime.bigint() - t0));
  }
  return best;
}

/** Time for n and 4n units, interleaved; the smallest ratio over a few tries (noise only adds). */
function growth(fn, unit, n) {
  let best = Infinity;
  for (let attempt = 0; attempt < 3 && best >= 8; attempt++) {
    const small = timeOf(fn, unit.repeat(n), 5);
    const large = timeOf(fn, unit.repeat(4 * n), 5);
    best = Math.min(best, large / Math.max(small, 1));
  }
  return best;
}

const RUNNERS = {
  'tokenizer (mysql)': (s) => normalizeSql(s, 'mysql'),
  'fingerprint (sqlite)': (s) => fingerprint(s, 'sqlite'),
  'fingerprint (postgres, libpg-query)': (s) => fingerprint(s, 'postgres'),
};

test('no shape of input makes normalising super-linear: 4× the text costs < 8× the time', { timeout: 240_000 }, async (t) => {
  await initFingerprints();
  const rows = [];
  for (const [name, run] of Object.entries(RUNNERS)) {
    for (const [shape, unit] of Object.entries(SHAPES)) {
      const n = Math.max(200, Math.floor(4000 / unit.length));
      run(unit.repeat(n)); // warm-up: compile paths before timing
      const ratio = growth(run, unit, n);
      rows.push(`${name} / ${shape}: ${ratio.toFixed(2)}`);
      assert.ok(ratio < 8, `${name} on ${shape}: 4× input took ${ratio.toFixed(1)}× the time`);
    }
  }
  t.diagnostic(rows.join('; '));
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
