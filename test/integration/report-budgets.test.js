'use strict';
// Budgets on key figures: the JSON format, breaches, and what the built CLI does with
// --budget (alert line, SARIF results, exit 1; a malformed file is one sentence and exit 2).
const { CORE, CLI } = require('../helpers/build');
const { readReport } = require('../helpers/report-schema');
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { fixtureDir } = require('../helpers/cli');
const { T0, hello, request, memory } = require('../fixtures/reporting/messages');

const core = require(CORE);

function figures() {
  const store = new core.SessionStore();
  const msgs = [hello(1), memory(1, T0 + 10, 5e6)];
  for (let i = 0; i < 40; i++) msgs.push(...request({ t: T0 + 100 + i * 20, route: '/posts', durationMs: 10 + i * 5, queries: 4 }));
  for (let i = 0; i < 10; i++) msgs.push(...request({ t: T0 + 110 + i * 20, route: '/health', durationMs: 1 }));
  for (const m of msgs) store.ingest(m);
  return core.computeFigures(store.sessions);
}

test('a budget met raises nothing; a budget broken names the figure, the value and the limit', () => {
  const f = figures();
  assert.equal(f.routes['GET /posts'].p95Ms, 195);
  const met = core.parseBudget({ overall: { errorRate: 0.01 }, routes: { 'GET /posts': { queriesPerRequest: 4, p95Ms: 200 } } });
  assert.deepEqual(core.checkBudgets(f, met), []);
  const broken = core.parseBudget({ overall: { p95Ms: 100 }, routes: { 'GET /posts': { queriesPerRequest: 3 }, 'GET /nowhere': { p95Ms: 1 } } });
  const breaches = core.checkBudgets(f, broken);
  assert.deepEqual(breaches.map((b) => [b.ruleId, b.value, b.limit, b.bound]), [
    ['budget/overall/p95Ms', f.overall.p95Ms, 100, 'max'],
    ['budget/GET /posts/queriesPerRequest', 4, 3, 'max'],
  ]);
  assert.equal(breaches[1].message, 'The queries per request of GET /posts is 4, over its budget of 3.');
});

test('renderReport: SARIF carries budget results whatever writes it (located in the budget file when there is one)', () => {
  const store = new core.SessionStore();
  for (const m of [hello(1), ...request({ t: T0 + 100, route: '/posts', durationMs: 10, queries: 4 })]) store.ingest(m);
  const report = { ...core.analyzeSessions(store.sessions), figures: core.computeFigures(store.sessions) };
  const breaches = core.checkBudgets(report.figures, core.parseBudget({ routes: { 'GET /posts': { queriesPerRequest: 3 } } }));
  assert.equal(breaches.length, 1);
  // the editor's budgets come from its settings: no file, results without a location
  const fromSettings = JSON.parse(core.renderReport(report, 'sarif', { root: '/srv', breaches }));
  const result = fromSettings.runs[0].results.find((r) => r.ruleId === 'budget/GET /posts/queriesPerRequest');
  assert.ok(result, JSON.stringify(fromSettings.runs[0].results));
  assert.equal(result.level, 'error');
  assert.deepEqual(result.locations, []);
  // `--budget FILE`: the breach sits on the figure's line of that file
  const text = '{\n  "routes": {\n    "GET /posts": {\n      "queriesPerRequest": 3\n    }\n  }\n}\n';
  const fromFile = JSON.parse(core.renderReport(report, 'sarif', { root: '/srv', breaches, budgetSource: { file: '/srv/perf-budget.json', text } }));
  const located = fromFile.runs[0].results.find((r) => r.ruleId === 'budget/GET /posts/queriesPerRequest');
  assert.deepEqual(located.locations[0].physicalLocation, { artifactLocation: { uri: 'perf-budget.json', uriBaseId: '%SRCROOT%' }, region: { startLine: 4, startColumn: 1 } });
  assert.equal(JSON.parse(core.renderReport(report, 'json', { root: '/srv', extra: { note: 1 } })).note, 1);
});

