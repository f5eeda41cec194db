'use strict';
// The live charts panel host (showChartsPanel, from dist/extension.js) with VS Code replaced by
// a recorder of the webview API calls (as in manifest-extension.test.js) and a real
// SessionStore: the page's HTML and its Content-Security-Policy, the message bridge (the whole
// buffer on 'ready', appends after), and the rule that the page may only open locations of
// current findings.
const { DIST, CORE } = require('../../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const Module = require('node:module');

const EXT_ROOT = path.dirname(DIST);
const CSP_SOURCE = 'https://webview.test';

function fakeVscode() {
  const rec = { panels: [], opened: [] };
  class EventEmitter {
    constructor() {
      this.listeners = new Set();
      this.event = (l) => (this.listeners.add(l), { dispose: () => this.listeners.delete(l) });
    }
    fire(v) {
      for (const l of [...this.listeners]) l(v);
    }
  }
  class Uri {
    constructor(fsPath) {
      this.fsPath = fsPath;
      this.path = fsPath;
    }
    static file(p) {
      return new Uri(p);
    }
    static joinPath(base, ...parts) {
      return new Uri(path.join(base.fsPath, ...parts));
    }
    toString() {
      return `file://${this.fsPath}`;
    }
  }
  class Position {
    constructor(line, character) {
      Object.assign(this, { line, character });
    }
  }
  class Range {
    constructor(start, end) {
      Object.assign(this, { start, end });
    }
  }
  const vscode = {
    Uri,
    Position,
    Range,
    EventEmitter,
    ViewColumn: { Active: -1, Beside: -2, One: 1, Two: 2 },
    window: {
      createWebviewPanel(viewType, title, column, options) {
        const received = new EventEmitter();
        const viewState = new EventEmitter();
        const disposed = new EventEmitter();
        const panel = {
          viewType,
          title,
          column,
          options,
          visible: true,
          disposed: false,
          posted: [],
          webview: {
            html: '',
            cspSource: CSP_SOURCE,
            options,
            asWebviewUri: (uri) => ({ toString: () => `${CSP_SOURCE}${uri.fsPath}` }),
            postMessage: async (m) => (panel.posted.push(JSON.parse(JSON.stringify(m))), true),
            onDidReceiveMessage: received.event,
          },
          onDidChangeViewState: viewState.event,
          onDidDispose: disposed.event,
          reveal() {},
          dispose() {
            if (panel.disposed) return;
            panel.disposed = true;
            disposed.fire();
          },
          // what VS Code does
          fromPage: (m) => received.fire(m),
          setVisible(v) {
            panel.visible = v;
            viewState.fire({ webviewPanel: panel });
          },
        };
        rec.panels.push(panel);
        return panel;
      },
      showTextDocument: async (uri, options) => void rec.opened.push({ file: uri.fsPath, options }),
    },
  };
  // The rest of the extension may touch other parts of the API when its bundle loads (enums,
  // namespaces): every other name the bundle uses gets an inert stand-in; the panel's own calls
  // are recorded above. (The bundle copies the module's own keys, so they must exist up front.)
  const code = require('node:fs').readFileSync(path.join(DIST, 'extension.js'), 'utf8');
  for (const [, name] of code.matchAll(/\bvscode\d*\.([A-Za-z_$][\w$]*)/g)) if (!(name in vscode)) vscode[name] = inert();
  return { vscode, rec };
}

function inert() {
  const fn = function () {};
  return new Proxy(fn, { get: (_, key) => (key === Symbol.toPrimitive ? () => 0 : inert()), apply: () => inert(), construct: () => inert() });
}

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

const { SessionStore } = require(CORE);
const T0 = Date.now() - 10_000;
const PID = 777;
const N1 = { file: '/work/app/routes/posts.js', line: 42, column: 17 };
const ONE = { file: '/work/app/routes/posts.js', line: 30, column: 9 };

function finding(overrides = {}) {
  return {
    id: 'abc123',
    kind: 'n-plus-one',
    severity: 'warning',
    message: '10 queries "select * from comments where post_id = ?" in GET /posts',
    pid: PID,
    location: N1,
    related: [{ message: 'the "1" query', location: ONE }],
    data: { count: 10 },
    ...overrides,
  };
}

/** A ChartSource as the profiling service provides it: a store, its findings, a change event. */
function source() {
  const listeners = new Set();
  const src = {
    store: new SessionStore(),
    list: [finding()],
    findings() {
      return this.list;
    },
    onDidChangeFindings(l) {
      listeners.add(l);
      return { dispose: () => listeners.delete(l) };
    },
    setFindings(list) {
      src.list = list;
      for (const l of listeners) l();
    },
  };
  return src;
}

function open() {
  const { vscode, rec } = fakeVscode();
  const ext = loadExtension(vscode);
  const src = source();
  const context = { subscriptions: [], extensionPath: EXT_ROOT, extensionUri: vscode.Uri.file(EXT_ROOT) };
  ext.showChartsPanel(context, src);
  const panel = rec.panels[0];
  return { ext, rec, src, panel, context };
}

async function until(predicate, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('the page has a strict CSP, a nonce on its only script, no inline code or style, and loads only from dist/ and media/', (t) => {
  const { panel } = open();
  t.after(() => panel.dispose());
  assert.equal(panel.viewType, 'perfLens.charts');
  assert.equal(panel.title, 'Perf Lens: Live Charts');
  assert.equal(panel.options.enableScripts, true);
  assert.ok(!panel.options.retainContextWhenHidden, 'no retainContextWhenHidden: the host re-sends the buffer');
  assert.deepEqual(
    panel.options.localResourceRoots.map((u) => u.fsPath),
    [path.join(EXT_ROOT, 'dist'), path.join(EXT_ROOT, 'media')],
  );

  const html = panel.webview.html;
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  assert.ok(csp, 'a CSP meta tag');
  const nonce = /script-src 'nonce-([A-Za-z0-9+/=]{16,})';/.exec(csp[1])?.[1];
  assert.ok(nonce, `a nonce of at least 16 characters in ${csp[1]}`);
  assert.equal(
    csp[1],
    `default-src 'none'; img-src ${CSP_SOURCE} data:; style-src ${CSP_SOURCE}; font-src ${CSP_SOURCE}; script-src 'nonce-${nonce}';`,
  );

  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1);
  for (const [, attrs, body] of scripts) {
    assert.match(attrs, new RegExp(`nonce="${nonce.replace(/[+/]/g, '\\$&')}"`));
    assert.equal(body.trim(), '', 'no inline script');
    assert.match(attrs, new RegExp(`src="${CSP_SOURCE}${path.join(EXT_ROOT, 'dist', 'webview.js')}"`));
  }
  assert.doesNotMatch(html, /\sstyle=/i, 'no style attributes');
  assert.doesNotMatch(html, /<style/i, 'no style elements');
  assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers');
  const hrefs = [...html.matchAll(/\s(?:href|src)="([^"]*)"/g)].map((m) => m[1]);
  for (const href of hrefs) {
    const p = href.slice(CSP_SOURCE.length);
    assert.ok(href.startsWith(CSP_SOURCE) && (p.startsWith(path.join(EXT_ROOT, 'dist') + '/') || p.startsWith(path.join(EXT_ROOT, 'media') + '/')), href);
  }
  assert.match(html, /<link rel="stylesheet" href="[^"]*\/dist\/codicons\/codicon\.css" id="vscode-codicon-stylesheet">/);
  assert.match(html, /<link rel="stylesheet" href="[^"]*\/media\/charts\.css">/);

  // A new panel gets a new nonce.
  const { panel: other } = open();
  t.after(() => other.dispose());
  assert.notEqual(/nonce-([^']+)'/.exec(other.webview.html)[1], nonce);
});

test('ready gets the whole buffer, then new points follow; hidden pages get nothing until ready again', async (t) => {
  const { panel, src } = open();
  t.after(() => panel.dispose());
  const { store } = src;
  store.ingest({ type: 'hello', pid: PID, t: T0, protocol: 1, nodeVersion: 'v20.20.2', argv: ['/usr/bin/node', '/work/app/server.js'], cwd: '/work/app' });
  for (let i = 0; i < 5; i++) store.ingest({ type: 'memory', pid: PID, t: T0 + i * 1000, heapUsed: 1e6 * (i + 1), heapTotal: 8e6, rss: 3e7, external: 1e5, arrayBuffers: 0 });
  assert.deepEqual(panel.posted, [], 'nothing is posted before the page says ready');

  panel.fromPage({ type: 'ready' });
  const reset = panel.posted.at(-1);
  assert.equal(reset.type, 'reset');
  assert.equal(reset.processes[0].pid, PID);
  assert.equal(reset.series[0].memory.length, 5);
  assert.equal(reset.findings[0].location.line, 42);

  store.ingest({ type: 'memory', pid: PID, t: T0 + 5000, heapUsed: 9e6, heapTotal: 16e6, rss: 3e7, external: 1e5, arrayBuffers: 0 });
  await until(() => panel.posted.some((m) => m.type === 'append'), 'an append');
  const append = panel.posted.find((m) => m.type === 'append');
  assert.deepEqual(append.series[0].memory, [[T0 + 5000, 9e6, 16e6, 3e7, 1e5]]);

  src.setFindings([]);
  assert.deepEqual(panel.posted.at(-1), { type: 'findings', findings: [] });

  // Hidden: VS Code throws the page away; nothing is posted to it.
  panel.setVisible(false);
  const count = panel.posted.length;
  store.ingest({ type: 'memory', pid: PID, t: T0 + 6000, heapUsed: 9.5e6, heapTotal: 16e6, rss: 3e7, external: 1e5, arrayBuffers: 0 });
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(panel.posted.length, count);

  // Shown again: the new page says ready and gets everything, including what came while hidden.
  panel.setVisible(true);
  panel.fromPage({ type: 'ready' });
  const again = panel.posted.at(-1);
  assert.equal(again.type, 'reset');
  assert.deepEqual(again.series[0].memory.map((p) => p[0] - T0), [0, 1000, 2000, 3000, 4000, 5000, 6000]);
});

test('a request shows at once as a provisional point, replaced, then finalised; nothing new means nothing posted', async (t) => {
  const { panel, src } = open();
  t.after(() => panel.dispose());
  const { store } = src;
  panel.fromPage({ type: 'ready' });
  store.ingest({ type: 'hello', pid: PID, t: Date.now(), protocol: 1, nodeVersion: 'v20.20.2', argv: ['/usr/bin/node', '/work/app/server.js'], cwd: '/work/app' });
  // Stamped 2 s ahead, so even a busy machine cannot close the second before the page sees it open.
  const t0 = Date.now() + 2000;
  const sec = Math.floor(t0 / 1000) * 1000;
  const request = (dt, durationMs) => ({ type: 'http', pid: PID, t: t0 + dt, method: 'GET', route: '/posts', status: 200, durationMs, scope: `s${dt}` });
  const appends = () => panel.posted.filter((m) => m.type === 'append');
  const httpOf = (m) => m.series.find((s) => s.pid === PID) ?? { http: [] };

  store.ingest(request(0, 4));
  await until(() => appends().some((m) => httpOf(m).provisional?.http), 'the provisional point');
  const first = appends().find((m) => httpOf(m).provisional?.http);
  assert.deepEqual(httpOf(first).provisional.http, [sec, 1, 4, 0]);
  assert.deepEqual(httpOf(first).http, [], 'its second is not closed yet');

  store.ingest(request(1, 9));
  await until(() => appends().some((m) => httpOf(m).provisional?.http?.[1] === 2), 'the newer value of the same second');

  store.ingest({ type: 'bye', pid: PID, t: t0 + 2 });
  await until(() => appends().some((m) => m.processes?.[0]?.ended), 'the end of the process');
  const last = appends().at(-1);
  assert.deepEqual(httpOf(last).http, [[sec, 2, 9, 0]], 'finalised: the same second, both requests');
  assert.equal(httpOf(last).provisional, undefined);

  const count = panel.posted.length;
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(panel.posted.length, count, 'an ended, quiet process: nothing is posted');
  for (const m of appends()) {
    const news = (s) => s.provisional || ['memory', 'gcMarks', 'gcPauses', 'eventLoop', 'http'].some((n) => s[n].length > 0);
    assert.ok(m.series.every(news), `no empty series in ${JSON.stringify(m)}`);
    assert.ok(m.series.length > 0 || m.processes || m.queries, `no empty append: ${JSON.stringify(m)}`);
  }
});

test('the page can open only locations of current findings, exactly on file and line', async (t) => {
  const { panel, rec, src } = open();
  t.after(() => panel.dispose());
  panel.fromPage({ type: 'ready' });

  panel.fromPage({ type: 'open', file: N1.file, line: 42, column: 1 });
  await until(() => rec.opened.length === 1, 'the finding to open');
  assert.equal(rec.opened[0].file, N1.file);
  // The finding's own column, not the page's.
  assert.deepEqual({ ...rec.opened[0].options.selection.start }, { line: 41, character: 16 });

  panel.fromPage({ type: 'open', file: ONE.file, line: ONE.line }); // a related location
  await until(() => rec.opened.length === 2, 'the related location to open');
  assert.deepEqual({ ...rec.opened[1].options.selection.start }, { line: 29, character: 8 });

  for (const bad of [
    { type: 'open', file: N1.file, line: 43 },
    { type: 'open', file: '/etc/passwd', line: 1 },
    { type: 'open', file: N1.file + '/../../../etc/passwd', line: 42 },
    { type: 'open', file: N1.file, line: '42' },
    { type: 'open', file: { toString: () => N1.file }, line: 42 },
    { type: 'open' },
    null,
    'open',
  ]) panel.fromPage(bad);

  // Once the finding is gone, its location is no longer open to the page.
  src.setFindings([finding({ location: { file: '/work/app/other.js', line: 5, column: 1 }, related: [] })]);
  panel.fromPage({ type: 'open', file: N1.file, line: 42 });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(rec.opened.length, 2, `only the two reported locations were opened: ${JSON.stringify(rec.opened.map((o) => o.file))}`);
});

test('the command shows one panel and brings it back; closing it stops its updates', async () => {
  const { vscode, rec } = fakeVscode();
  const ext = loadExtension(vscode);
  const src = source();
  const context = { subscriptions: [], extensionPath: EXT_ROOT, extensionUri: vscode.Uri.file(EXT_ROOT) };
  const command = ext.showChartsCommand(context, src);
  command();
  command();
  assert.equal(rec.panels.length, 1);
  const panel = rec.panels[0];
  panel.fromPage({ type: 'ready' });
  panel.dispose();
  assert.equal(src.store.listenerCount('message'), 0, 'the feed let go of the store');
  command();
  assert.equal(rec.panels.length, 2, 'a closed panel is opened anew');
  rec.panels[1].dispose();
});
