'use strict';
// End to end in a real VS Code (code-server 4.100.3 + headless chromium): the .vsix installs,
// a user opens demo/app.js, runs "Perf Lens: Launch Current File with Profiling" from the
// command palette, drives load, and sees the N+1 as a problem on its line, the process in the
// side bar, and live charts that keep drawing. Also takes the README's screenshots
// (test-results/readme-*.png; with E2E_SCREENSHOTS_TO_DOCS=1 also copied to docs/images/).
// Needs `npm run package` and scripts/install-code-server.sh (`npm run test:e2e` does both).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { freePort, waitForPort } = require('../helpers/ports');
const { openSession, steps } = require('./helpers/session');
const { runLoad } = require('./helpers/demo');
const { waitFor } = require('./helpers/workbench');

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The Count cell of the top-queries row of the N+1 query (authors by id), or 0. */
function authorsQueryCount(view) {
  const row = view.queries.find((cells) => /from authors where id/i.test(cells[0] ?? ''));
  return row ? Number(row[2]) : 0;
}

/** Reads the charts until two reads 1.5 s apart show the same N+1 count (above 0). */
async function settledCharts(wb) {
  let previous = -1;
  return waitFor(
    'the N+1 query to show in Top queries with a settled count',
    () => wb.readCharts(),
    (v) => {
      const n = authorsQueryCount(v);
      const settled = n > 0 && n === previous;
      previous = n;
      return settled;
    },
    { timeoutMs: 20_000, everyMs: 1500, describe: describeCharts },
  );
}

/** The charts' state, short enough for a failure message. */
function describeCharts(v) {
  if (!v) return String(v);
  return JSON.stringify({ ...v, queries: v.queries.slice(0, 5).map((q) => [q[0].slice(0, 60), q[2]]) });
}

