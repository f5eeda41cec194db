'use strict';
// docs/report.schema.json is the report's contract: a report analysed from real sessions (an N+1,
// a slow query and duplicates in requests, key figures) matches it, and the schema rejects what
// the contract forbids, naming where. docs/report.md documents every top-level field.
const { ROOT, CORE } = require('../../../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { reportSchemaErrors, assertValidReport, SCHEMA_FILE } = require('../../../helpers/report-schema');
const { T0, APP, hello, request, memory } = require('../../../fixtures/reporting/messages');

const { SessionStore, analyzeSessions, withFigures, initDetectors } = require(CORE);

function analysedReport() {
  const store = new SessionStore();
  store.ingest(hello(1));
  for (let i = 0; i < 6; i++) store.ingest(memory(1, T0 + i * 1000, 10e6 + i * 1e5));
  for (let r = 0; r < 5; r++) for (const m of request({ t: T0 + 500 + r * 300, queries: 8, durationMs: 40 })) store.ingest(m);
  // a slow query and the same query with the same values three times, in one request
  store.ingest({ type: 'query', pid: 1, t: T0 + 4000, durationMs: 250, db: 'postgres', text: 'SELECT count(*) FROM orders', scope: null, callsite: { file: APP, line: 20, column: 3 }, error: false });
  for (let i = 0; i < 3; i++) {
    store.ingest({ type: 'query', pid: 1, t: T0 + 4100 + i, durationMs: 1, db: 'postgres', text: "SELECT * FROM settings WHERE key = 'theme'", scope: { id: 'dup', name: 'GET /home' }, callsite: { file: APP, line: 30 + i, column: 3 }, error: false });
  }
  store.ingest({ type: 'http', pid: 1, t: T0 + 4200, method: 'GET', route: '/home', status: 200, durationMs: 110, scope: 'dup' });
  store.ingest({ type: 'bye', pid: 1, t: T0 + 6000 });
  return withFigures(analyzeSessions(store.sessions), store.sessions);
}

test.before(() => initDetectors());

test('a report analysed from real sessions, with key figures, matches docs/report.schema.json', () => {
  const report = analysedReport();
  const kinds = report.findings.map((f) => f.kind).sort();
  assert.deepEqual(kinds, ['duplicate-query', 'n-plus-one', 'slow-query']);
  assertValidReport(report);
  assertValidReport(JSON.parse(JSON.stringify(report)), 'the report as written to disk');
});

test('the schema rejects a missing field, an unknown severity and an undocumented field, naming where', () => {
  const report = analysedReport();
  const broken = JSON.parse(JSON.stringify(report));
  delete broken.processes[0].metrics.http.p95Ms;
  broken.findings[0].severity = 'fatal';
  broken.surprise = true;
  const errors = reportSchemaErrors(broken);
  assert.ok(errors.some((e) => e.startsWith('/processes/0/metrics/http') && /p95Ms/.test(e)), errors.join('\n'));
  assert.ok(errors.some((e) => e.startsWith('/findings/0/severity')), errors.join('\n'));
  assert.ok(errors.some((e) => /surprise/.test(e)), errors.join('\n'));
  const nPlusOne = JSON.parse(JSON.stringify(report.findings.find((f) => f.kind === 'n-plus-one')));
  delete nPlusOne.data.fingerprint;
  assert.ok(reportSchemaErrors({ ...report, findings: [nPlusOne] }).some((e) => /fingerprint/.test(e)), 'per-kind data fields are checked');
});

test('docs/report.md documents every top-level field and every finding kind of the schema', () => {
  const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8'));
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'report.md'), 'utf8');
  for (const field of Object.keys(schema.properties)) assert.ok(doc.includes(`\`${field}\``), `report.md names \`${field}\``);
  for (const kind of schema.$defs.finding.properties.kind.enum) assert.ok(doc.includes(`\`${kind}\``), `report.md names \`${kind}\``);
});
