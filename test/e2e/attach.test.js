'use strict';
// End to end in a real VS Code (code-server 4.100.3 + headless chromium): the demo is started
// outside VS Code (`node demo/app.js`, a child of this test), a user runs "Perf Lens: Attach
// to Node Process" from the command palette, picks it by its pid, drives load, and sees the
// process in the side bar and the N+1 on its line in the Problems panel.
// Attaching opens the app's inspector with SIGUSR1 on 127.0.0.1:9229, so this test needs 9229
// free and nothing else in the e2e tests uses it.
const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { freePort } = require('../helpers/ports');
const { openSession, steps } = require('./helpers/session');
const { runLoad, startDemo } = require('./helpers/demo');
const { waitFor } = require('./helpers/workbench');

const INSPECTOR_PORT = 9229;

/** Whether something accepts connections on 127.0.0.1:port. */
function listening(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

test('attach to a Node process started outside VS Code: process in the side bar, N+1 problem on its line', { timeout: 240_000 }, async (t) => {
  const session = await openSession(t, { prefix: 'e2e-attach' });
  const { wb, demo, dirs } = session;

  await steps(session, async (step) => {
    step(`the inspector port ${INSPECTOR_PORT} is free`);
    // Another Node process with its inspector open there would make SIGUSR1 fail in ours.
    await waitFor(`127.0.0.1:${INSPECTOR_PORT} to be free (the attach opens the app's inspector there)`, () => listening(INSPECTOR_PORT), (busy) => !busy, { timeoutMs: 30_000 });

    step('start the demo outside VS Code');
    const appPort = await freePort();
    const app = await startDemo(dirs.workspace, appPort);
    session.cleanup.push(app.stop);
    const base = `http://127.0.0.1:${appPort}`;

    step('Attach to Node Process: pick the demo by its pid');
    await wb.openPerfLens();
    await wb.runCommand('Perf Lens: Attach to Node Process');
    const input = wb.quickInput();
    await input.waitFor({ state: 'visible' });
    await input.fill(String(app.pid));
    const rowOf = (r) => r.includes('demo/app.js') && new RegExp(`(?<!\\d)${app.pid}(?!\\d)`).test(r);
    await waitFor(`the quick pick to offer "node demo/app.js" with pid ${app.pid}`, () => wb.quickRows(), (rows) => rows.some(rowOf));
    await wb.shot('1-quick-pick');
    await wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ hasText: 'demo/app.js' }).filter({ hasText: String(app.pid) }).first().click();

    step('the Processes view lists the attached app');
    await waitFor(`a row with "pid ${app.pid}" in the Processes view`, () => wb.viewRows('Processes'), (r) => r.some((x) => x.includes(`pid ${app.pid}`)), { timeoutMs: 30_000 });
    assert.equal(app.child.exitCode, null, `the demo keeps running after the attach:\n${app.output()}`);
    await wb.shot('2-attached');

    step('drive load: the N+1 shows in the Problems panel on its line');
    t.diagnostic(await runLoad(demo.load, base));
    const nPlusOne = new RegExp(`^N\\+1 query[^]*\\bperf-lens\\W+n-plus-one\\W+\\[Ln ${demo.nPlusOneLine}, Col \\d+\\]`);
    await waitFor(`a perf-lens(n-plus-one) problem at [Ln ${demo.nPlusOneLine}, …] under app.js`, () => wb.problems(), (r) => r.some((x) => nPlusOne.test(x)) && r.some((x) => /app\.js/.test(x)), { timeoutMs: 30_000 });
    await waitFor(`the Findings view to show the N+1 at demo/app.js:${demo.nPlusOneLine}`, () => wb.viewRows('Findings'), (r) => r.some((x) => x.includes(`app.js:${demo.nPlusOneLine}`)));
    await wb.shot('3-problems');
  });
});
