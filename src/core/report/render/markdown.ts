import { formatMarkdownReport } from './markdown-report';
import type { Breach } from '../budgets';
import { FIGURE_NAMES, type FigureName, type Figures, type ReportWithFigures } from '../figures-types';
import { cacheRows, figureLabel, formatFigure, formatRunFigure, routeColumns } from './format-figures';

const cell = (text: string) => text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');

/** `## Budgets`: each breach as a line, or that all were met. */
export function markdownBudgets(breaches: readonly Breach[]): string {
  if (breaches.length === 0) return '## Budgets\n\nAll budgets met.';
  return [`## Budgets: ${breaches.length} breach${breaches.length === 1 ? '' : 'es'}`, '', ...breaches.map((b) => `- ❌ ${b.message}`)].join('\n');
}

/** `## Key figures`: the whole run, then one row per route. */
export function markdownFigures(f: Figures): string {
  const overall = FIGURE_NAMES.map((n: FigureName) => `| ${figureLabel(n)} | ${formatRunFigure(f.overall, n)} |`);
  const lines = ['## Key figures', '', '| whole run | |', '| --- | ---: |', ...overall, ''];
  const routes = Object.entries(f.routes);
  const columns = routeColumns(f);
  if (routes.length) {
    lines.push(`| route | ${columns.map(figureLabel).join(' | ')} |`, `| --- | ${columns.map(() => '---:').join(' | ')} |`);
    for (const [route, r] of routes) lines.push(`| \`${cell(route)}\` | ${columns.map((c) => formatFigure(c, r[c])).join(' | ')} |`);
  }
  const cache = cacheRows(f);
  if (cache.length) {
    lines.push('', '| cache key pattern | reads | hits | hit rate |', '| --- | ---: | ---: | ---: |');
    for (const [pattern, ...rest] of cache) lines.push(`| \`${cell(pattern)}\` | ${rest.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The Markdown summary: the report's Markdown with budget alerts and key figures before the findings. */
export function formatMarkdownSummary(report: ReportWithFigures, root: string, breaches?: readonly Breach[]): string {
  const sections: string[] = [];
  if (breaches) sections.push(markdownBudgets(breaches));
  if (report.figures) sections.push(markdownFigures(report.figures));
  return formatMarkdownReport(report, root, { sections });
}
