'use strict';
// The extension's reporting, through the bundled extension (dist/extension.js) with VS Code
// replaced by the recording stand-in: the demo app profiled from a profiling terminal and
// driven by demo/load.js; Export Report as HTML (and JSON with key figures), the
// `perfLens.budgets` alert (notification and status bar mark), and Compare with Baseline in a
// static webview.
const { ROOT, DIST } = require('../helpers/build');
const { readReport } = require('../helpers/report-schema');
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { activateExtension, until } = require('../helpers/vscode-fake');

const APP = path.join(ROOT, 'demo', 'app.js');
const ROUTE = 'GET /posts-with-authors';

/** The stand-in lacks a few window APIs these features use: record them. */
function extend(vscode, rec) {
  rec.warnings = [];
  rec.panels = [];
  vscode.window.showWarningMessage = async (m) => void rec.warnings.push(m);
  vscode.window.showOpenDialog = async () => rec.openQueue.shift();
  vscode.window.createWebviewPanel = (viewType, title, column, options) => {
    const panel = { viewType, title, options, webview: { html: '', cspSource: 'vscode-resource:' }, dispose() {} };
    rec.panels.push(panel);
    return panel;
  };
  rec.openQueue = [];
}

/** Activates the extension and starts the demo app in a profiling terminal's environment; resolves once it listens. */
async function profileDemo(t, settings = {}) {
  const ext = activateExtension(DIST, { 'perfLens.liveAnalysisIntervalMs': 250, 'perfLens.openChartsOnConnect': false, ...settings });
  extend(ext.vscode, ext.rec);
  ext.vscode.workspace.workspaceFolders = [{ uri: ext.vscode.Uri.file(ROOT), name: 'work', index: 0 }];
  let child = null;
  let exited = Promise.resolve();
  t.after(async () => {
    child?.kill('SIGKILL');
    await exited;
    await ext.close();
  });
  await ext.rec.commands.get('perfLens.openTerminal')();
  const env = { ...process.env, ...ext.rec.terminals[0].options.env, PORT: '0' };
  child = spawn(process.execPath, [APP], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  exited = new Promise((resolve) => child.once('exit', resolve));
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  await until(() => /listening on (http:\/\/\S+)/.test(stdout), 'the demo app to listen');
  const base = /listening on (http:\/\/\S+)/.exec(stdout)[1];
  const load = () => {
    const res = spawnSync(process.execPath, [path.join(ROOT, 'demo', 'load.js')], { env: { ...process.env, PERF_LENS_URL_BASE: base }, encoding: 'utf8', timeout: 60_000 });
    assert.equal(res.status, 0, res.stderr);
  };
  return { ...ext, child, load };
}

test('Export Report as HTML: one self-contained page with key figures, charts and the N+1 line; JSON carries the figures', async (t) => {
  const { rec, load } = await profileDemo(t);
  load();
  await until(() => rec.collections.find((c) => c.name === 'perf-lens')?.entries.get(APP)?.some((d) => d.code === 'n-plus-one'), 'the N+1 diagnostic');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-export-html-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  await rec.commands.get('perfLens.exportReport')('html', path.join(dir, 'r.html'));
  await rec.commands.get('perfLens.exportReport')('json', path.join(dir, 'r.json'));
  assert.deepEqual(rec.errors, []);
  const html = fs.readFileSync(path.join(dir, 'r.html'), 'utf8');
  assert.doesNotMatch(html, /https?:\/\/|<script|<link/i);
  assert.match(html, /<td><code>GET \/posts-with-authors<\/code><\/td><td class="num">30<\/td>(<td class="num">[^<]*<\/td>){6}<td class="num">21<\/td><\/tr>/);
  assert.match(html, /aria-label="Heap and RSS"/);
  const line = fs.readFileSync(APP, 'utf8').split('\n').findIndex((l) => l.includes('// N+1: one query per post')) + 1;
  assert.match(html, new RegExp(`<span class="hit"><i>${line}</i>    post\\.author = db\\.prepare`));
  assert.match(rec.infos.at(-1), /exported to r\.json/);
  const json = readReport(path.join(dir, 'r.json'));
  assert.equal(json.figures.routes[ROUTE].queriesPerRequest, 21);
});

test('perfLens.budgets: a breach shows a warning and a status bar mark; a malformed setting says why', async (t) => {
  const { rec, load } = await profileDemo(t, { 'perfLens.budgets': { routes: { [ROUTE]: { queriesPerRequest: 5 } }, overall: { errorRate: 0.5 } } });
  load();
  const mark = () => rec.statusItems.find((i) => i.id === 'perfLens.budgets');
  await until(() => rec.warnings.length > 0, 'a budget warning');
  assert.equal(rec.warnings[0], 'Perf Lens: The queries per request of GET /posts-with-authors is 21, over its budget of 5.');
  await until(() => mark()?.visible, 'the status bar mark');
  assert.equal(mark().text, '$(warning) 1 budget');
  assert.match(mark().tooltip, /queries per request of GET \/posts-with-authors is 21/);
  // raised once, not on every check
  await new Promise((r) => setTimeout(r, 3500));
  assert.equal(rec.warnings.length, 1);

  // A budget met: the mark goes. A malformed one: an error naming the problem.
  rec.settings['perfLens.budgets'] = { routes: { [ROUTE]: { queriesPerRequest: 25 } } };
  for (const l of rec.configListeners) l({ affectsConfiguration: (s) => s === 'perfLens' });
  assert.equal(mark().visible, false);
  rec.settings['perfLens.budgets'] = { routes: { [ROUTE]: { queriesPerReq: 25 } } };
  for (const l of rec.configListeners) l({ affectsConfiguration: (s) => s === 'perfLens' });
  assert.match(rec.errors.at(-1), /^Perf Lens: The setting perfLens\.budgets is not valid: unknown figure "queriesPerReq" in routes\["GET \/posts-with-authors"\]/);
});

test('Compare with Baseline: two picked reports side by side in a static webview with a strict CSP', async (t) => {
  const { rec, vscode, load } = await profileDemo(t);
  load();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-compare-view-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  await until(() => rec.collections.find((c) => c.name === 'perf-lens')?.entries.get(APP)?.length, 'a diagnostic');
  const base = path.join(dir, 'before.json');
  const head = path.join(dir, 'after.json');
  await rec.commands.get('perfLens.exportReport')('json', base);
  const report = readReport(base);
  fs.writeFileSync(head, JSON.stringify({ ...report, findings: [] }));

  rec.openQueue.push([vscode.Uri.file(base)], [vscode.Uri.file(head)]);
  await rec.commands.get('perfLens.compareWithBaseline')();
  assert.deepEqual(rec.errors, []);
  const panel = rec.panels.at(-1);
  assert.equal(panel.viewType, 'perfLens.compare');
  assert.equal(panel.title, 'Perf Lens: before.json → after.json');
  assert.equal(panel.options.enableScripts, false);
  const html = panel.webview.html;
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)[1];
  assert.match(csp, /^default-src 'none'; style-src 'nonce-[A-Za-z0-9+/=]+';$/);
  assert.doesNotMatch(html, /<script|https?:\/\//i);
  assert.match(html, /<h2><code>GET \/posts-with-authors<\/code><\/h2><table>/);
  assert.match(html, /<td>queries per request<\/td><td class="num">21<\/td><td class="num">21<\/td>/);
  assert.match(html, /<h2>Fixed findings \(1\)<\/h2><ul><li><strong>info<\/strong> <code>demo\/app\.js:24:\d+<\/code> n-plus-one/);
  assert.match(html, /0 better, 0 worse, 0 new findings, 1 fixed: no regression\./);

  // A file that is not a report: one error, no panel.
  fs.writeFileSync(path.join(dir, 'x.json'), '{"hello": 1}');
  await rec.commands.get('perfLens.compareWithBaseline')(path.join(dir, 'x.json'), head);
  assert.equal(rec.errors.at(-1), 'Perf Lens: x.json is not a Perf Lens JSON report (perf-lens run --json).');
  assert.equal(rec.panels.length, 1);
});
