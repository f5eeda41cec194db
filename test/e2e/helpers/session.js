'use strict';
// One e2e test's world: a temp workspace with a copy of the demo, our .vsix installed in a fresh
// code-server, a headless chromium page of 1280×800 on it. Everything is stopped in t.after.
const { ROOT } = require('../../helpers/build');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const cs = require('./code-server');
const { copyDemo } = require('./demo');
const { Workbench, RESULTS } = require('./workbench');

const VSIX = path.resolve(process.env.PERF_LENS_VSIX || path.join(cs.ROOT, 'perf-lens.vsix'));
const VIEWPORT = { width: 1280, height: 800 };

/**
 * Starts it all for test `t`; `settings` are added to the user settings, `prefix` names the
 * screenshots. Returns { dirs, demo, server, page, wb, cleanup: [] } — push async stoppers to
 * `cleanup` to have them run (last first) before code-server and the browser stop.
 */
async function openSession(t, { prefix, settings = {} }) {
  const missing = cs.missingPrerequisite(VSIX);
  assert.equal(missing, null, missing ?? '');
  const dirs = cs.makeDirs(settings);
  const demo = copyDemo(dirs.workspace);
  const session = { dirs, demo, server: null, browser: null, page: null, wb: null, cleanup: [] };
  t.after(async () => {
    for (const stop of session.cleanup.reverse()) await stop().catch(() => {});
    await session.browser?.close().catch(() => {});
    await cs.stopCodeServer(session.server);
    fs.rmSync(dirs.base, { recursive: true, force: true });
  });

  const installed = await cs.installExtension(dirs, VSIX);
  assert.match(installed, /was successfully installed/, `installing ${VSIX} said:\n${installed}`);
  session.server = await cs.startCodeServer(dirs);
  session.browser = await cs.launchBrowser();
  session.page = await session.browser.newPage({ viewport: VIEWPORT });
  session.wb = new Workbench(session.page, prefix);
  await session.page.goto(session.server.url);
  await session.wb.waitForWorkbench();
  return session;
}

/**
 * Runs the steps of a test; when one fails, the error says which step, and points at a
 * screenshot of the page and the code-server log, both in test-results/.
 */
async function steps(session, body) {
  let current = 'start';
  const step = (name) => {
    current = name;
  };
  try {
    await body(step);
  } catch (err) {
    const prefix = session.wb?.prefix ?? 'e2e';
    const shot = await session.wb?.shot('failure').catch(() => null);
    const log = path.join(RESULTS, `${prefix}-code-server.log`);
    fs.mkdirSync(RESULTS, { recursive: true });
    fs.writeFileSync(log, session.server?.log.join('') ?? '');
    err.message = `[step: ${current}] ${err.message}\n  screenshot: ${shot ?? '(none)'}\n  code-server log: ${log}`;
    throw err;
  }
}

module.exports = { openSession, steps, VSIX };
