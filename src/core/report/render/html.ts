/**
 * The report as one self-contained HTML file: key figures, budget alerts, SVG charts of
 * heap, GC, event loop, requests and queries, and the findings with their source lines.
 * Inline style only, no script, no URL to fetch: it opens offline, from a CI artifact too.
 */
import type { Finding } from '../../findings/finding';
import { KIND_TITLES } from '../../findings/kinds';
import { relativeLocation } from '../../util/paths';
import { formatMs as ms, MB } from '../../util/units';
import type { ProcessReport } from '../types';
import type { Breach } from '../budgets';
import { FIGURE_NAMES, type FigureName, type Figures, type ReportWithFigures, type RequestFigures } from '../figures-types';
import { cacheRows, figureLabel, formatFigure, formatRunFigure, routeColumns } from './format-figures';
import { esc } from './html-escape';
import { sourceExcerpt } from '../source-lines';
import { readSourceFromDisk, type SourceReader } from '../../util/source-text';
import { svgChart } from './svg-chart';

export interface HtmlReportOptions {
  /** project root: places are shown relative to it */
  root: string;
  /** budget breaches to show as alerts */
  breaches?: readonly Breach[];
  /** source text of a file (default: read from disk) */
  readSource?: SourceReader;
  title?: string;
}

const COLORS = { blue: '#3b82f6', orange: '#f97316', green: '#16a34a', red: '#dc2626', purple: '#9333ea', grey: '#64748b' };

const STYLE = `
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #fff; --panel: #f6f8fa; --line: #d1d9e0; --hit: #fff8c5; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --panel: #151b23; --line: #3d444d; --hit: #3b2e00; } }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); margin: 0 auto; max-width: 1100px; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; } h3 { font-size: 15px; margin: 18px 0 6px; }
.muted { color: var(--muted); } code, pre { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
table { border-collapse: collapse; margin: 6px 0 12px; } th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: var(--panel); }
.alerts { border: 1px solid #dc2626; border-left-width: 4px; padding: 8px 12px; margin: 12px 0; background: var(--panel); }
.alerts.ok { border-color: #16a34a; }
.finding { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin: 10px 0; background: var(--panel); }
.sev { font-weight: 600; text-transform: uppercase; font-size: 11px; padding: 1px 6px; border-radius: 8px; color: #fff; }
.sev.error { background: #dc2626; } .sev.warning { background: #b45309; } .sev.info { background: #2563eb; }
pre.src { background: var(--bg); border: 1px solid var(--line); padding: 6px 0; overflow-x: auto; margin: 6px 0; }
pre.src span { display: block; padding: 0 10px; white-space: pre; } pre.src span.hit { background: var(--hit); }
pre.src i { color: var(--muted); font-style: normal; display: inline-block; min-width: 3.5em; user-select: none; }
pre.sql { background: var(--bg); border: 1px solid var(--line); padding: 6px 10px; white-space: pre-wrap; }
svg.chart { width: 100%; max-width: 720px; height: auto; display: block; margin: 6px 0 14px; }
svg .grid { stroke: var(--line); stroke-width: 0.6; } svg .axis { stroke: var(--muted); stroke-width: 1; }
svg text { fill: var(--muted); font: 11px system-ui, sans-serif; } svg .chart-title { fill: var(--fg); font-weight: 600; font-size: 12px; } svg .legend { fill: var(--fg); }
`;

const mbFmt = (n: number) => `${(n / MB).toFixed(n < 10 * MB ? 1 : 0)} MB`;
const count = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

function processCharts(p: ProcessReport, t0: number, t1: number): string {
  const m = p.metrics;
  const heap = svgChart({
    title: 'Heap and RSS',
    t0,
    t1,
    formatY: mbFmt,
    series: [
      { name: 'heap used', color: COLORS.blue, points: m.memory.map((s) => [s.t, s.heapUsed]) },
      { name: 'heap total', color: COLORS.grey, points: m.memory.map((s) => [s.t, s.heapTotal]) },
      { name: 'rss', color: COLORS.orange, points: m.memory.map((s) => [s.t, s.rss]) },
      { name: 'external', color: COLORS.purple, points: m.memory.map((s) => [s.t, s.external]) },
    ],
  });
  const gc = svgChart({
    title: 'GC pauses',
    t0,
    t1,
    formatY: ms,
    series: [
      { name: 'major', color: COLORS.red, style: 'dots', points: m.gc.filter((g) => g.kind === 'major').map((g) => [g.t, g.durationMs]) },
      { name: 'minor / other', color: COLORS.blue, style: 'dots', points: m.gc.filter((g) => g.kind !== 'major').map((g) => [g.t, g.durationMs]) },
    ],
  });
  const loop = svgChart({
    title: 'Event-loop delay',
    t0,
    t1,
    formatY: ms,
    series: [
      { name: 'p50', color: COLORS.green, points: m.eventLoop.map((e) => [e.t, e.p50Ms]) },
      { name: 'p99', color: COLORS.orange, points: m.eventLoop.map((e) => [e.t, e.p99Ms]) },
      { name: 'max', color: COLORS.red, points: m.eventLoop.map((e) => [e.t, e.maxMs]) },
    ],
  });
  return heap + gc + loop;
}

