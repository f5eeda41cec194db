// Every report a test produces is checked against the published contract, docs/report.schema.json:
// a field the code adds without documenting it, or a type that drifts, fails the test that made it.
const fs = require('node:fs');
const path = require('node:path');
const assert = require('node:assert/strict');
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');
const { ROOT } = require('./build');

const SCHEMA_FILE = path.join(ROOT, 'docs', 'report.schema.json');
let validate = null;

function validator() {
  if (!validate) {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    validate = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')));
  }
  return validate;
}

/** The schema's complaints about `report` as lines (`/findings/0/severity must be equal to one of …`); [] when valid. */
function reportSchemaErrors(report) {
  const v = validator();
  if (v(report)) return [];
  return v.errors.map((e) => `${e.instancePath || '/'} ${e.message}${e.params && e.params.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`);
}

/** Asserts `report` matches docs/report.schema.json and returns it. */
function assertValidReport(report, label = 'report') {
  const errors = reportSchemaErrors(report);
  assert.deepEqual(errors, [], `${label} does not match docs/report.schema.json`);
  return report;
}

/** Looks like a Perf Lens report (not a SARIF log, a load result, a profile or a snapshot-diff file). */
function isReport(value) {
  return Boolean(value) && typeof value === 'object' && value.tool && value.tool.name === 'perf-lens' && ('findings' in value || 'processes' in value);
}

/** Reads a `--json` report file and checks it against the schema. */
function readReport(file) {
  return assertValidReport(JSON.parse(fs.readFileSync(file, 'utf8')), file);
}

module.exports = { SCHEMA_FILE, reportSchemaErrors, assertValidReport, isReport, readReport };
