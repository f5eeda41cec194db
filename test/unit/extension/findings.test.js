'use strict';
// The pure parts of the extension and of src/core/analysis, bundled here on their own with esbuild
// (no `vscode`): findings → diagnostics, hover tables, quick-fix edits, side panel rows and
// status text, settings → detector and agent options (checked against package.json and the
// core's defaults), the LiveAnalyzer over a real SessionStore fed with protocol messages, and
// the Markdown report.
const { ROOT } = require('../../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const APP = '/home/dev/shop/src/routes/posts.js';
let m;

test.before(async () => {
  const entry = [
    'src/extension/findings/finding-diagnostics',
    'src/extension/findings/finding-hover',
    'src/extension/findings/quick-fixes',
    'src/extension/findings/format',
    'src/extension/views/tree-model',
    'src/extension/settings',
    'src/core/analysis',
    'src/core/report/render/markdown-report',
    'src/core/session/session-store',
    'src/core/detectors/query-detectors',
    'src/core/leaks/leak-options',
    'src/agent/options',
    'src/core/findings/ignore-comments',
  ]
    .map((f) => `export * from './${f}';`)
    .join('\n')
    .concat("\nexport { DEFAULT_HEAP_SAMPLING } from './src/agent/heap-sampling';");
  const out = require('esbuild').buildSync({
    stdin: { contents: entry, resolveDir: ROOT, loader: 'ts' },
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, logLevel: 'silent',
    external: ['libpg-query', 'bufferutil', 'utf-8-validate'],
  });
  const file = path.join(ROOT, 'src', 'extension', 'pure.bundled.js'); // a name only, never written
  const mod = new Module(file);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  mod._compile(out.outputFiles[0].text, file);
  m = mod.exports;
  await m.initDetectors();
});

function finding(over = {}) {
  return {
    id: 'abc123',
    kind: 'n-plus-one',
    severity: 'warning',
    message: 'N+1 query: "select * from users where id = ?" ran 12 times in GET /posts.',
    pid: 42,
    location: { file: APP, line: 3, column: 18 },
    related: [{ message: 'The "1" query that ran before the repeats', location: { file: APP, line: 1, column: 15 } }],
    data: { count: 12, totalMs: 8.25, fingerprint: 'select * from users where id = ?', sample: 'SELECT * FROM users WHERE id = $1', scope: 'GET /posts', scopes: 2, db: 'postgres' },
    ...over,
  };
}

const SOURCE = [
  "const posts = await db.query('SELECT * FROM posts'); // the one",
  'for (const p of posts) {',
  '    p.author = await db.query(q, [p.authorId]);   // N+1 here',
  '\tconst url = "http://example.com/a//b"; // a comment',
  '// only a comment',
];
const readLine = (file, line) => (file === APP ? SOURCE[line - 1] : undefined);

test('codeEnd stops before a trailing // comment and blanks, not inside strings', () => {
  assert.equal(m.codeEnd(SOURCE[2]), SOURCE[2].indexOf(';') + 1);
  assert.equal(m.codeEnd(SOURCE[3]), SOURCE[3].indexOf(';') + 1, 'the // inside the string is not a comment');
  assert.equal(m.codeEnd('const t = `a // b`;'), 'const t = `a // b`;'.length);
  assert.equal(m.codeEnd('// only a comment  '), '// only a comment'.length, 'a comment-only line keeps its text');
  assert.equal(m.codeEnd("x = 'it\\'s // fine'; // c"), "x = 'it\\'s // fine';".length, 'escaped quotes');
});

test('a finding becomes a diagnostic from its column to the end of the code, with related places', () => {
  const d = m.findingToDiagnostic(finding(), readLine);
  assert.deepEqual(
    { line: d.line, start: d.startCharacter, end: d.endCharacter, severity: d.severity, source: d.source, code: d.code, key: d.key },
    { line: 2, start: 17, end: SOURCE[2].indexOf(';') + 1, severity: 'warning', source: 'perf-lens', code: 'n-plus-one', key: '42:abc123' },
  );
  assert.deepEqual(d.related, [{ message: 'The "1" query that ran before the repeats', file: APP, line: 0, character: 14 }]);

  const stale = m.findingToDiagnostic(finding({ location: { file: APP, line: 3, column: 200 } }), readLine);
  assert.deepEqual([stale.startCharacter, stale.endCharacter], [4, SOURCE[2].indexOf(';') + 1], 'a column past the code underlines the statement');

  const unread = m.findingToDiagnostic(finding({ location: { file: '/gone.js', line: 7, column: 5 } }), readLine);
  assert.deepEqual([unread.line, unread.startCharacter, unread.endCharacter], [6, 4, 4], 'an unreadable file: an empty range at the column');

  const info = m.findingToDiagnostic(finding({ severity: 'info', related: [{ message: 'outside app code', location: null }] }), readLine);
  assert.equal(info.severity, 'information');
  assert.deepEqual(info.related, [{ message: 'outside app code', file: APP, line: 2, character: 17 }], 'no place of its own: the finding line');

  assert.equal(m.findingToDiagnostic(finding({ kind: 'heap-growth', location: null }), readLine), null);
  const byFile = m.diagnosticsByFile([finding(), finding({ id: 'b', location: null }), finding({ id: 'c', location: { file: '/x.js', line: 1, column: 1 } })], readLine);
  assert.deepEqual([...byFile.keys()], [APP, '/x.js']);
  assert.deepEqual(m.diagnosticsAt(byFile.get(APP), 2, 20).map((x) => x.key), ['42:abc123']);
  assert.deepEqual(m.diagnosticsAt(byFile.get(APP), 2, 2), [], 'left of the range');
  assert.deepEqual(m.diagnosticsAt(byFile.get(APP), 2).length, 1, 'the whole line');
});

test('the hover is a Markdown table of the numbers, with the SQL below', () => {
  const md = m.findingHoverMarkdown(finding());
  assert.match(md, /^\*\*Perf Lens · N\+1 queries\*\* \(warning, pid 42\)\n/);
  assert.match(md, /\| count \| 12 \|/);
  assert.match(md, /\| total \| 8\.3 ms \|/);
  assert.match(md, /\| scope \| `GET \/posts` \|/);
  assert.match(md, /```sql\nSELECT \* FROM users WHERE id = \$1\n```/);
  assert.doesNotMatch(md, /\| sample \|/);
  const leak = m.findingHoverMarkdown(finding({ kind: 'leak', data: { bytesPerMinute: 1.5 * 1024 * 1024, liveBytes: 40 * 1024 * 1024, confidence: 0.991, function: 'a|b' } }));
  assert.match(leak, /\| bytes per minute \| 1\.5 MB\/min \|/);
  assert.match(leak, /\| live bytes \| 40 MB \|/);
  assert.match(leak, /\| confidence \| 99 % \|/);
  assert.match(leak, /\| function \| `a\\\|b` \|/, 'a pipe in a value does not break the table');
});

test('the hover of an N+1 on a shared helper lists each route: requests, repeats per request, time, the loop calling it', () => {
  const routes = [
    { scope: 'GET /api/articles', requests: 10, count: 20, minCount: 20, totalMs: 41.5, caller: { file: '/srv/src/services/articles.js', line: 31, column: 7 } },
    { scope: 'GET /api/articles/:slug/comments', requests: 9, count: 15, minCount: 12, totalMs: 9.25, caller: null },
  ];
  const md = m.findingHoverMarkdown(finding({ data: { ...finding().data, routes, noLocationReason: 'x', libraryFrame: { file: '/y', line: 1, column: 1 } } }));
  assert.match(md, /\| route \| requests \| repeats per request \| time in the worst \| called from \|/);
  assert.match(md, /\| GET \/api\/articles \| 10 \| 20 \| 41\.5 ms \| articles\.js:31 \|/);
  assert.match(md, /\| GET \/api\/articles\/:slug\/comments \| 9 \| 12–15 \| 9\.3 ms \| {2}\|/);
  assert.doesNotMatch(md, /\| routes \||\| no location reason \||\| library frame \|/, 'not as JSON cells');
});

test('Ignore here inserts the directive above with the line indentation; Copy query only for query kinds', () => {
  assert.deepEqual(m.ignoreCommentInsert(finding(), SOURCE[2]), { line: 2, character: 0, text: '    // perf-lens-ignore n-plus-one\n' });
  assert.deepEqual(m.ignoreCommentInsert(finding({ kind: 'leak' }), '\t\tcache.set(k, v);'), { line: 2, character: 0, text: '\t\t// perf-lens-ignore leak\n' });
  assert.equal(m.ignoreCommentInsert(finding({ location: { file: '/app/job.py', line: 3, column: 1 } }), 'x'), null, 'not a // language');
  assert.equal(m.ignoreCommentInsert(finding({ location: null }), undefined), null);
  for (const ext of ['ts', 'mts', 'cjs', 'tsx', 'jsx']) assert.ok(m.ignoreCommentInsert(finding({ location: { file: `/a/b.${ext}`, line: 1, column: 1 } }), ''), ext);
  // The directive it writes is one the detectors honour.
  const line = m.ignoreCommentInsert(finding(), SOURCE[2]).text;
  assert.deepEqual([...m.ignoredKinds(line, new Set(['n-plus-one', 'leak']))], ['n-plus-one']);
  assert.equal(m.queryText(finding()), 'SELECT * FROM users WHERE id = $1');
  assert.equal(m.queryText(finding({ kind: 'leak' })), null);
});

test('side panel rows: findings grouped by kind in reading order, processes with heap and uptime', () => {
  const findings = [
    finding({ id: 'l', kind: 'leak', severity: 'warning' }),
    finding({ id: 'x', kind: 'future-kind', severity: 'info' }),
    finding({ id: 'n1', severity: 'warning' }),
    finding({ id: 'n2', severity: 'error', location: { file: '/elsewhere/lib.js', line: 9, column: 1 } }),
  ];
  const groups = m.groupFindings(findings);
  assert.deepEqual(groups.map((g) => [g.label, g.severity]), [['N+1 queries (2)', 'error'], ['Memory leaks (1)', 'warning'], ['future-kind (1)', 'info']]);
  assert.deepEqual(groups[0].findings.map((f) => f.id), ['n2', 'n1'], 'most severe first');
  assert.equal(m.findingRow(findings[2], '/home/dev/shop').description, 'src/routes/posts.js:3');
  assert.equal(m.findingRow(findings[3], '/home/dev/shop').description, 'lib.js:9', 'outside the workspace: the file name');
  assert.equal(m.findingRow(finding({ location: null }), '/home/dev/shop').description, 'pid 42');

  const p = { pid: 7, label: 'app.js --port 3000', argv: [], cwd: '/srv', nodeVersion: 'v22.1.0', via: 'launch', connectedAt: 1000 };
  assert.equal(m.processRow(p, { heapUsed: 84 * 1024 * 1024, startedAt: 0 }, 185_000).description, 'pid 7 · 84 MB · 3 min 05 s');
  assert.equal(m.processRow(p, {}, 43_500).description, 'pid 7 · 42 s', 'no sample yet: since it connected');
  assert.equal(m.formatUptime(2 * 3600_000 + 7 * 60_000), '2 h 07 min');
});

test('status bar text: processes · heap · findings, hidden when idle', () => {
  assert.equal(m.statusBarText({ running: true, processes: 2, heapBytes: 84 * 1024 * 1024, findings: 3 }), '$(pulse) 2 · 84 MB · 3 findings');
  assert.equal(m.statusBarText({ running: true, processes: 1, heapBytes: 1.5 * 1024 * 1024, findings: 1 }), '$(pulse) 1 · 1.5 MB · 1 finding');
  assert.equal(m.statusBarText({ running: true, processes: 0, heapBytes: null, findings: 0 }), '$(pulse) 0 · 0 findings');
  assert.equal(m.statusBarText({ running: false, processes: 0, heapBytes: null, findings: 2 }), '$(pulse) stopped · 2 findings', 'kept findings');
  assert.equal(m.statusBarText({ running: false, processes: 0, heapBytes: null, findings: 0 }), null);
});

test('every detector threshold and sampling interval is a perfLens setting with the core default', () => {
  const props = pkg.contributes.configuration.properties;
  const defaults = { ...m.DEFAULT_QUERY_DETECTOR_OPTIONS, ...m.DEFAULT_LEAK_OPTIONS };
  for (const [key, value] of Object.entries(defaults)) {
    const setting = props[`perfLens.detectors.${key}`];
    assert.ok(setting, `perfLens.detectors.${key} is declared`);
    assert.equal(setting.default, value, `perfLens.detectors.${key} defaults to the core's ${value}`);
    assert.equal(setting.type, typeof value);
  }
  const declared = Object.keys(props).filter((k) => k.startsWith('perfLens.detectors.')).map((k) => k.slice('perfLens.detectors.'.length));
  assert.deepEqual(declared.filter((k) => !(k in defaults)), [], 'no setting the core does not read');
  assert.equal(props['perfLens.agent.sampleIntervalMs'].default, m.defaultOptions().sampleIntervalMs);
  assert.equal(props['perfLens.agent.heapSamplingIntervalBytes'].default, m.DEFAULT_HEAP_SAMPLING.intervalBytes);
  assert.equal(props['perfLens.agent.heapSamplingPeriodMs'].default, m.DEFAULT_HEAP_SAMPLING.periodMs);
  for (const k of ['perfLens.openChartsOnConnect', 'perfLens.keepFindingsAfterSessionEnds']) assert.equal(props[k].type, 'boolean', k);

  // What the settings become: only numbers and booleans pass; the agent gets its JSON.
  assert.deepEqual(m.detectorOptionsFrom({ nPlusOneMinCount: 3, ignoreComments: false, slowQueryMs: 'fast', burstGapMs: -1 }), { nPlusOneMinCount: 3, ignoreComments: false });
  const settings = { 'agent.sampleIntervalMs': 250, 'agent.heapSamplingIntervalBytes': 65536 };
  const options = JSON.parse(m.agentOptionsFrom((k) => settings[k]));
  assert.deepEqual(options, { sampleIntervalMs: 250, heapSampling: { intervalBytes: 65536 } });
  assert.equal(m.parseOptions(JSON.stringify(options)).sampleIntervalMs, 250, 'the agent reads it');
  assert.equal(m.analysisIntervalFrom(() => 10), 250, 'clamped');
});

// --- LiveAnalyzer over a real SessionStore ---

function hello(pid, t = 1000) {
  return { type: 'hello', pid, t, protocol: 1, nodeVersion: 'v22.1.0', argv: ['/usr/bin/node', '/srv/app.js'], cwd: '/srv' };
}

/** An N+1: one list query then `n` lookups from the same line, in one request scope. */
function nPlusOne(pid, t, n, scopeId = 's1') {
  const scope = { id: scopeId, name: 'GET /posts' };
  const q = (dt, text, line, params) => ({ type: 'query', pid, t: t + dt, durationMs: 0.5, db: 'sqlite', text, scope, callsite: { file: APP, line, column: 5 }, error: false, params });
  return [q(0, 'SELECT * FROM posts', 1), ...Array.from({ length: n }, (_, i) => q(i + 1, 'SELECT * FROM users WHERE id = ?', 3, [String(i)]))];
}

function analyzer(store, settings = {}) {
  const a = new m.LiveAnalyzer(store, {
    intervalMs: () => settings.intervalMs ?? 50,
    detectorOptions: () => ({ ignoreComments: false, ...settings.options }),
    keepFindingsAfterSessionEnds: () => settings.keep ?? true,
    readSource: settings.readSource,
  });
  const changes = [];
  a.on('change', (c) => changes.push(c));
  return { a, changes };
}

const nextChange = (a) => new Promise((resolve) => a.once('change', resolve));

test('LiveAnalyzer: messages in one burst give one analysis and one change; keys are per process', async (t) => {
  const store = new m.SessionStore();
  const { a, changes } = analyzer(store);
  t.after(() => a.dispose());
  const changed = nextChange(a);
  for (const pid of [1, 2]) {
    store.ingest(hello(pid));
    for (const msg of nPlusOne(pid, 2000, 6)) store.ingest(msg);
  }
  const change = await changed;
  assert.equal(a.analyses, 1, 'one analysis for 16 messages that arrived together');
  assert.deepEqual(change.added.map((f) => [f.kind, f.pid, f.data.count]), [['n-plus-one', 1, 6], ['n-plus-one', 2, 6]]);
  assert.equal(change.added[0].id, change.added[1].id, 'same place, same id: the pid tells them apart');

  // More of the same: the finding changes (count), nothing is added.
  const again = nextChange(a);
  for (const msg of nPlusOne(1, 5000, 9, 's2')) store.ingest(msg);
  const second = await again;
  assert.deepEqual([second.added.length, second.removed.length, second.changed.map((f) => [f.pid, f.data.count, f.data.scopes])], [0, 0, [[1, 9, 2]]]);
  assert.equal(changes.length, 2);
});

test('LiveAnalyzer: after a clear, findings keep the store\'s source mapping (a tsc-built app stays on its .ts line)', (t) => {
  const TS = APP.replace(/\.js$/, '.ts');
  const store = new m.SessionStore({ mapLocation: (loc) => (loc.file === APP ? { ...loc, file: TS, line: loc.line + 10 } : loc) });
  const { a } = analyzer(store);
  t.after(() => a.dispose());
  store.ingest(hello(1));
  for (const msg of nPlusOne(1, 2000, 6)) store.ingest(msg);
  assert.deepEqual(a.analyzeNow().map((f) => [f.location.file, f.location.line]), [[TS, 13]]);
  a.clear();
  for (const msg of nPlusOne(1, 4000, 6, 's9')) store.ingest(msg);
  assert.deepEqual(a.analyzeNow().map((f) => [f.location.file, f.location.line]), [[TS, 13]], 'mapped after the clear too');
});

test('LiveAnalyzer: clear forgets until the problem happens again; ended sessions follow the setting', async (t) => {
  const store = new m.SessionStore();
  let keep = true;
  const a = new m.LiveAnalyzer(store, { intervalMs: () => 50, detectorOptions: () => ({ ignoreComments: false }), keepFindingsAfterSessionEnds: () => keep });
  t.after(() => a.dispose());
  store.ingest(hello(1));
  for (const msg of nPlusOne(1, 2000, 6)) store.ingest(msg);
  assert.equal(a.analyzeNow().length, 1);

  const cleared = nextChange(a);
  a.clear();
  assert.deepEqual((await cleared).removed.map((f) => f.kind), ['n-plus-one']);
  assert.deepEqual(a.analyzeNow(), [], 'the old queries do not count after a clear');
  store.ingest({ type: 'memory', pid: 1, t: 3000, heapUsed: 1, heapTotal: 2, rss: 3, external: 0, arrayBuffers: 0 });
  assert.deepEqual(a.analyzeNow(), []);
  for (const msg of nPlusOne(1, 4000, 5, 's9')) store.ingest(msg);
  assert.deepEqual(a.analyzeNow().map((f) => f.data.count), [5], 'found again from new messages');
  assert.equal(a.report().processes[0].metrics.memory.length, 1, 'the report still has every metric');

  store.disconnected(1, 5000);
  assert.equal(a.analyzeNow().length, 1, 'kept after the process ended');
  keep = false;
  a.refresh();
  assert.deepEqual(a.analyzeNow(), [], 'gone when not kept');
});

test('LiveAnalyzer: an unsaved ignore comment (readSource) silences a finding', () => {
  const store = new m.SessionStore();
  const text = { [APP]: SOURCE.join('\n') };
  const a = new m.LiveAnalyzer(store, { intervalMs: () => 50, detectorOptions: () => ({}), readSource: (f) => text[f] });
  store.ingest(hello(1));
  for (const msg of nPlusOne(1, 2000, 6)) store.ingest(msg);
  assert.equal(a.analyzeNow().length, 1);
  const lines = [...SOURCE];
  lines.splice(2, 0, '    // perf-lens-ignore n-plus-one');
  text[APP] = lines.join('\n');
  assert.equal(a.analyzeNow().length, 0);
  a.dispose();
});

test('the Markdown report: findings by kind with relative places, SQL, and a process table', () => {
  const report = {
    version: 1,
    tool: { name: 'perf-lens', version: '0.1.0' },
    startedAt: '2025-01-01T00:00:00.000Z',
    endedAt: '2025-01-01T00:00:30.000Z',
    processes: [{ pid: 42, command: 'node a|b.js', nodeVersion: 'v22.1.0', startedAt: '', endedAt: '', dropped: 0, metrics: { memory: [{ t: 0, heapUsed: 3 * 1024 * 1024, heapTotal: 0, rss: 0, external: 0, arrayBuffers: 0 }], gc: [], eventLoop: [], http: { requests: 10, errors: 0, p50Ms: 1, p95Ms: 4.25, p99Ms: 5 }, queries: [{ fingerprint: 'x', db: 'pg', count: 13, totalMs: 1, p50Ms: 0, p95Ms: 0, maxMs: 0 }] } }],
    findings: [finding({ kind: 'leak', id: 'l', data: {} }), finding()],
  };
  const md = m.formatMarkdownReport(report, '/home/dev/shop');
  assert.match(md, /^# Perf Lens report\n\n1 process · 2 findings · .* \(30\.0 s\)\n/);
  assert.ok(md.indexOf('### N+1 queries (1)') < md.indexOf('### Memory leaks (1)'), 'N+1 first');
  assert.match(md, /- \*\*warning\*\* `src\/routes\/posts\.js:3:18`: N\+1 query/);
  assert.match(md, /  - The "1" query that ran before the repeats \(`src\/routes\/posts\.js:1:15`\)/);
  assert.match(md, /  ```sql\n  SELECT \* FROM users WHERE id = \$1\n  ```/);
  assert.match(md, /\| 42 \| `node a\\\|b\.js` \| v22\.1\.0 \| 3\.0 MB \| 10 \| 4\.3 ms \| 13 \|/);
  assert.match(m.formatMarkdownReport({ ...report, findings: [] }, '/'), /## Findings\n\nNo findings\./);
});

test('LiveAnalyzer: report() runs each detector once and carries the findings it shows', (t) => {
  const store = new m.SessionStore();
  let calls = 0;
  const counting = () => {
    calls++;
    return [];
  };
  const a = new m.LiveAnalyzer(store, {
    intervalMs: () => 50,
    detectorOptions: () => ({ ignoreComments: false }),
    keepFindingsAfterSessionEnds: () => true,
    detectors: [...m.BUILTIN_DETECTORS, counting],
  });
  t.after(() => a.dispose());
  store.ingest(hello(7));
  for (const msg of nPlusOne(7, 2000, 6)) store.ingest(msg);
  const report = a.report();
  assert.equal(calls, 1, 'one session, one run of each detector');
  assert.deepEqual(report.findings.map((f) => [f.kind, f.data.count]), [['n-plus-one', 6]]);
});

test('the editor caps what it keeps per process: perfLens.limits.* with the package defaults, bad values fall back', () => {
  const props = pkg.contributes.configuration.properties;
  assert.equal(props['perfLens.limits.requestsPerProcess'].default, m.EDITOR_SESSION_LIMITS.requestsPerProcess);
  assert.equal(props['perfLens.limits.queriesPerProcess'].default, m.EDITOR_SESSION_LIMITS.queriesPerProcess);
  assert.deepEqual(m.sessionLimitsFrom(() => undefined), { http: 20_000, queries: 20_000 });
  const settings = { 'limits.requestsPerProcess': 100_000, 'limits.queriesPerProcess': 12 };
  assert.deepEqual(m.sessionLimitsFrom((k) => settings[k]), { http: 100_000, queries: 20_000 });
  // a store made with them keeps only the newest
  const store = new m.SessionStore({ limits: { memory: 10, gc: 10, eventLoop: 10, cpu: 10, http: 1000, queries: 1000 } });
  store.ingest(hello(9));
  for (let i = 0; i < 1500; i++) store.ingest({ type: 'http', pid: 9, t: 1000 + i, method: 'GET', route: '/x', status: 200, durationMs: 1, scope: null });
  assert.equal(store.get(9).http.length, 1000);
  assert.equal(store.get(9).httpCount, 1500, 'the count still covers the whole run');
});
