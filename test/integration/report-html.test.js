'use strict';
// The HTML report (self-contained: no URL to fetch, no script, inline style and SVG charts,
// findings with their source lines) and the Markdown summary (key figures and budgets).
const { CORE } = require('../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { fixtureDir } = require('../helpers/cli');
const { T0, hello, request, memory } = require('../fixtures/reporting/messages');

const core = require(CORE);

const SOURCE = [
  "const db = require('../unit/db');",
  'function list(posts) {',
  '  for (const p of posts) {',
  "    p.author = db.get('SELECT * FROM authors WHERE id = ?', p.authorId); // <b>one per post</b>",
  '  }',
  '}',
].join('\n');

function fixture(t) {
  const dir = fixtureDir({ 'src/posts.js': SOURCE });
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'src', 'posts.js');
  const store = new core.SessionStore();
  const msgs = [hello(1)];
  for (let i = 0; i < 20; i++) {
    msgs.push(memory(1, T0 + i * 500, 5e6 + i * 1e5));
    msgs.push({ type: 'gc', pid: 1, t: T0 + i * 500 + 10, kind: i % 4 ? 'minor' : 'major', durationMs: 1 + (i % 3) });
    msgs.push({ type: 'eventLoop', pid: 1, t: T0 + i * 500 + 20, p50Ms: 1, p99Ms: 5 + (i % 4), maxMs: 12, utilization: 0.3 });
    msgs.push(...request({ t: T0 + i * 500 + 30, route: '/posts', durationMs: 4 + i, queries: 6, status: i === 7 ? 500 : 200 }));
  }
  for (const m of msgs) store.ingest(m);
  store.disconnected(1, T0 + 10_000);
  const finding = {
    id: 'abc', kind: 'n-plus-one', severity: 'error', pid: 1,
    message: 'N+1 query: "select * from authors where id = ?" ran 5 times in GET /posts <script>alert(1)</script>',
    location: { file, line: 4, column: 16 },
    related: [{ message: 'The "1" query', location: { file, line: 2, column: 1 } }],
    data: { sample: 'SELECT * FROM authors WHERE id = ?' },
  };
  const report = core.withFigures(core.buildReport({ sessions: store.sessions, findings: [finding] }), store.sessions);
  const breaches = core.checkBudgets(report.figures, core.parseBudget({ routes: { 'GET /posts': { queriesPerRequest: 2 } } }));
  return { dir, file, report, breaches };
}

