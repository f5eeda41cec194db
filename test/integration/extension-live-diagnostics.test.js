'use strict';
// The bundled extension (dist/extension.js) end to end, with VS Code replaced by the recording
// stand-in of extension-vscode-fake.js: a real Node process with an N+1 over better-sqlite3,
// started with the profiling terminal's environment, reports to the real session server; the
// live analysis turns it into a diagnostic on the N+1 line, a row in the Findings view, a count
// in the status bar, a hover with the numbers and three quick fixes; settings apply live.
//
const { ROOT, DIST } = require('../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { activateExtension, until } = require('../helpers/vscode-fake');
const { markers } = require('../fixtures/capture/markers');

const APP = path.join(ROOT, 'test', 'fixtures', 'extension', 'n-plus-one-app.cjs');
const LINES = markers(APP);
const N_PLUS_ONE_LINE = LINES.get('n-plus-one');
const APP_TEXT = fs.readFileSync(APP, 'utf8');

/** Activates the extension, opens a profiling terminal and starts the app with its environment. */
async function profileApp(t, settings = {}) {
  const ext = activateExtension(DIST, { 'perfLens.liveAnalysisIntervalMs': 250, 'perfLens.openChartsOnConnect': false, ...settings });
  let child = null;
  let exited = Promise.resolve();
  t.after(async () => {
    child?.kill('SIGKILL');
    await exited;
    await ext.close();
  });
  await ext.rec.commands.get('perfLens.openTerminal')();
  const env = ext.rec.terminals[0].options.env;
  child = spawn(process.execPath, [APP], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  return { ...ext, env, child, stop, stderr: () => stderr };
}

const collectionOf = (rec) => rec.collections.find((c) => c.name === 'perf-lens');
const appDiagnostics = (rec) => collectionOf(rec).entries.get(APP) ?? [];
const nPlusOneDiagnostic = (rec) => appDiagnostics(rec).find((d) => d.code === 'n-plus-one');

/** A text document as the stand-in's hover and code action providers see it. */
function document(vscode, text) {
  const lines = text.split('\n');
  return { uri: vscode.Uri.file(APP), lineCount: lines.length, lineAt: (i) => ({ text: lines[i] }), getText: () => text };
}

test('an N+1 in a profiled process becomes a diagnostic on its line, with hover, quick fixes, view row and status', async (t) => {
  const { rec, vscode, child, stderr } = await profileApp(t, { 'perfLens.agent.sampleIntervalMs': 200, 'perfLens.openChartsOnConnect': true });
  assert.equal(rec.terminals[0].options.env.PERF_LENS_OPTIONS, '{"sampleIntervalMs":200,"heapSampling":true}');

  await until(() => nPlusOneDiagnostic(rec), `a diagnostic on ${APP}:${N_PLUS_ONE_LINE} (stderr: ${stderr()})`);
  const d = nPlusOneDiagnostic(rec);
  const lineText = APP_TEXT.split('\n')[N_PLUS_ONE_LINE - 1];
  assert.equal(d.source, 'perf-lens');
  assert.equal(d.range.start.line, N_PLUS_ONE_LINE - 1, 'on the line of the repeated query');
  assert.equal(d.range.end.line, N_PLUS_ONE_LINE - 1);
  assert.ok(d.range.start.character >= lineText.indexOf('post.author') && d.range.start.character < lineText.indexOf(';'), `from the call (${d.range.start.character})`);
  assert.equal(d.range.end.character, lineText.indexOf(';') + 1, 'to the end of the code, before the trailing comment');
  assert.match(d.message, /N\+1 query: .*ran 12 times/);
  assert.equal(d.severity, vscode.DiagnosticSeverity.Information, '12 fast repeats on SQLite cost far under 50 ms: info, whatever the count');
  assert.match(d.message, /Reported as info: the repeats cost [\d.]+ ms in all in the costliest (request|burst)/);
  const one = d.relatedInformation.find((r) => /The "1" query/.test(r.message));
  assert.ok(one, 'the "1" query as related information');
  assert.equal(one.location.uri.fsPath, APP);
  assert.equal(one.location.range.start.line, LINES.get('one') - 1);

  // Hover: the numbers as a Markdown table.
  const doc = document(vscode, APP_TEXT);
  const hover = rec.hovers[0].provideHover(doc, new vscode.Position(N_PLUS_ONE_LINE - 1, d.range.start.character + 2));
  assert.ok(hover, 'a hover on the diagnostic');
  assert.match(hover.contents.value, /\| count \| 12 \|/);
  assert.match(hover.contents.value, /\| total \| \d+(\.\d)? ms \|/);
  assert.match(hover.contents.value, /```sql\nSELECT id, name FROM authors WHERE id = \?\n```/);
  assert.equal(rec.hovers[0].provideHover(doc, new vscode.Position(N_PLUS_ONE_LINE - 3, 0)), undefined, 'no hover elsewhere');

  // Quick fixes.
  const actions = rec.codeActions[0].provider.provideCodeActions(doc, d.range, { diagnostics: [d] });
  const FIX = 'Load them in one query with WHERE id IN (…), join them in, or batch them with a DataLoader.';
  assert.deepEqual(actions.map((a) => a.title), ['Ignore here (perf-lens-ignore n-plus-one)', 'Show in Perf Lens', `Copy fix: ${FIX.slice(0, 79)}…`, 'Copy query']);
  const [ignore, show, copyFix, copy] = actions;
  // Copy fix: the advice of the message, whole, to the clipboard and shown
  await vscode.commands.executeCommand(copyFix.command.command, ...copyFix.command.arguments);
  assert.deepEqual(rec.clipboard, [FIX]);
  rec.clipboard.length = 0;
  assert.deepEqual(
    ignore.edit.inserts.map((i) => [i.uri.fsPath, i.position.line, i.position.character, i.text]),
    [[APP, N_PLUS_ONE_LINE - 1, 0, '    // perf-lens-ignore n-plus-one\n']],
  );
  await vscode.commands.executeCommand(copy.command.command, ...copy.command.arguments);
  assert.deepEqual(rec.clipboard, ['SELECT id, name FROM authors WHERE id = ?']);
  await vscode.commands.executeCommand(show.command.command, ...show.command.arguments);
  const revealed = rec.treeViews.get('perfLens.findings').revealed;
  assert.equal(revealed.length, 1);
  assert.equal(revealed[0].node.finding.kind, 'n-plus-one');
  assert.equal(revealed[0].opts.select, true);

  // Findings view: grouped by kind, a click opens the line.
  const view = rec.trees.get('perfLens.findings');
  const groups = view.getChildren();
  const group = groups.find((g) => view.getTreeItem(g).label === 'N+1 queries (1)');
  assert.ok(group, `an "N+1 queries (1)" group in ${groups.map((g) => view.getTreeItem(g).label)}`);
  const [leaf] = view.getChildren(group);
  const item = view.getTreeItem(leaf);
  assert.equal(item.description, `n-plus-one-app.cjs:${N_PLUS_ONE_LINE}`);
  assert.equal(item.command.command, 'vscode.open');
  assert.equal(item.command.arguments[0].fsPath, APP);
  assert.equal(item.command.arguments[1].selection.start.line, N_PLUS_ONE_LINE - 1);

  // Status bar: processes · heap · findings, a click opens the charts (as did the connection,
  // once: perfLens.openChartsOnConnect); the process row has its pid.
  const status = rec.statusItems[0];
  assert.equal(status.command, 'perfLens.showCharts');
  assert.deepEqual(rec.executed.filter((e) => e.id === 'perfLens.showCharts').length, 1);
  await until(() => rec.webviews.length > 0, `the charts panel to be asked for (${rec.errors})`);
  assert.deepEqual(rec.webviews.map((w) => w.viewType), ['perfLens.charts']);
  await until(() => /^\$\(pulse\) 1 · \d+(\.\d)? MB · \d+ findings?$/.test(status.text), 'the status bar to show the heap');
  const processes = rec.trees.get('perfLens.processes');
  const [row] = processes.getChildren();
  assert.match(processes.getTreeItem(row).description, new RegExp(`^pid ${child.pid} · `));

  // Typing the ignore comment (not saved) takes the diagnostic away.
  const edited = APP_TEXT.split('\n');
  edited.splice(N_PLUS_ONE_LINE - 1, 0, ignore.edit.inserts[0].text.slice(0, -1));
  const editedDoc = document(vscode, edited.join('\n'));
  vscode.workspace.textDocuments.push(editedDoc);
  for (const l of rec.docListeners) l({ document: editedDoc });
  await until(() => !nPlusOneDiagnostic(rec), 'the ignored diagnostic to go');
  assert.equal(view.getChildren().length, 0, 'and its row');
});

test('detector settings apply live, and Clear Findings clears until the problem happens again', async (t) => {
  const { rec, stop } = await profileApp(t, { 'perfLens.keepFindingsAfterSessionEnds': false });
  await until(() => nPlusOneDiagnostic(rec), 'the N+1 diagnostic');

  // A threshold above the 12 repeats: the finding goes while the process runs …
  rec.settings['perfLens.detectors.nPlusOneMinCount'] = 13;
  for (const l of rec.configListeners) l({ affectsConfiguration: (s) => s === 'perfLens' });
  await until(() => !nPlusOneDiagnostic(rec), 'the diagnostic to go under nPlusOneMinCount 13');
  // … and comes back with 12.
  rec.settings['perfLens.detectors.nPlusOneMinCount'] = 12;
  for (const l of rec.configListeners) l({ affectsConfiguration: (s) => s === 'perfLens' });
  await until(() => nPlusOneDiagnostic(rec), 'the diagnostic to come back under nPlusOneMinCount 12');
  assert.equal(nPlusOneDiagnostic(rec).severity, 2, 'cheap repeats: information');
  // The cost threshold is a setting too: at 0 ms the same N+1 is a warning, live.
  rec.settings['perfLens.detectors.nPlusOneWarningMs'] = 0;
  for (const l of rec.configListeners) l({ affectsConfiguration: (s) => s === 'perfLens' });
  await until(() => nPlusOneDiagnostic(rec)?.severity === 1, 'the N+1 to become a warning under nPlusOneWarningMs 0');

  // Clear Findings empties the Problems panel, the view and the count.
  await rec.commands.get('perfLens.clearFindings')();
  assert.equal(appDiagnostics(rec).length, 0);
  assert.deepEqual(rec.trees.get('perfLens.findings').getChildren(), []);
  await until(() => / · 0 findings$/.test(rec.statusItems[0].text), 'the status bar to count no findings');
  assert.equal(rec.context.get('perfLens.hasFindings'), false);

  // The N+1 is found again only when it happens again: not after a clear with nothing new.
  rec.settings['perfLens.detectors.nPlusOneMinCount'] = 5;
  for (const l of rec.configListeners) l({ affectsConfiguration: (s) => s === 'perfLens' });
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(appDiagnostics(rec).length, 0, 'cleared findings stay cleared');
  await stop();
});

test('with keepFindingsAfterSessionEnds false the diagnostic goes when the process exits; with true it stays', async (t) => {
  const gone = await profileApp(t, { 'perfLens.keepFindingsAfterSessionEnds': false });
  const kept = await profileApp(t, {});
  await until(() => nPlusOneDiagnostic(gone.rec) && nPlusOneDiagnostic(kept.rec), 'both diagnostics');
  await Promise.all([gone.stop(), kept.stop()]);
  await until(() => !nPlusOneDiagnostic(gone.rec), 'the diagnostic of the ended process to go');
  await until(() => gone.rec.trees.get('perfLens.processes').getChildren().length === 0, 'the process row to go');
  // The kept one is still there after its process ended and an analysis ran.
  await until(() => kept.rec.trees.get('perfLens.processes').getChildren().length === 0, 'the other process row to go');
  await new Promise((r) => setTimeout(r, 600));
  assert.ok(nPlusOneDiagnostic(kept.rec), 'kept after the session ended');
  assert.match(kept.rec.statusItems[0].text, /· 1 finding$/);
});

test('Export Report writes JSON, SARIF and Markdown with the finding on its line', async (t) => {
  const { rec, child, vscode } = await profileApp(t);
  vscode.workspace.workspaceFolders = [{ uri: vscode.Uri.file(ROOT), name: 'work', index: 0 }];
  await until(() => nPlusOneDiagnostic(rec), 'the N+1 diagnostic');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perf-lens-export-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const exportAs = async (format, name) => {
    const file = path.join(dir, name);
    await rec.commands.get('perfLens.exportReport')(format, file);
    assert.deepEqual(rec.errors, []);
    return fs.readFileSync(file, 'utf8');
  };

  const json = JSON.parse(await exportAs('json', 'report.json'));
  assert.equal(json.version, 1);
  assert.ok(json.processes.some((p) => p.pid === child.pid));
  const f = json.findings.find((x) => x.kind === 'n-plus-one');
  assert.deepEqual([f.location.file, f.location.line], [APP, N_PLUS_ONE_LINE]);
  assert.equal(f.data.count, 12);

  const sarif = JSON.parse(await exportAs('sarif', 'report.sarif'));
  assert.equal(sarif.version, '2.1.0');
  const result = sarif.runs[0].results.find((r) => r.ruleId === 'n-plus-one');
  assert.equal(result.locations[0].physicalLocation.artifactLocation.uri, 'test/fixtures/extension/n-plus-one-app.cjs');
  assert.equal(result.locations[0].physicalLocation.region.startLine, N_PLUS_ONE_LINE);

  const md = await exportAs('markdown', 'report.md');
  assert.match(md, /^# Perf Lens report\n/);
  assert.match(md, /### N\+1 queries \(1\)/);
  assert.ok(md.includes(`\`test/fixtures/extension/n-plus-one-app.cjs:${N_PLUS_ONE_LINE}:`), md);
  assert.match(md, /```sql\n\s*SELECT id, name FROM authors WHERE id = \?\n/);
  assert.match(md, new RegExp(`\\| ${child.pid} \\| `));
  assert.match(rec.infos.at(-1), /exported to report\.md/);
});
