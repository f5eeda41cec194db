'use strict';
// The charts panel page in a real browser: the host's own HTML (from dist/extension.js, with
// its exact CSP and nonce) and the built dist/webview.js, served from 127.0.0.1 and opened in
// headless Chromium. A nonce'd script stands in for VS Code's acquireVsCodeApi. The test
// posts chart messages as the host does and checks that the charts draw and grow, that the
// theme colours are used, that no CSP violation fires, that a click on a finding asks to open
// it, and that the chosen tab survives a reload. Screenshot: test-results/charts-panel.png.
//
const { ROOT, DIST, CORE } = require('../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const Module = require('node:module');

const EXT_ROOT = path.dirname(DIST);
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];
const TYPES = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.html': 'text/html', '.svg': 'image/svg+xml' };

/** The host's HTML for a webview whose resources are served from `origin`. */
function hostHtml(origin) {
  let html = '';
  const vscode = {
    Uri: {
      file: (p) => ({ fsPath: p }),
      joinPath: (base, ...parts) => ({ fsPath: path.join(base.fsPath, ...parts) }),
    },
    ViewColumn: { Beside: -2, One: 1 },
    window: {
      createWebviewPanel: () => {
        const panel = {
          webview: {
            cspSource: origin,
            set html(v) {
              html = v;
            },
            asWebviewUri: (uri) => ({ toString: () => `${origin}/${path.relative(EXT_ROOT, uri.fsPath)}` }),
            postMessage: async () => true,
            onDidReceiveMessage: () => ({ dispose() {} }),
          },
          onDidChangeViewState: () => ({ dispose() {} }),
          onDidDispose: () => ({ dispose() {} }),
          dispose() {},
        };
        return panel;
      },
    },
  };
  const file = path.join(DIST, 'extension.js');
  const code = fs.readFileSync(file, 'utf8');
  const inert = () => new Proxy(function () {}, { get: (_, k) => (k === Symbol.toPrimitive ? () => 0 : inert()), apply: () => inert(), construct: () => inert() });
  for (const [, name] of code.matchAll(/\bvscode\d*\.([A-Za-z_$][\w$]*)/g)) if (!(name in vscode)) vscode[name] = inert();
  const originalLoad = Module._load;
  Module._load = function (request, ...rest) {
    return request === 'vscode' ? vscode : originalLoad.call(this, request, ...rest);
  };
  let ext;
  try {
    delete require.cache[file];
    ext = require(file);
  } finally {
    Module._load = originalLoad;
  }
  const { SessionStore } = require(CORE);
  const panel = ext.showChartsPanel({ extensionPath: EXT_ROOT, extensionUri: { fsPath: EXT_ROOT } }, { store: new SessionStore(), findings: [], onDidChangeFindings: () => ({ dispose() {} }) });
  panel.dispose();
  return html;
}

/** Stands in for VS Code: the API object, state kept across reloads, CSP violations and theme. */
const STUB = `
  window.__posted = [];
  window.__violations = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
  const root = document.documentElement.style;
  root.setProperty('--vscode-charts-blue', '#3794ff');
  root.setProperty('--vscode-charts-red', '#f14c4c');
  root.setProperty('--vscode-foreground', '#cccccc');
  root.setProperty('--vscode-editor-background', '#1e1e1e');
  window.countColor = (id) => {
    const c = document.querySelector('canvas[data-chart="' + id + '"]');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 80 && d[i + 1] > 200 && d[i + 2] < 80 && d[i + 3] > 200) n++;
    return n;
  };
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => window.__posted.push(m),
    getState: () => JSON.parse(sessionStorage.getItem('state') || 'null'),
    setState: (s) => sessionStorage.setItem('state', JSON.stringify(s)),
  });
`;