test('launch the current file with profiling: N+1 problem on its line, process in the side bar, live charts', { timeout: 300_000 }, async (t) => {
  const appPort = await freePort();
  // The launched app runs in a VS Code terminal: this is how it learns its port there.
  const session = await openSession(t, { prefix: 'e2e-launch', settings: { 'terminal.integrated.env.linux': { PORT: String(appPort) } } });
  const { wb, demo, page } = session;
  const base = `http://127.0.0.1:${appPort}`;
  let appPid;
  session.cleanup.push(async () => {
    if (appPid && isAlive(appPid)) process.kill(appPid, 'SIGKILL');
  });

  await steps(session, async (step) => {
    step('the Perf Lens side bar invites to start');
    await wb.openPerfLens();
    await waitFor('the Processes view welcome text', () => wb.viewText('Processes'), (s) => s.includes('No Node.js process is reporting to Perf Lens.'));
    await wb.shot('1-welcome');

    step('launch demo/app.js from the command palette');
    await wb.openFile('demo/app.js');
    await wb.runCommand('Perf Lens: Launch Current File with Profiling');
    await waitForPort(appPort, 60_000);

    step('the Processes view lists the launched app');
    const rows = await waitFor('a row "app.js … pid N" in the Processes view', () => wb.viewRows('Processes'), (r) => r.some((x) => /app\.js/.test(x) && /pid \d+/.test(x)), { timeoutMs: 30_000 });
    const row = rows.find((x) => /app\.js/.test(x) && /pid \d+/.test(x));
    appPid = Number(/pid (\d+)/.exec(row)[1]);
    const cmdline = fs.readFileSync(`/proc/${appPid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    assert.equal(cmdline.at(-1), demo.app, `pid ${appPid} shown in the view runs ${cmdline.join(' ')}`);
    await waitFor('the status bar to count 1 process', () => wb.statusItems(), (items) => items.some((s) => /^1 · .*findings?$/.test(s.trim())));
    await wb.shot('2-launched');

    step('VS Code reports the activation time');
    await wb.runCommand('Developer: Show Running Extensions');
    const ext = page.locator('.extension-list-item, .monaco-list-row', { hasText: 'Perf Lens' }).first();
    await ext.waitFor({ state: 'visible', timeout: 15_000 });
    const activation = /(\d+)\s*ms/.exec(await ext.innerText());
    t.diagnostic(`activation reported by VS Code: ${activation ? `${activation[1]} ms` : 'not shown'}`);
    await wb.closeEditor('Running Extensions');

    step('the charts panel opens on connect');
    const before = await waitFor('the charts webview to show the app', () => wb.readCharts(), (v) => v.processes.some((p) => p.includes(`pid ${appPid}`)) && /heap/.test(v.summary), { timeoutMs: 30_000, describe: describeCharts });

    step('drive load: the N+1 shows in the Problems panel on its line');
    t.diagnostic(await runLoad(demo.load, base));
    const nPlusOne = new RegExp(`^N\\+1 query[^]*\\bperf-lens\\W+n-plus-one\\W+\\[Ln ${demo.nPlusOneLine}, Col \\d+\\]`);
    const problems = await waitFor(`a perf-lens(n-plus-one) problem at [Ln ${demo.nPlusOneLine}, …] under app.js`, () => wb.problems(), (r) => r.some((x) => nPlusOne.test(x)) && r.some((x) => /app\.js/.test(x)), { timeoutMs: 30_000 });
    t.diagnostic(`problems: ${JSON.stringify(problems)}`);
    await wb.shot('3-problems');

    step('the charts keep drawing as load goes on');
    // Every N+1 query the app ran is counted in Top queries: a second, identical round of
    // load must double the count of the first (read once it has settled).
    const afterOne = await settledCharts(wb);
    const firstRound = authorsQueryCount(afterOne);
    t.diagnostic(await runLoad(demo.load, base));
    const afterTwo = await waitFor(
      `the N+1 query's count in Top queries to double (from ${firstRound}) after a second round of load`,
      () => wb.readCharts(),
      (v) => authorsQueryCount(v) === 2 * firstRound,
      { timeoutMs: 15_000, describe: describeCharts },
    );
    t.diagnostic(`charts before load: ${describeCharts(before)}`);
    t.diagnostic(`charts after two rounds: ${describeCharts(afterTwo)}`);
    assert.match(afterTwo.summary, /heap [\d.]+ [KMG]?B · RSS [\d.]+ [KMG]?B · loop p99 [\d.]+ m?s · [\d.]+k? req\/s/, 'the summary line shows heap, RSS, loop delay and requests');
    // Every chart was redrawn, and the requests chart now plots the load where it had flat
    // lines at zero: many more coloured (data) pixels than before.
    for (const id of Object.keys(before.charts)) {
      assert.notEqual(afterTwo.charts[id].hash, before.charts[id].hash, `the ${id} chart was redrawn`);
    }
    assert.equal(afterTwo.charts.cache, undefined, 'no cache chart for an app that reads no cache');
    const http = { before: before.charts.http.colored, after: afterTwo.charts.http.colored };
    assert.ok(http.after > 1.5 * http.before + 100, `the requests chart draws the load (coloured pixels before and after): ${JSON.stringify(http)}`);
    assert.ok(afterTwo.findings > 0, 'the charts panel lists the findings');
    await wb.shot('4-charts');

    step('README: the N+1 in the editor, its hover and the Problems panel');
    await wb.closeEditor('Perf Lens: Live Charts');
    await wb.page.locator('.tab', { hasText: 'app.js' }).click();
    await wb.problems();
    await wb.goToLine(demo.nPlusOneLine, 80);
    await wb.runCommand('Show or Focus Hover');
    const hover = wb.page.locator('.monaco-hover:visible', { hasText: 'Perf Lens · N+1 queries' });
    await hover.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match(await hover.innerText(), /select id, name from authors where id = \?/i, 'the hover shows the repeated query');
    await wb.readmeShot('diagnostics');
    await page.keyboard.press('Escape');

    step('the Findings view groups the N+1, and a click on it opens its line');
    await wb.hidePanel();
    await wb.goToLine(1);
    await wb.widenSideBar(480);
    await waitFor('the Findings view to group the N+1', () => wb.viewRows('Findings'), (r) => r.some((x) => /^N\+1 queries \(\d+\)/.test(x)) && r.some((x) => x.includes(`app.js:${demo.nPlusOneLine}`)));
    await wb.viewPane('Findings').locator('.monaco-list-row', { hasText: 'N+1 query:' }).click();
    await waitFor(`the editor's cursor on line ${demo.nPlusOneLine}`, () => wb.statusItems(), (items) => items.some((s) => s.startsWith(`Ln ${demo.nPlusOneLine}, Col`)));
    await page.mouse.move(900, 600); // off the sash, so it is not drawn highlighted
    await wb.readmeShot('side-panel');

    step('Show Live Charts brings the panel back with its data');
    await wb.runCommand('Perf Lens: Show Live Charts');
    const reopened = await waitFor('the reopened charts panel to show the counts it had', () => wb.readCharts(), (v) => authorsQueryCount(v) === authorsQueryCount(afterTwo), { describe: describeCharts });
    assert.ok(reopened.findings > 0);
    await wb.widenSideBar(300);
    await wb.runCommand('View: Toggle Maximize Editor Group');
    await wb.hidePanel();
    await new Promise((r) => setTimeout(r, 1500)); // a few more live updates drawn
    await wb.readmeShot('charts');
    await wb.runCommand('View: Toggle Maximize Editor Group');

    step('Stop Profiling ends the app and keeps its findings');
    await wb.runCommand('Perf Lens: Stop Profiling');
    await waitFor(`the launched app (pid ${appPid}) to end`, async () => isAlive(appPid), (alive) => !alive, { timeoutMs: 15_000 });
    await waitFor('the status bar to say stopped with the findings kept', () => wb.statusItems(), (items) => items.some((s) => /^stopped · [1-9]\d* findings?$/.test(s.trim())), { timeoutMs: 15_000 });
    const kept = await wb.problems();
    assert.ok(kept.some((x) => nPlusOne.test(x)), `the N+1 problem stays after the session: ${JSON.stringify(kept)}`);
    await wb.shot('5-stopped');
  });
});
