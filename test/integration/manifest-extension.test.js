'use strict';
// The bundled extension (dist/extension.js) against its manifest: it registers a handler for
// every contributed command and view, shows nothing at activation, and its profiling terminal
// environment makes a real Node process load dist/agent.js and appear in the status bar.
// VS Code itself is replaced by a recorder of the API calls the extension makes (the real
// editor runs in test/e2e); the session server, the agent and the process are real.
//
const { ROOT, DIST } = require('../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

const { activateExtension, until } = require('../helpers/vscode-fake');

function activate() {
  return activateExtension(DIST);
}

test('every contributed command and view has a handler, and activation shows nothing yet', async (t) => {
  const { ext, rec, context, ms } = activate();
  t.diagnostic(`require + activate of dist/extension.js: ${ms.toFixed(1)} ms`);
  t.after(async () => {
    await ext.deactivate();
    for (const d of context.subscriptions) d.dispose();
  });
  const contributed = pkg.contributes.commands.map((c) => c.command).sort();
  assert.deepEqual([...rec.commands.keys()].sort(), contributed);
  const views = Object.values(pkg.contributes.views).flat().map((v) => v.id).sort();
  assert.deepEqual([...rec.trees.keys()].sort(), views);
  assert.equal(rec.statusItems.length, 1);
  assert.equal(rec.statusItems[0].visible, false, 'no status bar item before profiling starts');
  assert.deepEqual(rec.trees.get('perfLens.processes').getChildren(), []);
  assert.deepEqual(rec.trees.get('perfLens.findings').getChildren(), []);
  assert.deepEqual(rec.collections.map((c) => c.name), ['perf-lens'], 'one diagnostic collection, empty');
  assert.equal(rec.collections[0].entries.size, 0);
  assert.equal(rec.hovers.length, 1, 'a hover provider');
  assert.deepEqual(rec.codeActions[0].metadata.providedCodeActionKinds, ['quickfix']);
});

test('Launch Current File refuses no file or a file Node cannot run, with a message that says why', async (t) => {
  const { ext, rec, context, vscode } = activate();
  t.after(async () => {
    await ext.deactivate();
    for (const d of context.subscriptions) d.dispose();
  });
  await rec.commands.get('perfLens.launchCurrentFile')();
  assert.match(rec.errors.at(-1), /open a saved JavaScript or TypeScript file/);
  vscode.window.activeTextEditor = { document: { uri: { scheme: 'file', fsPath: '/tmp/notes.txt' }, isDirty: false } };
  await rec.commands.get('perfLens.launchCurrentFile')();
  assert.match(rec.errors.at(-1), /launches JavaScript or TypeScript files .*notes\.txt is not one/);
  assert.equal(rec.terminals.length, 0, 'no terminal opened');
  assert.equal(rec.statusItems[0].visible, false, 'no session started');
});

test('a process started with the profiling terminal environment is counted, listed, and let go on Stop', async (t) => {
  const { ext, rec, context } = activate();
  let child;
  t.after(async () => {
    child?.kill('SIGKILL');
    await ext.deactivate();
    for (const d of context.subscriptions) d.dispose();
  });
  const status = rec.statusItems[0];

  await rec.commands.get('perfLens.openTerminal')();
  assert.equal(rec.terminals.length, 1);
  const env = rec.terminals[0].options.env;
  assert.ok(env.NODE_OPTIONS.includes(path.join(DIST, 'agent.js')), env.NODE_OPTIONS);
  assert.match(env.PERF_LENS_URL, /^ws:\/\/127\.0\.0\.1:\d+\/$/);
  assert.ok(env.PERF_LENS_TOKEN.length >= 16);
  assert.equal(status.visible, true);
  assert.equal(status.text, '$(pulse) 0 · 0 findings');
  assert.equal(rec.context.get('perfLens.running'), true);

  // What `node app.js` typed into that terminal does: a real process with that environment.
  child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { env: { ...process.env, ...env }, stdio: 'ignore' });
  // The agent's first memory sample arrives after about a second: then the heap shows too.
  await until(() => /^\$\(pulse\) 1 · \d+(\.\d)? MB · 0 findings$/.test(status.text), `the status bar to count the process and its heap (${status.text})`);
  const view = rec.trees.get('perfLens.processes');
  const [row] = view.getChildren();
  assert.match(view.getTreeItem(row).description, new RegExp(`^pid ${child.pid} · \\d+(\\.\\d)? MB · \\d+ s$`));

  await rec.commands.get('perfLens.stop')();
  assert.equal(status.visible, false);
  assert.equal(rec.terminals[0].disposed, true, 'the profiling terminal is closed');
  assert.deepEqual(view.getChildren(), []);
  assert.equal(rec.context.get('perfLens.running'), false);
});
