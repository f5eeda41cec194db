'use strict';
// End-to-end smoke test in a real VS Code (code-server 4.100.3 + headless chromium): our .vsix
// installs, activates from the command palette, launches the open file with the agent, and the
// status bar counts the process. Needs `npm run package` and scripts/install-code-server.sh.
// PERF_LENS_VSIX overrides the .vsix; screenshots go to test-results/.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const cs = require('./helpers/code-server');

const VSIX = path.resolve(process.env.PERF_LENS_VSIX || path.join(cs.ROOT, 'perf-lens.vsix'));
const RESULTS = path.join(cs.ROOT, 'test-results');

/** Runs a command from the palette by its full title. */
async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ state: 'visible' });
  await input.press('Enter');
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('the .vsix installs in code-server, activates, and counts a launched file in the status bar', { timeout: 240_000 }, async (t) => {
  const missing = cs.missingPrerequisite(VSIX);
  assert.equal(missing, null, missing ?? '');
  fs.mkdirSync(RESULTS, { recursive: true });
  const dirs = cs.makeDirs();
  let server;
  let browser;
  let appPid;
  t.after(async () => {
    await browser?.close();
    await cs.stopCodeServer(server);
    if (appPid && isAlive(appPid)) process.kill(appPid, 'SIGKILL');
    fs.rmSync(dirs.base, { recursive: true, force: true });
  });

  const installed = await cs.installExtension(dirs, VSIX);
  assert.match(installed, /was successfully installed/);
  const folders = fs.readdirSync(dirs.extensions).filter((f) => f.startsWith('perf-lens.perf-lens-'));
  assert.equal(folders.length, 1, `one perf-lens folder in ${fs.readdirSync(dirs.extensions)}`);

  server = await cs.startCodeServer(dirs);
  browser = await cs.launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const shot = (name) => page.screenshot({ path: path.join(RESULTS, `e2e-smoke-${name}.png`) });
  try {
    await page.goto(server.url);
    await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });

    // The side bar's Perf Lens view (this activates the extension) invites to start.
    await page.locator('.activitybar .action-item a[aria-label^="Perf Lens"]').click();
    const welcome = page.getByText('No Node.js process is reporting to Perf Lens.');
    await welcome.waitFor({ state: 'visible', timeout: 30_000 });
    await shot('welcome');

    // Open the fixture through Quick Open, as a user would.
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.fill('app.js');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'app.js' }).first().waitFor();
    await input.press('Enter');
    await page.locator('.tab.active', { hasText: 'app.js' }).waitFor();

    await runCommand(page, 'Perf Lens: Launch Current File with Profiling');
    const status = page.locator('.statusbar-item', { hasText: /Perf Lens: 1 process$/ });
    await status.waitFor({ state: 'visible', timeout: 60_000 });
    await shot('launched');

    // The view lists the process with its pid: the pid of the fixture app in the terminal.
    const row = page.locator('.monaco-list-row', { hasText: 'app.js' }).filter({ hasText: /pid \d+/ }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    appPid = Number(/pid (\d+)/.exec(await row.innerText())[1]);
    assert.ok(isAlive(appPid), `process ${appPid} shown in the view is running`);
    const cmdline = fs.readFileSync(`/proc/${appPid}/cmdline`, 'utf8').split('\0');
    assert.equal(path.basename(cmdline[1] ?? ''), 'app.js', `pid ${appPid} runs ${cmdline.join(' ')}`);

    // Activation time as VS Code itself reports it.
    await runCommand(page, 'Developer: Show Running Extensions');
    const ext = page.locator('.extension-list-item, .monaco-list-row', { hasText: 'Perf Lens' }).first();
    await ext.waitFor({ state: 'visible', timeout: 15_000 });
    const activation = /(\d+)\s*ms/.exec(await ext.innerText());
    t.diagnostic(`activation reported by VS Code: ${activation ? `${activation[1]} ms` : 'not shown'}`);
    await shot('running-extensions');

    await runCommand(page, 'Perf Lens: Stop Profiling');
    await status.waitFor({ state: 'hidden', timeout: 15_000 });
    await waitUntil(() => !isAlive(appPid), 15_000, `the launched app (pid ${appPid}) to end when its terminal closed`);
    await welcome.waitFor({ state: 'visible', timeout: 15_000 });
    await shot('stopped');
  } catch (err) {
    await shot('failure').catch(() => {});
    fs.writeFileSync(path.join(RESULTS, 'e2e-smoke-code-server.log'), server?.log.join('') ?? '');
    throw err;
  }
});