function timelineCharts(f: Figures, t1: number): string {
  const tl = f.timeline;
  const at = (i: number) => tl.t0 + i * tl.bucketMs;
  const per = tl.bucketMs === 1000 ? 'per second' : `per ${tl.bucketMs / 1000} s`;
  const requests = svgChart({
    title: `Requests ${per}`,
    t0: tl.t0,
    t1,
    barMs: tl.bucketMs,
    formatY: count,
    series: [
      { name: 'requests', color: COLORS.blue, style: 'bars', points: tl.requests.map((n, i) => [at(i), n]) },
      { name: 'errors (5xx)', color: COLORS.red, style: 'bars', points: tl.errors.map((n, i) => [at(i), n]) },
    ],
  });
  const latency = svgChart({
    title: `Request latency p95, ${per}`,
    t0: tl.t0,
    t1,
    formatY: ms,
    series: [{ name: 'p95', color: COLORS.orange, points: tl.p95Ms.map((v, i) => [at(i) + tl.bucketMs / 2, v] as const).filter((_, i) => tl.requests[i] > 0) }],
  });
  const queries = svgChart({
    title: `Queries ${per}`,
    t0: tl.t0,
    t1,
    barMs: tl.bucketMs,
    formatY: count,
    series: [{ name: 'queries', color: COLORS.purple, style: 'bars', points: tl.queries.map((n, i) => [at(i), n]) }],
  });
  const cacheReads = tl.cacheHits?.some((n, i) => n + (tl.cacheMisses?.[i] ?? 0) > 0);
  const cache = cacheReads
    ? svgChart({
        title: `Cache reads ${per}`,
        t0: tl.t0,
        t1,
        barMs: tl.bucketMs,
        formatY: count,
        series: [
          { name: 'reads', color: COLORS.green, style: 'bars', points: tl.cacheHits.map((n, i) => [at(i), n + tl.cacheMisses[i]]) },
          { name: 'misses', color: COLORS.red, style: 'bars', points: tl.cacheMisses.map((n, i) => [at(i), n]) },
        ],
      })
    : '';
  return requests + latency + queries + cache;
}

function figuresSection(f: Figures): string {
  const overall = FIGURE_NAMES.map((name) => {
    return `<tr><th>${esc(figureLabel(name))}</th><td class="num">${esc(formatRunFigure(f.overall, name))}</td></tr>`;
  }).join('');
  const columns = routeColumns(f);
  const head = columns.map((c) => `<th class="num">${esc(figureLabel(c))}</th>`).join('');
  const rows = Object.entries(f.routes)
    .map(([route, r]: [string, RequestFigures]) => `<tr><td><code>${esc(route)}</code></td>${columns.map((c) => `<td class="num">${esc(formatFigure(c, r[c]))}</td>`).join('')}</tr>`)
    .join('');
  const cache = cacheRows(f)
    .map(([pattern, ...rest]) => `<tr><td><code>${esc(pattern)}</code></td>${rest.map((v) => `<td class="num">${esc(v)}</td>`).join('')}</tr>`)
    .join('');
  return (
    `<h2>Key figures</h2><h3>Whole run</h3><table>${overall}</table>` +
    `<h3>Per route</h3>` +
    (rows ? `<table><tr><th>route</th>${head}</tr>${rows}</table>` : '<p class="muted">No HTTP requests.</p>') +
    (cache ? `<h3>Cache reads by key pattern</h3><table><tr><th>key pattern</th><th class="num">reads</th><th class="num">hits</th><th class="num">hit rate</th></tr>${cache}</table>` : '')
  );
}

function alertsSection(breaches: readonly Breach[] | undefined): string {
  if (!breaches) return '';
  if (breaches.length === 0) return '<div class="alerts ok"><strong>Budgets:</strong> all met.</div>';
  return `<div class="alerts"><strong>Budgets: ${breaches.length} breach${breaches.length === 1 ? '' : 'es'}</strong><ul>${breaches.map((b) => `<li>${esc(b.message)}</li>`).join('')}</ul></div>`;
}

function sourceBlock(read: SourceReader, loc: NonNullable<Finding['location']>): string {
  const lines = sourceExcerpt(read, loc.file, loc.line, 2);
  if (lines.length === 0) return '';
  return `<pre class="src">${lines.map((l) => `<span${l.hit ? ' class="hit"' : ''}><i>${l.line}</i>${esc(l.text)}</span>`).join('')}</pre>`;
}