test('the HTML report is one self-contained file: no URL, no script, no external style', (t) => {
  const { dir, report, breaches } = fixture(t);
  const html = core.renderHtmlReport(report, { root: dir, breaches });
  assert.match(html, /^<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">/);
  assert.doesNotMatch(html, /https?:\/\//i, 'no http(s) URL anywhere');
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /<link|<img|<iframe|@import|url\(|\ssrc=/i);
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">/);
  assert.match(html, /<style>[^]*<\/style>/);
});

test('charts of heap, GC, event loop, requests and queries, drawn as inline SVG from the data', (t) => {
  const { dir, report } = fixture(t);
  const html = core.renderHtmlReport(report, { root: dir });
  for (const title of ['Heap and RSS', 'GC pauses', 'Event-loop delay', 'Requests per second', 'Request latency p95, per second', 'Queries per second']) {
    const svg = new RegExp(`<svg class="chart"[^>]*aria-label="${title}">([^]*?)</svg>`).exec(html);
    assert.ok(svg, `a chart "${title}"`);
    assert.match(svg[1], /<path d="M|<circle |<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+" fill/, `"${title}" draws data`);
  }
  // 20 GC pauses, one dot each, 5 of them major
  const gc = /aria-label="GC pauses">([^]*?)<\/svg>/.exec(html)[1];
  assert.equal((gc.match(/<circle /g) || []).length, 20);
  assert.equal((gc.match(/<title>major: /g) || []).length, 5);
  // requests per second: 20 requests, every bar's count in its tooltip
  const bars = /aria-label="Requests per second">([^]*?)<\/svg>/.exec(html)[1];
  const counted = [...bars.matchAll(/<title>requests: (\d+)<\/title>/g)].reduce((a, m) => a + Number(m[1]), 0);
  assert.equal(counted, 20);
});

test('findings with their source lines read from the file, escaped, the finding line marked', (t) => {
  const { dir, report } = fixture(t);
  const html = core.renderHtmlReport(report, { root: dir });
  assert.match(html, /<code>src\/posts\.js:4:16<\/code>/);
  assert.ok(html.includes('<span class="hit"><i>4</i>    p.author = db.get(&#39;SELECT * FROM authors WHERE id = ?&#39;, p.authorId); // &lt;b&gt;one per post&lt;/b&gt;</span>'), 'line 4 as in the file, marked');
  assert.ok(html.includes('<span><i>2</i>function list(posts) {</span>'), 'context lines around it');
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the message escaped');
  assert.match(html, /<pre class="sql">SELECT \* FROM authors WHERE id = \?<\/pre>/);
  // the editor's unsaved text wins when given; a file that cannot be read shows no source block
  const edited = core.renderHtmlReport(report, { root: dir, readSource: () => 'a\nb\nc\nEDITED LINE\n' });
  assert.ok(edited.includes('<span class="hit"><i>4</i>EDITED LINE</span>'));
  const gone = core.renderHtmlReport(report, { root: dir, readSource: () => undefined });
  assert.doesNotMatch(gone, /<pre class="src">/);
});

test('key figures and budget alerts in the HTML report', (t) => {
  const { dir, report, breaches } = fixture(t);
  const html = core.renderHtmlReport(report, { root: dir, breaches });
  assert.match(html, /<div class="alerts"><strong>Budgets: 1 breach<\/strong><ul><li>The queries per request of GET \/posts is 6, over its budget of 2\.<\/li><\/ul><\/div>/);
  assert.match(html, /<tr><td><code>GET \/posts<\/code><\/td><td class="num">20<\/td><td class="num">1<\/td><td class="num">5\.00 %<\/td>/);
  assert.match(html, /<tr><th>event-loop p99<\/th><td class="num">8\.0 ms<\/td><\/tr>/);
  assert.match(core.renderHtmlReport(report, { root: dir, breaches: [] }), /<div class="alerts ok"><strong>Budgets:<\/strong> all met\.<\/div>/);
});

test('the Markdown summary: budgets and key figures before the findings, the report as before', (t) => {
  const { dir, report, breaches } = fixture(t);
  const md = core.formatMarkdownSummary(report, dir, breaches);
  assert.match(md, /^# Perf Lens report\n\n1 process · 1 finding · .*\n\n## Budgets: 1 breach\n\n- ❌ The queries per request of GET \/posts is 6, over its budget of 2\.\n\n## Key figures\n/);
  assert.match(md, /\| requests \| 20 \|\n\| errors \| 1 \|\n\| error rate \| 5\.00 % \|/);
  assert.match(md, /\| `GET \/posts` \| 20 \| 1 \| 5\.00 % \| 13 ms \| 22 ms \| 23 ms \| [\d.]+\/s \| 6 \|/);
  assert.ok(md.indexOf('## Key figures') < md.indexOf('## Findings'));
  assert.match(md, /### N\+1 queries \(1\)\n\n- \*\*error\*\* `src\/posts\.js:4:16`/);
  assert.match(md, /## Processes\n/);
  const plain = core.formatMarkdownReport(report, dir);
  assert.doesNotMatch(plain, /## Key figures|## Budgets/, 'the plain Markdown report is unchanged');
});

test('a browser opens the HTML report without a single network request', { skip: !fs.existsSync('/usr/bin/chromium') && 'no chromium' }, async (t) => {
  const { chromium } = require('playwright-core');
  const { dir, report, breaches } = fixture(t);
  const file = path.join(dir, 'report.html');
  fs.writeFileSync(file, core.renderHtmlReport(report, { root: dir, breaches }));
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'] });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  const errors = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto('file://' + file);
  assert.deepEqual(requests, ['file://' + file]);
  assert.deepEqual(errors, []);
  assert.equal(await page.locator('svg.chart').count(), 6);
  const box = await page.locator('svg.chart').first().boundingBox();
  assert.ok(box.width > 300 && box.height > 80, `the chart is drawn at ${box.width}×${box.height}`);
  assert.equal(await page.locator('pre.src span.hit').first().innerText(), "4    p.author = db.get('SELECT * FROM authors WHERE id = ?', p.authorId); // <b>one per post</b>");
});
