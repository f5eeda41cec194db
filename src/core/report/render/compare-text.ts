import type { Finding } from '../../findings/finding';
import { relativeLocation } from '../../util/paths';
import type { Comparison, FigureChange, ScopeComparison } from '../compare';
import { figureLabel, formatChange, formatFigure } from './format-figures';

function relative(c: FigureChange): string {
  return c.relative === null || !Number.isFinite(c.relative) ? '' : ` (${c.relative > 0 ? '+' : c.relative < 0 ? '−' : '±'}${Math.abs(c.relative * 100).toFixed(0)} %)`;
}

function interval(c: FigureChange): string {
  if (!c.interval) return c.note ?? '';
  return `${formatChange(c.figure, c.interval[0])} … ${formatChange(c.figure, c.interval[1])}`;
}

function presence(s: ScopeComparison): string {
  return s.presence === 'new' ? ' (only in head)' : s.presence === 'gone' ? ' (only in base)' : '';
}

function findingWhere(f: Finding, root: string): string {
  return f.location ? relativeLocation(f.location, root) : `pid ${f.pid}`;
}

/** `3 better, 1 worse, 2 new findings, 1 fixed`: the one line a CI log shows. */
export function comparisonHeadline(c: Comparison): string {
  const parts = [`${c.improvements} better`, `${c.regressions - c.newFindings.filter((f) => f.severity !== 'info').length} worse`];
  parts.push(`${c.newFindings.length} new finding${c.newFindings.length === 1 ? '' : 's'}`, `${c.fixedFindings.length} fixed`);
  return `${parts.join(', ')}: ${c.regressions ? 'regression' : 'no regression'}.`;
}

/** What `perf-lens compare` prints: every judged figure, with its change and verdict. */
export function formatComparisonText(c: Comparison, root: string, names: [string, string]): string {
  const lines = [`Perf Lens compare: ${names[0]} → ${names[1]}`];
  for (const s of [c.overall, ...c.routes]) {
    lines.push(`${s.scope}${presence(s)}`);
    for (const ch of s.changes) {
      if (s.presence === 'both' && ch.base === null && ch.head === null) continue;
      const values = `${formatFigure(ch.figure, ch.base)} → ${formatFigure(ch.figure, ch.head)}`;
      const verdict = ch.verdict === 'same' ? '' : `  ${ch.verdict.toUpperCase()}`;
      lines.push(`  ${figureLabel(ch.figure).padEnd(20)} ${values.padEnd(26)} ${ch.delta === null ? '' : formatChange(ch.figure, ch.delta) + relative(ch)}${verdict}`.trimEnd());
    }
  }
  for (const [title, list] of [['New findings', c.newFindings], ['Fixed findings', c.fixedFindings]] as const) {
    lines.push(`${title}: ${list.length}`);
    for (const f of list) lines.push(`  ${findingWhere(f, root)}: ${f.severity} ${f.kind}: ${f.message}`);
  }
  lines.push(comparisonHeadline(c));
  return lines.join('\n');
}

function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

const VERDICT_MD = { better: '**better**', worse: '**worse**', same: 'same' } as const;

function scopeTable(s: ScopeComparison): string[] {
  const out = ['| figure | base | head | change | 95 % interval of the change | verdict |', '| --- | ---: | ---: | ---: | --- | --- |'];
  for (const ch of s.changes) {
    out.push(
      `| ${figureLabel(ch.figure)} | ${formatFigure(ch.figure, ch.base)} | ${formatFigure(ch.figure, ch.head)} | ` +
        `${ch.delta === null ? '' : formatChange(ch.figure, ch.delta) + relative(ch)} | ${cell(interval(ch))} | ${VERDICT_MD[ch.verdict]} |`,
    );
  }
  return out;
}

/** The comparison as Markdown, for a pull request comment. */
export function formatComparisonMarkdown(c: Comparison, root: string, names: [string, string]): string {
  const lines = ['# Perf Lens comparison', '', `\`${cell(names[0])}\` → \`${cell(names[1])}\`: ${comparisonHeadline(c)}`, ''];
  lines.push('A figure is better or worse only when the whole 95 % interval of its change, from the spread of the samples, lies beyond the smallest change that matters.', '');
  lines.push('## Overall', '', ...scopeTable(c.overall), '', '## Routes', '');
  if (c.routes.length === 0) lines.push('No HTTP requests in either run.', '');
  for (const s of c.routes) lines.push(`### \`${cell(s.scope)}\`${presence(s)}`, '', ...scopeTable(s), '');
  for (const [title, list] of [['New findings', c.newFindings], ['Fixed findings', c.fixedFindings]] as const) {
    lines.push(`## ${title} (${list.length})`, '');
    if (list.length === 0) lines.push('None.');
    for (const f of list) lines.push(`- **${f.severity}** \`${findingWhere(f, root)}\` ${f.kind}: ${f.message.replace(/\r?\n/g, ' ')}`);
    lines.push('');
  }
  return lines.join('\n');
}