test('"*" applies to every route unless the route sets the figure itself; throughput is a minimum', () => {
  const f = figures();
  const budget = core.parseBudget({ routes: { '*': { p99Ms: 50 }, 'GET /posts': { p99Ms: 500 } }, overall: { throughputPerS: 1000 } });
  const breaches = core.checkBudgets(f, budget);
  assert.deepEqual(breaches.map((b) => b.ruleId), ['budget/overall/throughputPerS'], 'GET /health is fast; GET /posts has its own limit');
  assert.equal(breaches[0].bound, 'min');
  assert.match(breaches[0].message, /under its budget of 1000\.0\/s\.$/);
  const explicit = core.parseBudget({ routes: { '*': { p99Ms: { max: 50 } }, 'GET /health': { requests: { min: 20 } } } });
  assert.deepEqual(core.checkBudgets(f, explicit).map((b) => `${b.scope} ${b.figure}`), ['GET /health requests', 'GET /posts p99Ms']);
});

test('the cache hit rate is a figure per route and overall, and a plain number in a budget is its minimum', () => {
  const store = new core.SessionStore();
  const msgs = [hello(1)];
  // GET /users: 20 requests, one read each, 15 found; GET /feed: one MGET of two keys, both found
  for (let i = 0; i < 20; i++) msgs.push(...request({ t: T0 + 100 + i * 20, route: '/users', cache: i < 15 ? [1, 0] : [0, 1] }));
  for (let i = 0; i < 5; i++) msgs.push(...request({ t: T0 + 105 + i * 20, route: '/feed', cache: [2, 0] }));
  msgs.push({ type: 'query', pid: 1, t: T0 + 900, durationMs: 0.1, db: 'redis', text: 'GET job:1', scope: null, callsite: null, error: false, cacheHits: 0, cacheMisses: 10 });
  for (const m of msgs) store.ingest(m);
  const f = core.computeFigures(store.sessions);
  assert.deepEqual([f.routes['GET /users'].cacheReads, f.routes['GET /users'].cacheHits, f.routes['GET /users'].cacheHitRate], [20, 15, 0.75]);
  assert.equal(f.routes['GET /feed'].cacheHitRate, 1);
  // the run counts every read, the job's outside any request too: 25 hits of 40
  assert.deepEqual([f.overall.cacheReads, f.overall.cacheHits, f.overall.cacheHitRate], [40, 25, 0.625]);
  assert.deepEqual(f.cache.map((c) => [c.pattern, c.reads, c.hits, c.hitRate]), [
    ['get user:?', 20, 15, 0.75],
    ['get job:?', 10, 0, 0],
    ['mget user:?', 10, 10, 1],
  ]);
  assert.equal(f.timeline.cacheHits.reduce((a, n) => a + n, 0), 25);
  assert.equal(f.timeline.cacheMisses.reduce((a, n) => a + n, 0), 15);
  const breaches = core.checkBudgets(f, core.parseBudget({ overall: { cacheHitRate: 0.8 }, routes: { 'GET /users': { cacheHitRate: 0.7 }, 'GET /feed': { cacheHitRate: { min: 0.9 } } } }));
  assert.deepEqual(breaches.map((b) => [b.ruleId, b.value, b.bound, b.limit]), [['budget/overall/cacheHitRate', 0.625, 'min', 0.8]]);
  assert.equal(breaches[0].message, 'The cache hit rate of the run is 62.5 %, under its budget of 80.0 %.');
  const md = core.renderReport({ ...core.analyzeSessions(store.sessions), figures: f }, 'markdown', { root: '/srv' });
  assert.match(md, /\| cache key pattern \| reads \| hits \| hit rate \|\n\| --- \| ---: \| ---: \| ---: \|\n\| `get user:\?` \| 20 \| 15 \| 75\.0 % \|/);
});

test('malformed budgets: one sentence naming the problem', () => {
  const bad = [
    ['[]', /^The budget file b\.json is not valid: a budget must be a JSON object/],
    ['{"overall": {"p95": 3}}', /unknown figure "p95" in "overall"; known figures: requests, /],
    ['{"routes": {"GET /": {"heapSlopeBytesPerMin": 3}}}', /exists only for the whole run, under "overall"\.$/],
    ['{"overall": {"p95Ms": "fast"}}', /must be a number or \{"max": n\}/],
    ['{"overall": {"p95Ms": {"below": 3}}}', /takes only "max" and "min", not "below"\.$/],
    ['{"limits": {}}', /unknown key "limits" at the top of the budget/],
    ['{"overall": ', /^The budget file b\.json is not valid JSON \(.+\)\.$/],
  ];
  for (const [text, re] of bad) {
    assert.throws(() => core.parseBudgetText(text, 'b.json'), (err) => {
      assert.ok(err instanceof core.BudgetError, text);
      assert.match(err.message, re, text);
      assert.equal(err.message.split(/\.\s/).length, 1, `one sentence: ${err.message}`);
      return true;
    });
  }
});