function serve(pageFor) {
  const codicons = path.join(ROOT, 'node_modules', '@vscode', 'codicons', 'dist');
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    let file = null;
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end(pageFor(`http://127.0.0.1:${server.address().port}`));
    }
    if (url.pathname.startsWith('/dist/')) {
      file = path.join(DIST, url.pathname.slice(6));
      // dist/codicons is copied by the build; a bare build folder borrows the package's files.
      if (!fs.existsSync(file) && url.pathname.startsWith('/dist/codicons/')) file = path.join(codicons, path.basename(file));
    } else if (url.pathname.startsWith('/media/')) file = path.join(ROOT, 'media', url.pathname.slice(7));
    if (!file || !fs.existsSync(file)) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const PID = 5150;
const FILE = '/work/app/routes/posts.js';

function messages(now) {
  const t0 = Math.floor(now / 1000) * 1000 - 60_000;
  const memory = [];
  const eventLoop = [];
  const httpPts = [];
  const gcPauses = [];
  const cache = [];
  const pool = [];
  for (let i = 0; i < 60; i++) {
    const t = t0 + i * 1000;
    cache.push([t, 40 + (i % 5), 10 + (i % 3)]);
    pool.push([t, 2, 2, i % 7, 2]);
    memory.push([t, 20e6 + i * 4e5, 40e6, 80e6 + i * 1e5, 2e6]);
    eventLoop.push([t, 1 + (i % 3) * 0.2, 4 + (i % 7), 12 + (i % 11)]);
    httpPts.push([t, 50 + (i % 10) * 5, 8 + (i % 4), i % 15 === 0 ? 1 : 0]);
    gcPauses.push([t, 1.5 + (i % 5) * 0.3, i % 10 === 0 ? 9 : 0, 3]);
  }
  const gcMarks = [0, 10, 20, 30, 40, 50].map((i) => [t0 + i * 1000 + 500, 9, 20e6 + i * 4e5 - 3e6]);
  const reset = {
    type: 'reset',
    windowMs: 5 * 60_000,
    processes: [{ pid: PID, command: 'node server.js', startedAt: t0 - 1000, ended: false }],
    series: [{ pid: PID, memory, gcMarks, gcPauses, eventLoop, http: httpPts, cache, pool }],
    queries: { [PID]: [{ fingerprint: 'select * from comments where post_id = ?', db: 'postgres', count: 1200, totalMs: 2400, meanMs: 2, p95Ms: 4.1, maxMs: 9 }] },
    findings: [{ id: 'f1', kind: 'n-plus-one', severity: 'warning', message: '20 queries "select * from comments where post_id = ?" per GET /posts', pid: PID, location: { file: FILE, line: 42, column: 17 } }],
  };
  const append = (k) => {
    const t = t0 + (59 + k) * 1000;
    return {
      type: 'append',
      series: [{ pid: PID, memory: [[t, 60e6 + k * 5e6, 90e6, 95e6, 2e6]], gcMarks: [], gcPauses: [[t, 2, 0, 1]], eventLoop: [[t, 1, 30, 60]], http: [[t, 180, 25, 0]], cache: [[t, 30, 30]], pool: [[t, 2, 2, 9, 2]] }],
    };
  };
  return { reset, append };
}

