'use strict';
// A recording stand-in for the `vscode` module: just enough of the API for the extension's
// activation, commands, views, diagnostics, hover and quick fixes, recording what is done so
// tests can assert on what a user would see. The real editor runs in test/e2e. Also loads a
// fresh copy of the bundled extension with `vscode` resolved to the stand-in.
const assert = require('node:assert/strict');
const path = require('node:path');
const Module = require('node:module');

function fakeVscode(settings = {}) {
  const rec = {
    commands: new Map(),
    trees: new Map(),
    treeViews: new Map(),
    statusItems: [],
    terminals: [],
    errors: [],
    infos: [],
    context: new Map(),
    collections: [],
    hovers: [],
    codeActions: [],
    clipboard: [],
    executed: [],
    webviews: [],
    settings,
    configListeners: new Set(),
    docListeners: new Set(),
  };
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
  const listen = (set) => (l) => (set.add(l), { dispose: () => set.delete(l) });
  class Position {
    constructor(line, character) {
      this.line = line;
      this.character = character;
    }
  }
  class Range {
    constructor(sl, sc, el, ec) {
      this.start = sl instanceof Position ? sl : new Position(sl, sc);
      this.end = sl instanceof Position ? sc : new Position(el, ec);
    }
  }
  const Uri = {
    file: (p) => ({ scheme: 'file', fsPath: p, path: p, toString: () => `file://${p}` }),
    joinPath: (base, ...parts) => Uri.file(path.join(base.fsPath, ...parts)),
  };
  /** A DiagnosticCollection that keeps the latest diagnostics per file path. */
  function createDiagnosticCollection(name) {
    const entries = new Map();
    const c = {
      name,
      entries,
      set(uri, diagnostics) {
        if (diagnostics && diagnostics.length) entries.set(uri.fsPath, diagnostics);
        else entries.delete(uri.fsPath);
      },
      delete(uri) {
        entries.delete(uri.fsPath);
      },
      get: (uri) => entries.get(uri.fsPath),
      clear: () => entries.clear(),
      dispose: () => entries.clear(),
    };
    rec.collections.push(c);
    return c;
  }
  const vscode = {
    EventEmitter,
    Position,
    Range,
    Uri,
    StatusBarAlignment: { Left: 1, Right: 2 },
    ViewColumn: { Active: -1, Beside: -2, One: 1 },
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
    CodeActionKind: { QuickFix: 'quickfix' },
    ThemeIcon: class { constructor(id) { this.id = id; } },
    MarkdownString: class { constructor(value = '') { this.value = value; } },
    TreeItem: class { constructor(label, state) { this.label = label; this.collapsibleState = state; } },
    Diagnostic: class {
      constructor(range, message, severity) {
        this.range = range;
        this.message = message;
        this.severity = severity;
      }
    },
    Location: class { constructor(uri, pos) { this.uri = uri; this.range = pos instanceof Range ? pos : new Range(pos, pos); } },
    DiagnosticRelatedInformation: class { constructor(location, message) { this.location = location; this.message = message; } },
    Hover: class { constructor(contents) { this.contents = contents; } },
    CodeAction: class { constructor(title, kind) { this.title = title; this.kind = kind; } },
    WorkspaceEdit: class {
      constructor() { this.inserts = []; }
      insert(uri, position, text) { this.inserts.push({ uri, position, text }); }
    },
    commands: {
      registerCommand(id, fn) {
        assert.ok(!rec.commands.has(id), `${id} registered once`);
        rec.commands.set(id, fn);
        return { dispose: () => rec.commands.delete(id) };
      },
      async executeCommand(id, ...args) {
        if (id === 'setContext') return void rec.context.set(args[0], args[1]);
        rec.executed.push({ id, args });
        return rec.commands.get(id)?.(...args);
      },
    },
    languages: {
      createDiagnosticCollection,
      registerHoverProvider(selector, provider) {
        rec.hovers.push(provider);
        return disposable;
      },
      registerCodeActionsProvider(selector, provider, metadata) {
        rec.codeActions.push({ provider, metadata });
        return disposable;
      },
    },
    env: { clipboard: { writeText: async (t) => void rec.clipboard.push(t) } },
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
      createTreeView(id, options) {
        rec.trees.set(id, options.treeDataProvider);
        const view = { id, visible: true, revealed: [], async reveal(node, opts) { this.revealed.push({ node, opts }); }, onDidChangeVisibility: () => disposable, dispose() {} };
        rec.treeViews.set(id, view);
        return view;
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
      // The charts panel (src/extension/panel) is tested on its own; here it is only recorded.
      createWebviewPanel(viewType, title) {
        rec.webviews.push({ viewType, title });
        throw new Error('webview panels are not part of this stand-in');
      },
      showQuickPick: async () => undefined,
      showSaveDialog: async () => undefined,
    },
    workspace: {
      workspaceFolders: undefined,
      textDocuments: [],
      getWorkspaceFolder: () => undefined,
      getConfiguration(section) {
        const prefix = section ? `${section}.` : '';
        return {
          get(key) {
            const full = prefix + key;
            if (full in rec.settings) return rec.settings[full];
            // A section read (`detectors`) gathers its dotted keys, as VS Code does.
            const inner = Object.entries(rec.settings).filter(([k]) => k.startsWith(`${full}.`));
            return inner.length ? Object.fromEntries(inner.map(([k, v]) => [k.slice(full.length + 1), v])) : undefined;
          },
        };
      },
      onDidChangeConfiguration: listen(rec.configListeners),
      onDidChangeTextDocument: listen(rec.docListeners),
    },
  };
  return { vscode, rec };
}

/**
 * `vscode` for each loaded copy of the bundle, by its module: the bundle requires `vscode`
 * again when a lazily loaded part of it (the charts panel) first runs.
 */
const fakes = new WeakMap();
let loading = null;
const originalLoad = Module._load;
Module._load = function (request, parent, ...rest) {
  if (request === 'vscode') {
    const fake = (parent && fakes.get(parent)) ?? loading;
    if (fake) return fake;
  }
  return originalLoad.call(this, request, parent, ...rest);
};

/** Loads a fresh copy of `<dist>/extension.js` with `vscode` resolved to the stand-in. */
function loadExtension(dist, vscode) {
  const file = path.join(dist, 'extension.js');
  delete require.cache[file];
  loading = vscode;
  try {
    const exports = require(file);
    fakes.set(require.cache[file], vscode);
    return exports;
  } finally {
    loading = null;
  }
}

/** Activates a fresh extension; `close()` deactivates it and disposes what it registered. */
function activateExtension(dist, settings) {
  const { vscode, rec } = fakeVscode(settings);
  const context = { subscriptions: [], extensionPath: path.dirname(dist) };
  const started = process.hrtime.bigint();
  const ext = loadExtension(dist, vscode);
  ext.activate(context);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const close = async () => {
    await ext.deactivate();
    for (const d of context.subscriptions) d.dispose();
  };
  return { ext, rec, context, ms, vscode, close };
}

async function until(predicate, what, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

module.exports = { fakeVscode, loadExtension, activateExtension, until };
