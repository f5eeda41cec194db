'use strict';
// Before/after on real runs of the demo (demo/app.js has an N+1 in GET /posts-with-authors):
// the demo as it is, a copy with that route batched into one `WHERE id IN (…)` query, and the
// demo again. `compare` shows the fix as fewer queries per request and the N+1 as fixed; the
// same run twice is no regression. Also: analyze of a recording gives the figures run gave, and
// the HTML report of a run shows the N+1's source line.
const { CLI } = require('../helpers/build');
const { readJson } = require('../helpers/cli');
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { demoCopy, demoEnv, ROOT } = require('../fixtures/reporting/demo-copies');

const ROUTE = 'GET /posts-with-authors';
const N_PLUS_ONE_LINE = fs.readFileSync(path.join(ROOT, 'demo', 'app.js'), 'utf8').split('\n').findIndex((l) => l.includes('// N+1: one query per post')) + 1;

function cli(args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: demoEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-compare-'));
const fixedDir = demoCopy(true);
const read = (name) => readJson(path.join(out, name.endsWith('.json') ? name : `${name}.json`));
const runDemo = (cwd, name, extra = []) =>
  cli(['run', '--load', 'node demo/load.js', '--json', path.join(out, `${name}.json`), ...extra, '--', 'node', 'demo/app.js'], cwd);

test.after(() => {
  fs.rmSync(out, { recursive: true, force: true });
  fs.rmSync(fixedDir, { recursive: true, force: true });
});

test('the demo, its N+1 fixed, and the demo again: compare shows the fix, and no regression between equal runs', async () => {
  const base = await runDemo(ROOT, 'base', ['--record', path.join(out, 'base.ndjson'), '--html', path.join(out, 'base.html'), '--markdown', path.join(out, 'base.md')]);
  assert.equal(base.code, 0, base.stderr);
  const fixed = await runDemo(fixedDir, 'fixed');
  assert.equal(fixed.code, 0, fixed.stderr);
  const again = await runDemo(ROOT, 'again');
  assert.equal(again.code, 0, again.stderr);

  // The figures of the route as each run measured them: 1 + 20 queries a request before, 2 after.
  const [b, f, a] = ['base', 'fixed', 'again'].map(read);
  assert.equal(b.figures.routes[ROUTE].requests, 30);
  assert.equal(b.figures.routes[ROUTE].queriesPerRequest, 21);
  assert.equal(f.figures.routes[ROUTE].queriesPerRequest, 2);
  assert.equal(a.figures.routes[ROUTE].queriesPerRequest, 21);
  assert.equal(b.figures.overall.requests, 280);
  const nPlusOne = b.findings.find((x) => x.kind === 'n-plus-one');
  assert.deepEqual([nPlusOne.location.file, nPlusOne.location.line], [path.join(ROOT, 'demo', 'app.js'), N_PLUS_ONE_LINE]);
  assert.equal(f.findings.filter((x) => x.kind === 'n-plus-one').length, 0);

  // The fix: fewer queries per request on that route, better, and the N+1 fixed.
  const cmp = await cli(['compare', path.join(out, 'base.json'), path.join(out, 'fixed.json'), '--markdown', path.join(out, 'cmp.md')], out);
  assert.equal(cmp.code, 0, cmp.stderr);
  const section = cmp.stdout.split(`\n${ROUTE}\n`)[1].split(/\n(?=\S)/)[0];
  assert.match(section, /queries per request\s+21 → 2\s+−19 \(−90 %\)\s+BETTER/);
  assert.match(cmp.stdout, new RegExp(`Fixed findings: 1\\n  ${path.join(ROOT, 'demo', 'app.js').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:${N_PLUS_ONE_LINE}:\\d+: info n-plus-one: N\\+1 query`));
  const md = fs.readFileSync(path.join(out, 'cmp.md'), 'utf8');
  assert.match(md, /### `GET \/posts-with-authors`\n\n\| figure \|[^\n]*\n[^\n]*\n(?:\|[^\n]*\n)*\| queries per request \| 21 \| 2 \| −19 \(−90 %\) \| −19 … −19 \| \*\*better\*\* \|/);
  assert.match(md, /## Fixed findings \(1\)\n\n- \*\*info\*\* `.*demo\/app\.js:24:\d+` n-plus-one/);

  // The same run twice: no regression, exit 0 even when asked to fail on one.
  const same = await cli(['compare', path.join(out, 'base.json'), path.join(out, 'again.json'), '--fail-on-regression'], out);
  assert.equal(same.code, 0, `${same.stdout}\n${same.stderr}`);
  assert.match(same.stdout, /0 new findings, 0 fixed: no regression\.\n$/);
  assert.doesNotMatch(same.stdout, /WORSE/);

  // Undoing the fix is a regression: more queries per request and a new N+1 finding; exit 1 when asked.
  const undo = await cli(['compare', path.join(out, 'fixed.json'), path.join(out, 'again.json'), '--fail-on-regression'], out);
  assert.equal(undo.code, 1, undo.stdout);
  assert.match(undo.stdout.split(`\n${ROUTE}\n`)[1], /queries per request\s+2 → 21\s+\+19 \(\+950 %\)\s+WORSE/);
  assert.match(undo.stdout, /New findings: 1\n.*n-plus-one/);
  assert.match(undo.stderr, /^perf-lens: \d+ regressions? against .*fixed\.json\.\n$/);
});

test('analyze of the recording reproduces the figures of the run', async () => {
  const res = await cli(['analyze', path.join(out, 'base.ndjson'), '--json', path.join(out, 'analyzed.json')], ROOT);
  assert.equal(res.code, 0, res.stderr);
  assert.deepEqual(read('analyzed.json').figures, read('base.json').figures);
});

test('the run wrote a self-contained HTML report with the N+1 source line, and a Markdown summary', () => {
  const html = fs.readFileSync(path.join(out, 'base.html'), 'utf8');
  assert.doesNotMatch(html, /https?:\/\/|<script|<link/i);
  const line = fs.readFileSync(path.join(ROOT, 'demo', 'app.js'), 'utf8').split('\n')[N_PLUS_ONE_LINE - 1];
  const escaped = line.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  assert.ok(html.includes(`<span class="hit"><i>${N_PLUS_ONE_LINE}</i>${escaped}</span>`), 'the N+1 line as in demo/app.js');
  assert.match(html, /<td><code>GET \/posts-with-authors<\/code><\/td><td class="num">30<\/td>/);
  const md = fs.readFileSync(path.join(out, 'base.md'), 'utf8');
  assert.match(md, /\| `GET \/posts-with-authors` \| 30 \| 0 \| 0\.00 % \|[^\n]*\| 21 \|\n/);
  assert.match(md, /### N\+1 queries \(1\)\n\n- \*\*info\*\* `demo\/app\.js:24:\d+`/);
});