/** The charts page served with the host stub, in Chromium; closed after the test. */
async function openChartsPage(t) {
  const { chromium } = require('playwright-core');
  const server = await serve((origin) => {
    const html = hostHtml(origin);
    const nonce = /nonce="([^"]+)"/.exec(html)[1];
    return html.replace('<script type="module"', `<script nonce="${nonce}">${STUB}</script>\n  <script type="module"`);
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  t.after(async () => {
    await browser.close();
    server.close();
  });
  const page = await browser.newPage({ viewport: { width: 1200, height: 820 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  return { page, errors, url: `http://127.0.0.1:${server.address().port}/` };
}

test('the charts page draws live data under the strict CSP, follows the theme, and keeps its tab', { timeout: 90_000 }, async (t) => {
  if (!fs.existsSync(CHROMIUM)) return t.skip(`${CHROMIUM} is not installed`);
  const { page, errors, url } = await openChartsPage(t);
  page.on('console', (m) => m.type() === 'error' && !/Failed to load resource/.test(m.text()) && errors.push(m.text()));
  // Every resource the page asks for must exist (the browser's own favicon request aside).
  page.on('response', (r) => r.status() >= 400 && !r.url().endsWith('/favicon.ico') && errors.push(`${r.status()} ${r.url()}`));
  await page.goto(url);
  await page.waitForFunction(() => window.__posted.some((m) => m.type === 'ready'));

  const points = () => page.evaluate(() => Object.fromEntries([...document.querySelectorAll('canvas[data-chart]')].map((c) => [c.dataset.chart, Number(c.dataset.points || 0)])));
  /** A digest of the heap chart's pixels, and how many are not blank. */
  const pixels = (chart = 'heap') =>
    page.evaluate((id) => {
      const c = document.querySelector(`canvas[data-chart="${id}"]`);
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let ink = 0;
      let hash = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] > 0) ink++;
        hash = (hash * 31 + d[i] + d[i + 1] * 3 + d[i + 2] * 7 + d[i + 3]) | 0;
      }
      return { ink, hash };
    }, chart);

  const empty = await pixels();
  const cacheHidden = () => page.evaluate(() => document.querySelector('canvas[data-chart="cache"]').closest('.chart-card').hidden);
  assert.equal(await cacheHidden(), true, 'no cache chart while no process read a cache');
  const poolHidden = () => page.evaluate(() => document.querySelector('canvas[data-chart="pool"]').closest('.chart-card').hidden);
  assert.equal(await poolHidden(), true, 'no pool chart while no process has a database pool');
  const { reset, append } = messages(Date.now());
  await page.evaluate((m) => window.postMessage(m, '*'), reset);
  await page.waitForFunction(() => [...document.querySelectorAll('canvas[data-chart]')].every((c) => Number(c.dataset.points) > 0));
  const afterReset = await points();
  t.diagnostic(`points after reset: ${JSON.stringify(afterReset)}`);
  assert.equal(afterReset.heap, 60 * 4 + 6, 'heap used, total, RSS, external and 6 major GC marks');
  assert.equal(afterReset.cache, 60 * 3, 'hits/s, misses/s and the hit rate of each second');
  assert.equal(await cacheHidden(), false, 'the cache chart shows once the process read a cache');
  assert.equal(afterReset.pool, 60 * 4, 'in use, open, waiting and max at each sample');
  assert.equal(await poolHidden(), false, 'the pool chart shows once the process has a pool');
  const drawn = await pixels();
  assert.ok(drawn.ink > empty.ink + 1000, `the heap chart drew (${empty.ink} → ${drawn.ink} painted pixels)`);

  let last = drawn;
  for (const k of [1, 2]) {
    await page.evaluate((m) => window.postMessage(m, '*'), append(k));
    await page.waitForFunction((n) => Number(document.querySelector('canvas[data-chart="heap"]').dataset.points) === n, afterReset.heap + 4 * k);
    const now = await points();
    for (const id of ['gc', 'loop', 'http', 'cache', 'pool']) assert.ok(now[id] > afterReset[id], `${id} grew after update ${k}`);
    const px = await pixels();
    assert.notEqual(px.hash, last.hash, `the heap chart changed after update ${k}`);
    last = px;
  }
  // 60 s of 40–44 hits and 10–12 misses a second, then two seconds of 30 and 30
  assert.match(await page.textContent('header .summary'), /heap 66\.8 MB · RSS 90\.6 MB · loop p99 30 ms · 180 req\/s · cache hits 78 %/);

  // A theme change: VS Code swaps the body class and the variables; the charts take the new colours.
  const greenBefore = await page.evaluate(() => countColor('heap'));
  assert.equal(greenBefore, 0);
  await page.evaluate(() => {
    document.documentElement.style.setProperty('--vscode-charts-blue', '#00ff00');
    document.body.className = 'vscode-light';
  });
  await page.waitForFunction(() => countColor('heap') > 50);

  // Findings: the list shows the finding; a click on its location asks the host to open it.
  await page.click('vscode-tab-header:nth-of-type(3)');
  await page.click('li.finding a.location');
  const open = await page.evaluate(() => window.__posted.find((m) => m.type === 'open'));
  assert.deepEqual(open, { type: 'open', file: FILE, line: 42, column: 17 });
  assert.equal(await page.textContent('vscode-badge'), '1');

  // Queries tab, then a reload (what hiding and showing the panel does): the tab is kept.
  await page.click('vscode-tab-header:nth-of-type(2)');
  assert.match(await page.textContent('vscode-table-body'), /select \* from comments where post_id = \?/);
  await page.reload();
  await page.waitForFunction(() => window.__posted.some((m) => m.type === 'ready'));
  assert.equal(await page.getAttribute('vscode-tabs', 'selected-index'), '1');

  await page.click('vscode-tab-header:nth-of-type(1)');
  await page.evaluate((m) => window.postMessage(m, '*'), reset);
  await page.waitForFunction(() => Number(document.querySelector('canvas[data-chart="heap"]').dataset.points) > 0);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  fs.mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
  await page.screenshot({ path: path.join(ROOT, 'test-results', 'charts-panel.png') });

  assert.deepEqual(await page.evaluate(() => window.__violations), [], 'no CSP violation');
  assert.deepEqual(errors, [], 'no errors in the page');
});

