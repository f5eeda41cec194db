'use strict';
// The bundled extension (dist/extension.js) against its manifest: it registers a handler for
// every contributed command and view, shows nothing at activation, and its profiling terminal
// environment makes a real Node process load dist/agent.js and appear in the status bar.
// VS Code itself is replaced by a recorder of the API calls the extension makes (the real
// editor runs in test/e2e); the session server, the agent and the process are real.
// PERF_LENS_DIST points at another build folder (default dist/).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { spawn } = require('node:child_process');

const ROOT = path.join(__dirname, '..', '..');
const DIST = path.resolve(process.env.PERF_LENS_DIST || path.join(ROOT, 'dist'));
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

/** Just enough of the `vscode` API for activation and the commands, recording what is done. */
function fakeVscode() {
  const rec = { commands: new Map(), trees: new Map(), statusItems: [], terminals: [], errors: [], infos: [], context: new Map() };
  class EventEmitter {
    constructor() {
      this.listeners = new Set();
      this.event = (l) => (this.listeners.add(l), { dispose: () => this.listeners.delete(l) });
    }
    fire(v) {
      for (const l of this.listeners) l(v);
    }
    dispose() {
      this.listeners.clear();
    }
  }
  const disposable = { dispose() {} };
  const vscode = {
    EventEmitter,
    StatusBarAlignment: { Left: 1, Right: 2 },
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    ThemeIcon: class { constructor(id) { this.id = id; } },
    MarkdownString: class { constructor(value) { this.value = value; } },
    TreeItem: class { constructor(label, state) { this.label = label; this.collapsibleState = state; } },
    commands: {
      registerCommand(id, fn) {
        assert.ok(!rec.commands.has(id), `${id} registered once`);
        rec.commands.set(id, fn);
        return { dispose: () => rec.commands.delete(id) };
      },
      async executeCommand(id, ...args) {
        if (id === 'setContext') return void rec.context.set(args[0], args[1]);
        return rec.commands.get(id)?.(...args);
      },
    },
    window: {
      activeTextEditor: undefined,
      createStatusBarItem(id) {
        const item = { id, text: '', visible: false, show() { this.visible = true; }, hide() { this.visible = false; }, dispose() { this.visible = false; } };
        rec.statusItems.push(item);
        return item;
      },
      registerTreeDataProvider(id, provider) {
        rec.trees.set(id, provider);
        return disposable;
      },
      createTerminal(options) {
        const t = { options, sent: [], disposed: false, show() {}, sendText(s) { this.sent.push(s); }, dispose() { this.disposed = true; } };
        rec.terminals.push(t);
        return t;
      },
      onDidCloseTerminal: () => disposable,
      showErrorMessage: async (m) => void rec.errors.push(m),
      showInformationMessage: async (m) => void rec.infos.push(m),
      setStatusBarMessage: () => disposable,
    },
    workspace: { workspaceFolders: undefined, getWorkspaceFolder: () => undefined },
  };
  return { vscode, rec };
}

/** Loads a fresh copy of dist/extension.js with `vscode` resolved to the fake. */
function loadExtension(vscode) {
  const file = path.join(DIST, 'extension.js');
  const originalLoad = Module._load;
  Module._load = function (request, ...rest) {
    return request === 'vscode' ? vscode : originalLoad.call(this, request, ...rest);
  };
  try {
    delete require.cache[file];
    return require(file);
  } finally {
    Module._load = originalLoad;
  }
}

function activate() {
  const { vscode, rec } = fakeVscode();
  const context = { subscriptions: [], extensionPath: path.dirname(DIST) };
  const started = process.hrtime.bigint();
  const ext = loadExtension(vscode);
  ext.activate(context);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ext, rec, context, ms, vscode };
}

async function until(predicate, what, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
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
  assert.match(status.text, /Perf Lens: 0 processes$/);
  assert.equal(rec.context.get('perfLens.running'), true);

  // What `node app.js` typed into that terminal does: a real process with that environment.
  child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { env: { ...process.env, ...env }, stdio: 'ignore' });
  await until(() => /Perf Lens: 1 process$/.test(status.text), 'the status bar to count the process');
  const view = rec.trees.get('perfLens.processes');
  const [row] = view.getChildren();
  assert.equal(view.getTreeItem(row).description, `pid ${child.pid}`);

  await rec.commands.get('perfLens.stop')();
  assert.equal(status.visible, false);
  assert.equal(rec.terminals[0].disposed, true, 'the profiling terminal is closed');
  assert.deepEqual(view.getChildren(), []);
  assert.equal(rec.context.get('perfLens.running'), false);
});
