'use strict';
// perfLens.metricsPort in the editor: the bundled extension (dist/extension.js) with VS Code
// replaced by the recording stand-in (test/helpers/vscode-fake.js). While profiling runs,
// /metrics on 127.0.0.1 serves the series of the processes reporting to the window (a real
// Node process with an N+1 over better-sqlite3, started with the profiling terminal's
// environment) and the live N+1 finding; Stop closes it; a port already taken is one error
// message naming it.
const { ROOT, DIST } = require('../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { activateExtension, until } = require('../helpers/vscode-fake');
const { freePort } = require('../helpers/ports');
const { eventually } = require('../helpers/prometheus');

const APP = path.join(ROOT, 'test', 'fixtures', 'extension', 'n-plus-one-app.cjs');

function accepts(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

test('perfLens.metricsPort serves the window\'s processes and findings while profiling runs, and stops with it', { timeout: 90_000 }, async (t) => {
  const port = await freePort();
  const ext = activateExtension(DIST, { 'perfLens.metricsPort': port, 'perfLens.liveAnalysisIntervalMs': 250, 'perfLens.openChartsOnConnect': false });
  let child = null;
  t.after(async () => {
    child?.kill('SIGKILL');
    await ext.close();
  });
  assert.equal(await accepts(port), false, 'nothing served before profiling starts');

  await ext.rec.commands.get('perfLens.openTerminal')();
  const env = ext.rec.terminals[0].options.env;
  child = spawn(process.execPath, [APP], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/metrics`;
  const pid = String(child.pid);
  const text = await eventually(async () => {
    const body = await (await fetch(url)).text();
    // no workspace folder in the stand-in: OpenTelemetry's default service name
    return body.includes(`perf_lens_findings{pid="${pid}",service="unknown_service:node",instance="${os.hostname()}",kind="n-plus-one"`) && body;
  }, 'the N+1 finding of the profiled process in /metrics');
  assert.match(text, new RegExp(`perf_lens_process_up\\{pid="${pid}",[^}]*\\} 1\\n`));
  assert.match(text, new RegExp(`perf_lens_query_duration_seconds_count\\{pid="${pid}",[^}]*db="sqlite",fingerprint="select id, name from authors where id = \\?"\\} 12\\n`));
  assert.deepEqual(ext.rec.errors, []);

  await ext.rec.commands.get('perfLens.stop')();
  await eventually(async () => !(await accepts(port)), 'the endpoint closed with the session');
});

test('a metricsPort already in use is one error message naming it; profiling goes on', { timeout: 60_000 }, async (t) => {
  const taken = net.createServer();
  await new Promise((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.after(() => taken.close());
  const port = taken.address().port;
  const ext = activateExtension(DIST, { 'perfLens.metricsPort': port, 'perfLens.openChartsOnConnect': false });
  t.after(() => ext.close());
  await ext.rec.commands.get('perfLens.openTerminal')();
  await until(() => ext.rec.errors.length > 0, 'an error message');
  assert.deepEqual(ext.rec.errors, [`The metrics port ${port} is already in use on 127.0.0.1: change perfLens.metricsPort.`]);
  assert.equal(ext.rec.context.get('perfLens.running'), true, 'the session runs without the endpoint');
});