test('a provisional point is drawn, replaced by its newer value and by the closed second, never doubled', { timeout: 90_000 }, async (t) => {
  if (!fs.existsSync(CHROMIUM)) return t.skip(`${CHROMIUM} is not installed`);
  const { page, errors, url } = await openChartsPage(t);
  await page.goto(url);
  await page.waitForFunction(() => window.__posted.some((m) => m.type === 'ready'));

  const t0 = Math.floor(Date.now() / 1000) * 1000 - 10_000;
  const s = (k) => t0 + k * 1000;
  const OTHER = PID + 1;
  const post = (m) => page.evaluate((msg) => window.postMessage(msg, '*'), m);
  const none = { memory: [], gcMarks: [], gcPauses: [], eventLoop: [], http: [] };
  /** What a chart draws once its next frame is done: how many points, and each dataset's newest [x, y]. */
  const drawn = async (id, points, last) => {
    const ready = ([p, l]) => Number(p) === points && l === JSON.stringify(last);
    try {
      await page.waitForFunction(
        ([sel, want]) => {
          const c = document.querySelector(sel);
          return Number(c.dataset.points) === want[0] && c.dataset.last === want[1];
        },
        [`canvas[data-chart="${id}"]`, [points, JSON.stringify(last)]],
        { timeout: 5000 },
      );
    } catch {
      const got = await page.evaluate((sel) => [document.querySelector(sel).dataset.points, document.querySelector(sel).dataset.last], `canvas[data-chart="${id}"]`);
      assert.ok(ready(got), `${id} chart: ${got[0]} points, newest ${got[1]}; wanted ${points}, ${JSON.stringify(last)}`);
    }
  };
  const inkHash = (id) =>
    page.evaluate((sel) => {
      const c = document.querySelector(sel);
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let hash = 0;
      for (let i = 0; i < d.length; i++) hash = (hash * 31 + d[i]) | 0;
      return hash;
    }, `canvas[data-chart="${id}"]`);

  // Nine closed seconds and the tenth still open, as a page that (re)loads gets them.
  const closedHttp = Array.from({ length: 9 }, (_, k) => [s(k), 50, 8, 0]);
  const closedGc = Array.from({ length: 9 }, (_, k) => [s(k), 1, 0, 2]);
  await post({
    type: 'reset',
    windowMs: 5 * 60_000,
    processes: [{ pid: PID, command: 'node server.js', startedAt: t0 - 1000, ended: false }],
    series: [{ pid: PID, ...none, http: closedHttp, gcPauses: closedGc, provisional: { http: [s(9), 3, 12, 0], gcPauses: [s(9), 0.5, 0, 1] } }],
    queries: {},
    findings: [],
  });
  // requests/s, p95 and errors/s: ten points each; GC minor and major: ten bars each.
  await drawn('http', 30, [[s(9), 3], [s(9), 12], [s(9), 0]]);
  await drawn('gc', 20, [[s(9), 0.5], [s(9), 0]]);
  const before = await inkHash('http');

  // The open second grows: its point is replaced, not added.
  await post({ type: 'append', series: [{ pid: PID, ...none, provisional: { http: [s(9), 7, 15, 1], gcPauses: [s(9), 1.25, 4, 3] } }] });
  await drawn('http', 30, [[s(9), 7], [s(9), 15], [s(9), 1]]);
  await drawn('gc', 20, [[s(9), 1.25], [s(9), 4]]);
  assert.notEqual(await inkHash('http'), before, 'the requests chart redrew the open second');

  // It closes (final value) while the next one opens; GC's closes with no new open second.
  await post({ type: 'append', series: [{ pid: PID, ...none, http: [[s(9), 9, 15, 1]], gcPauses: [[s(9), 1.25, 4, 3]], provisional: { http: [s(10), 2, 5, 0] } }] });
  await drawn('http', 33, [[s(10), 2], [s(10), 5], [s(10), 0]]);
  await drawn('gc', 20, [[s(9), 1.25], [s(9), 4]]);
  assert.match(await page.textContent('header .summary'), /9 req\/s/, 'the summary shows the last closed second');

  // The top-queries table follows every update: rows updated in place, added and removed.
  const row = (fingerprint, count) => ({ fingerprint, db: 'postgres', count, totalMs: count * 2, meanMs: 2, p95Ms: 3, maxMs: 4 });
  const rows = () => page.$$eval('vscode-table-body vscode-table-row', (rs) => rs.map((r) => [...r.querySelectorAll('vscode-table-cell')].map((c) => c.textContent)));
  await post({ type: 'append', series: [], queries: { [PID]: [row('select 1', 10)] } });
  await page.waitForFunction(() => document.querySelectorAll('vscode-table-body vscode-table-row').length === 1);
  await post({ type: 'append', series: [], queries: { [PID]: [row('select 2', 30), row('select 1', 12)] } });
  await page.waitForFunction(() => document.querySelectorAll('vscode-table-body vscode-table-row').length === 2);
  assert.deepEqual((await rows()).map((r) => [r[0], r[2]]), [['select 2', '30'], ['select 1', '12']]);
  await post({ type: 'append', series: [], queries: { [PID]: [row('select 1', 13)] } });
  await page.waitForFunction(() => document.querySelectorAll('vscode-table-body vscode-table-row').length === 1);
  assert.deepEqual((await rows()).map((r) => [r[0], r[2]]), [['select 1', '13']]);

  // A newer process takes the charts, then ends: the first is drawn again from what the page
  // kept, its open second once, and a newer value of it still replaces it.
  const procs = (ended) => [
    { pid: PID, command: 'node server.js', startedAt: t0 - 1000, ended: false },
    { pid: OTHER, command: 'node worker.js', startedAt: t0 + 5000, ended },
  ];
  await post({ type: 'append', series: [{ pid: OTHER, ...none, http: [[s(9), 1, 1, 0]] }], processes: procs(false) });
  await drawn('http', 3, [[s(9), 1], [s(9), 1], [s(9), 0]]);
  await post({ type: 'append', series: [], processes: procs(true) });
  await drawn('http', 33, [[s(10), 2], [s(10), 5], [s(10), 0]]);
  await post({ type: 'append', series: [{ pid: PID, ...none, provisional: { http: [s(10), 4, 6, 0] } }] });
  await drawn('http', 33, [[s(10), 4], [s(10), 6], [s(10), 0]]);
  assert.deepEqual(errors, [], 'no errors in the page');
});
