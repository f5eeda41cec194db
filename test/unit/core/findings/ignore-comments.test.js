// `perf-lens-ignore` comments in real source files silence findings on their line or the next.
const { CORE } = require('../../../helpers/build');
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const core = require(CORE);
const { detectQueryFindings } = core;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-ignore-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** An N+1 (6 × 30 ms, also slow at slowQueryMs 25) issued from `line` of `file`. */
function nPlusOneAt(file, line) {
  const scope = { id: 'r1', name: 'GET /posts' };
  const out = [];
  for (let i = 0; i < 6; i++) {
    out.push({ type: 'query', pid: 1, t: 1e12 + i * 31, durationMs: 30, db: 'postgres', text: 'SELECT * FROM comments WHERE post_id = $1',
      scope, callsite: { file, line, column: 3 }, error: false, params: [String(i)] });
  }
  return out;
}
function kindsFor(source, line, options = {}) {
  const file = path.join(dir, `src-${Math.random().toString(36).slice(2)}.js`);
  fs.writeFileSync(file, source);
  return detectQueryFindings(1, nPlusOneAt(file, line), { slowQueryMs: 25, ...options }).map((f) => f.kind).sort();
}

const body = (line3) => ['async function list(posts) {', '  for (const p of posts) {', line3, '    await db.query(sql, [p.id]);', '  }', '}', ''].join('\n');

test('no comment: both findings', () => {
  assert.deepEqual(kindsFor(body('    // load comments'), 4), ['n-plus-one', 'slow-query']);
});

test('a bare directive on the line above silences every kind', () => {
  assert.deepEqual(kindsFor(body('    // perf-lens-ignore'), 4), []);
});

test('a kind list silences only those kinds; comment styles', () => {
  assert.deepEqual(kindsFor(body('    // perf-lens-ignore n-plus-one'), 4), ['slow-query']);
  assert.deepEqual(kindsFor(body('    /* perf-lens-ignore slow-query, n-plus-one */'), 4), []);
  assert.deepEqual(kindsFor(body('    # perf-lens-ignore: slow-query'), 4), ['n-plus-one']);
  assert.deepEqual(kindsFor(body('    -- perf-lens-ignore duplicate-query'), 4), ['n-plus-one', 'slow-query']);
});

test('on the finding line itself', () => {
  const src = ['x', 'y', 'z', '    await db.query(sql, [p.id]); // perf-lens-ignore n-plus-one', ''].join('\n');
  assert.deepEqual(kindsFor(src, 4), ['slow-query']);
});

test('not a comment, too far away, another word, or switched off: no effect', () => {
  assert.deepEqual(kindsFor(body('    const s = "perf-lens-ignore";'), 4), ['n-plus-one', 'slow-query']);
  assert.deepEqual(kindsFor(['// perf-lens-ignore', 'a', 'b', 'c', ''].join('\n'), 4), ['n-plus-one', 'slow-query']);
  assert.deepEqual(kindsFor(body('    // perf-lens-ignored by nobody'), 4), ['n-plus-one', 'slow-query']);
  assert.deepEqual(kindsFor(body('    // perf-lens-ignore'), 4, { ignoreComments: false }), ['n-plus-one', 'slow-query']);
});

test('a missing file means no ignore; each file is read once', () => {
  const missing = path.join(dir, 'gone.js');
  assert.equal(detectQueryFindings(1, nPlusOneAt(missing, 4), { slowQueryMs: 25 }).length, 2);
  const reads = [];
  const readSource = (f) => { reads.push(f); return body('    // perf-lens-ignore n-plus-one'); };
  const found = detectQueryFindings(1, nPlusOneAt('/virtual/a.js', 4), { slowQueryMs: 25, readSource });
  assert.deepEqual(found.map((f) => f.kind), ['slow-query']);
  assert.deepEqual(reads, ['/virtual/a.js']);
});
