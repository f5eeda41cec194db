'use strict';
// toSarif: SARIF 2.1.0 with one result per finding and physical locations relative to --root.
const { CORE } = require('../../../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { URL, fileURLToPath } = require('node:url');

const { toSarif, buildReport, findingId } = require(CORE);

const ROOT = '/home/dev/project';
const mk = (kind, severity, location, related = [], data = {}) => ({
  id: findingId(kind, location, kind), kind, severity, message: `${kind} here.`, pid: 77, location, related, data,
});
const loc = (file, line, column) => ({ file, line, column });

function sarifOf(findings, root = ROOT) {
  return JSON.parse(JSON.stringify(toSarif(buildReport({ sessions: [], findings }), root)));
}

/** Resolves an artifact location the way a SARIF viewer does (uriBaseId against originalUriBaseIds). */
function resolveUri(run, artifact) {
  if (!artifact.uriBaseId) return new URL(artifact.uri).href;
  return new URL(artifact.uri, run.originalUriBaseIds[artifact.uriBaseId].uri).href;
}

test('the log is SARIF 2.1.0 with the perf-lens driver and one rule per finding kind', () => {
  const findings = [
    mk('n-plus-one', 'warning', loc(`${ROOT}/src/a.js`, 10, 3)),
    mk('leak', 'error', loc(`${ROOT}/src/b.js`, 2, 1)),
    mk('n-plus-one', 'warning', loc(`${ROOT}/src/c.js`, 5, 9)),
  ];
  const sarif = sarifOf(findings);
  assert.equal(sarif.version, '2.1.0');
  assert.match(sarif.$schema, /sarif-2\.1\.0/);
  assert.equal(sarif.runs.length, 1);
  const driver = sarif.runs[0].tool.driver;
  assert.equal(driver.name, 'perf-lens');
  assert.match(driver.version, /^\d+\.\d+\.\d+/);
  assert.deepEqual(driver.rules.map((r) => r.id), ['leak', 'n-plus-one']);
  for (const r of driver.rules) assert.ok(r.shortDescription.text.length > 10);
  const results = sarif.runs[0].results;
  assert.equal(results.length, 3, 'one result per finding');
  for (const [i, r] of results.entries()) {
    assert.equal(r.ruleId, findings[i].kind);
    assert.equal(driver.rules[r.ruleIndex].id, r.ruleId);
    assert.equal(r.message.text, findings[i].message);
    assert.equal(r.partialFingerprints.perfLensFindingId, findings[i].id);
    assert.equal(r.properties.pid, 77);
  }
});

test('levels: error → error, warning → warning, info → note', () => {
  const sarif = sarifOf([
    mk('leak', 'error', null), mk('slow-query', 'warning', null), mk('gc-pressure', 'info', null),
  ]);
  assert.deepEqual(sarif.runs[0].results.map((r) => r.level), ['error', 'warning', 'note']);
});

test('locations are relative to the root, with 1-based startLine/startColumn', () => {
  const sarif = sarifOf([mk('n-plus-one', 'warning', loc(`${ROOT}/src/routes/posts.js`, 42, 17))]);
  const run = sarif.runs[0];
  const [l] = run.results[0].locations;
  assert.deepEqual(l.physicalLocation.artifactLocation, { uri: 'src/routes/posts.js', uriBaseId: '%SRCROOT%' });
  assert.deepEqual(l.physicalLocation.region, { startLine: 42, startColumn: 17 });
  assert.equal(run.originalUriBaseIds['%SRCROOT%'].uri, `file://${ROOT}/`);
  assert.equal(fileURLToPath(resolveUri(run, l.physicalLocation.artifactLocation)), `${ROOT}/src/routes/posts.js`);
  // a root given with a trailing slash means the same
  const again = sarifOf([mk('n-plus-one', 'warning', loc(`${ROOT}/src/routes/posts.js`, 42, 17))], ROOT + '/');
  assert.equal(again.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri, 'src/routes/posts.js');
  assert.equal(again.runs[0].originalUriBaseIds['%SRCROOT%'].uri, `file://${ROOT}/`);
});

test('a finding without a location has no locations; a line or column of 0 becomes 1', () => {
  const sarif = sarifOf([mk('heap-growth', 'warning', null), mk('leak', 'warning', loc(`${ROOT}/x.js`, 0, 0))]);
  assert.deepEqual(sarif.runs[0].results[0].locations, []);
  assert.deepEqual(sarif.runs[0].results[1].locations[0].physicalLocation.region, { startLine: 1, startColumn: 1 });
});

test('files outside the root get an absolute file:// URI', () => {
  const sarif = sarifOf([mk('leak', 'warning', loc('/opt/lib/node_modules/x/index.js', 1, 2))]);
  const artifact = sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation;
  assert.equal(artifact.uri, 'file:///opt/lib/node_modules/x/index.js');
  assert.equal(fileURLToPath(resolveUri(sarif.runs[0], artifact)), '/opt/lib/node_modules/x/index.js');
  const sibling = sarifOf([mk('leak', 'warning', loc('/home/dev/project-old/a.js', 1, 1))]);
  assert.equal(sibling.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri, 'file:///home/dev/project-old/a.js');
});

test('a folder inside the root whose name starts with ".." is still inside it', () => {
  const sarif = sarifOf([mk('leak', 'warning', loc(`${ROOT}/..cache/gen.js`, 3, 4))]);
  const artifact = sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation;
  assert.equal(artifact.uri, '..cache/gen.js');
  assert.equal(artifact.uriBaseId, '%SRCROOT%');
  assert.equal(fileURLToPath(resolveUri(sarif.runs[0], artifact)), `${ROOT}/..cache/gen.js`);
});

test('paths with spaces and URI characters are percent-encoded and resolve back to the file', () => {
  const root = '/home/dev/my project#1';
  const file = `${root}/src/a b%c.js`;
  const sarif = sarifOf([mk('leak', 'warning', loc(file, 1, 1)), mk('leak', 'warning', loc('/tmp/x y/z.js', 1, 1))], root);
  const run = sarif.runs[0];
  const inside = run.results[0].locations[0].physicalLocation.artifactLocation;
  assert.equal(inside.uri, 'src/a%20b%25c.js');
  assert.doesNotThrow(() => new URL(run.originalUriBaseIds['%SRCROOT%'].uri));
  assert.doesNotMatch(run.originalUriBaseIds['%SRCROOT%'].uri, /[ #]/, 'the root URI is encoded');
  assert.equal(fileURLToPath(resolveUri(run, inside)), file);
  const outside = run.results[1].locations[0].physicalLocation.artifactLocation;
  assert.equal(outside.uri, 'file:///tmp/x%20y/z.js');
  assert.equal(fileURLToPath(resolveUri(run, outside)), '/tmp/x y/z.js');
});

test('related information becomes relatedLocations with ids; entries without a location are left out', () => {
  const related = [
    { message: 'the "1" query', location: loc(`${ROOT}/src/a.js`, 4, 2) },
    { message: 'no place', location: null },
    { message: 'called from', location: loc(`${ROOT}/src/b.js`, 8, 1) },
  ];
  const sarif = sarifOf([mk('n-plus-one', 'warning', loc(`${ROOT}/src/a.js`, 10, 3), related, { count: 9, scope: 'GET /' })]);
  const r = sarif.runs[0].results[0];
  assert.deepEqual(r.relatedLocations, [
    {
      id: 1, message: { text: 'the "1" query' },
      physicalLocation: { artifactLocation: { uri: 'src/a.js', uriBaseId: '%SRCROOT%' }, region: { startLine: 4, startColumn: 2 } },
    },
    {
      id: 2, message: { text: 'called from' },
      physicalLocation: { artifactLocation: { uri: 'src/b.js', uriBaseId: '%SRCROOT%' }, region: { startLine: 8, startColumn: 1 } },
    },
  ]);
  assert.deepEqual(r.properties, { pid: 77, count: 9, scope: 'GET /' });
});

test('no findings: an empty results array and no rules', () => {
  const sarif = sarifOf([]);
  assert.deepEqual(sarif.runs[0].results, []);
  assert.deepEqual(sarif.runs[0].tool.driver.rules, []);
});