function findingBlock(f: Finding, root: string, read: SourceReader): string {
  const where = f.location ? `<code>${esc(relativeLocation(f.location, root))}</code>` : `<span class="muted">pid ${f.pid}</span>`;
  const related = f.related.length
    ? `<ul>${f.related.map((r) => `<li>${esc(r.message)}${r.location ? ` <code>${esc(relativeLocation(r.location, root))}</code>` : ''}${r.location ? sourceBlock(read, r.location) : ''}</li>`).join('')}</ul>`
    : '';
  const sql = typeof f.data.sample === 'string' && f.data.sample ? `<pre class="sql">${esc(f.data.sample)}</pre>` : '';
  return (
    `<div class="finding" id="finding-${esc(f.id)}"><div><span class="sev ${esc(f.severity)}">${esc(f.severity)}</span> ${where}</div>` +
    `<p>${esc(f.message)}</p>${f.location ? sourceBlock(read, f.location) : ''}${sql}${related}</div>`
  );
}

function findingsSection(findings: readonly Finding[], root: string, read: SourceReader): string {
  if (findings.length === 0) return '<h2>Findings</h2><p>No findings.</p>';
  const kinds = new Set([...Object.keys(KIND_TITLES), ...findings.map((f) => f.kind)]);
  const parts = [`<h2>Findings (${findings.length})</h2>`];
  for (const kind of kinds) {
    const of = findings.filter((f) => f.kind === kind);
    if (of.length) parts.push(`<h3>${esc(KIND_TITLES[kind] ?? kind)} (${of.length})</h3>`, ...of.map((f) => findingBlock(f, root, read)));
  }
  return parts.join('');
}

function queriesTable(p: ProcessReport): string {
  if (p.metrics.queries.length === 0) return '';
  const rows = [...p.metrics.queries]
    .sort((a, b) => b.totalMs - a.totalMs)
    .slice(0, 25)
    .map((q) => `<tr><td><code>${esc(q.fingerprint)}</code></td><td>${esc(q.db)}</td><td class="num">${q.count}</td><td class="num">${esc(ms(q.totalMs))}</td><td class="num">${esc(ms(q.p95Ms))}</td><td class="num">${esc(ms(q.maxMs))}</td></tr>`)
    .join('');
  return `<h3>Queries by total time</h3><table><tr><th>query</th><th>db</th><th class="num">count</th><th class="num">total</th><th class="num">p95</th><th class="num">max</th></tr>${rows}</table>`;
}

/** The whole report as one HTML document. */
export function renderHtmlReport(report: ReportWithFigures, options: HtmlReportOptions): string {
  const read = options.readSource ?? readSourceFromDisk;
  const title = options.title ?? 'Perf Lens report';
  const seconds = Math.max(0, (Date.parse(report.endedAt) - Date.parse(report.startedAt)) / 1000);
  // From the first message seen: an attached process may have started days before.
  const t0 = report.figures?.timeline.t0 ?? Date.parse(report.startedAt);
  const t1 = Date.parse(report.endedAt);
  const body: string[] = [
    `<h1>${esc(title)}</h1>`,
    `<p class="muted">${report.processes.length} process${report.processes.length === 1 ? '' : 'es'} · ${report.findings.length} finding${report.findings.length === 1 ? '' : 's'} · ${esc(report.startedAt)} → ${esc(report.endedAt)} (${seconds.toFixed(1)} s) · perf-lens ${esc(report.tool.version)}</p>`,
    alertsSection(options.breaches),
  ];
  if (report.figures) body.push(figuresSection(report.figures));
  body.push(findingsSection(report.findings, options.root, read));
  body.push('<h2>Charts</h2>');
  if (report.figures) body.push('<h3>Requests and queries (all processes)</h3>', timelineCharts(report.figures, t1));
  for (const p of report.processes) {
    body.push(`<h3>pid ${p.pid} <code>${esc(p.command)}</code> <span class="muted">${esc(p.nodeVersion)}</span></h3>`);
    body.push(`<p class="muted">${p.metrics.http.requests} requests, ${p.metrics.http.errors} errors, p50 ${esc(ms(p.metrics.http.p50Ms))}, p95 ${esc(ms(p.metrics.http.p95Ms))}, p99 ${esc(ms(p.metrics.http.p99Ms))}${p.dropped ? `, ${p.dropped} messages dropped` : ''}</p>`);
    body.push(processCharts(p, Number.isFinite(t0) ? t0 : Date.parse(p.startedAt), t1), queriesTable(p));
  }
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><style>${STYLE}</style></head>` +
    `<body>${body.join('\n')}</body></html>\n`
  );
}
