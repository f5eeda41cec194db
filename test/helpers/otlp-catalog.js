'use strict';
// The severity-express catalog under 8 clients, exporting over OTLP: the app the OTLP fault and
// TLS tests profile. Asserts what must hold whatever the collector does: every request answered,
// the catalog's N+1 in the report.
const assert = require('node:assert/strict');
const path = require('node:path');
const { profileApp, markerAt } = require('./real-app');

const APP = path.join(__dirname, '..', 'fixtures', 'real-apps', 'severity-express');
const PRODUCTS = 40;
const TAG_LOOKUP = markerAt(path.join(APP, 'services/catalog-service.js'), 'product-tag');

/**
 * Runs the catalog with `args` and `env` (a push a second unless `interval` is false); with
 * `holdUntilFile`, the run goes on after the load until that file exists.
 */
async function profileCatalog(args, env = {}, { interval = true, holdUntilFile } = {}) {
  const run = await profileApp({
    holdUntilFile,
    entry: path.join(APP, 'server.js'),
    root: APP,
    env,
    args: [...args, ...(interval ? ['--otlp-interval', '1'] : [])],
    concurrency: 8,
    requests: [{ path: '/catalog/products', times: PRODUCTS }],
    timeoutMs: 90_000,
  });
  assert.deepEqual(run.load.statuses, { 200: PRODUCTS });
  // the report does not depend on the collector: the N+1 is there
  assert.equal(run.findingsAt(TAG_LOOKUP.file, TAG_LOOKUP.line, 'n-plus-one').length, 1, run.describe());
  return run;
}

module.exports = { profileCatalog, TAG_LOOKUP };