/** A recording of one process serving GET /posts with 4 queries a request. */
function recordingDir() {
  const msgs = [hello(4242), memory(4242, T0 + 10, 5e6)];
  for (let i = 0; i < 40; i++) msgs.push(...request({ pid: 4242, t: T0 + 100 + i * 20, route: '/posts', durationMs: 10 + i * 5, queries: 4 }));
  msgs.push({ type: 'bye', pid: 4242, t: T0 + 2000 });
  return fixtureDir({ 'rec.ndjson': msgs.map((m) => JSON.stringify(m)).join('\n') + '\n' });
}

const cli = (args, cwd) => spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });

test('perf-lens analyze --budget: a breach prints the alert, adds a SARIF result per budget and exits 1', (t) => {
  const dir = recordingDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'budget.json'), JSON.stringify({ overall: { errorRate: 0.01 }, routes: { 'GET /posts': { queriesPerRequest: 3, p95Ms: 100 } } }, null, 2));
  const res = cli(['analyze', 'rec.ndjson', '--budget', 'budget.json', '--sarif', 'out.sarif', '--markdown', 'out.md', '--json', 'out.json'], dir);
  assert.equal(res.status, 1, res.stderr);
  assert.match(res.stdout, /Budgets: 2 breaches:\n  The queries per request of GET \/posts is 4, over its budget of 3\.\n  The p95 latency of GET \/posts is 195 ms, over its budget of 100 ms\./);
  assert.match(res.stderr, /2 budgets breached/);
  const sarif = JSON.parse(fs.readFileSync(path.join(dir, 'out.sarif'), 'utf8'));
  const rules = sarif.runs[0].tool.driver.rules.map((r) => r.id);
  assert.ok(rules.includes('budget/GET /posts/queriesPerRequest') && rules.includes('budget/GET /posts/p95Ms'), rules.join());
  const results = sarif.runs[0].results.filter((r) => r.ruleId.startsWith('budget/'));
  assert.equal(results.length, 2);
  for (const r of results) {
    assert.equal(r.level, 'error');
    assert.equal(sarif.runs[0].tool.driver.rules[r.ruleIndex].id, r.ruleId);
    assert.equal(r.locations[0].physicalLocation.artifactLocation.uri, 'budget.json');
  }
  const q = results.find((r) => r.ruleId.endsWith('queriesPerRequest'));
  assert.equal(q.locations[0].physicalLocation.region.startLine, 7, 'the line of "queriesPerRequest" in budget.json');
  assert.match(fs.readFileSync(path.join(dir, 'out.md'), 'utf8'), /## Budgets: 2 breaches\n\n- ❌ The queries per request of GET \/posts is 4/);
  const report = readReport(path.join(dir, 'out.json'));
  assert.equal(report.figures.routes['GET /posts'].queriesPerRequest, 4);

  fs.writeFileSync(path.join(dir, 'ok.json'), JSON.stringify({ routes: { 'GET /posts': { queriesPerRequest: 4 } } }));
  const ok = cli(['analyze', 'rec.ndjson', '--budget', 'ok.json'], dir);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /Budgets: all met\./);
});

test('perf-lens run/analyze with a malformed or missing budget: one sentence, exit 2, before anything runs', (t) => {
  const dir = recordingDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'bad.json'), '{"overall": {"p95": 1}}');
  const analyzed = cli(['analyze', 'rec.ndjson', '--budget', 'bad.json'], dir);
  assert.equal(analyzed.status, 2);
  assert.match(analyzed.stderr, /^perf-lens: The budget file bad\.json is not valid: unknown figure "p95" in "overall"; known figures: [a-zA-Z0-9, ]+\.\n$/);
  assert.equal(analyzed.stdout, '');
  // run checks the budget before it starts the app: the marker file is never written
  const ran = cli(['run', '--budget', 'bad.json', '--', process.execPath, '-e', "require('fs').writeFileSync('started', '')"], dir);
  assert.equal(ran.status, 2);
  assert.equal(fs.existsSync(path.join(dir, 'started')), false);
  const missing = cli(['analyze', 'rec.ndjson', '--budget', 'nope.json'], dir);
  assert.equal(missing.status, 2);
  assert.equal(missing.stderr, 'perf-lens: The budget file nope.json cannot be read.\n');
});
