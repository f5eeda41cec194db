import { KIND_TITLES } from '../../findings/kinds';
import { relativeLocation } from '../../util/paths';
import { formatMs as ms, MB } from '../../util/units';
import type { Finding } from '../../findings/finding';
import type { Report } from '../types';

/** A table cell: no line breaks, no column separators. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

/** Inline code that survives backticks inside it. */
function code(text: string): string {
  const ticks = text.includes('`') ? '``' : '`';
  return `${ticks}${ticks.length > 1 ? ' ' : ''}${text}${ticks.length > 1 ? ' ' : ''}${ticks}`;
}

function fence(text: string, lang: string): string[] {
  const marker = text.includes('```') ? '~~~' : '```';
  return [`${marker}${lang}`, text, marker];
}

function findingLines(f: Finding, root: string): string[] {
  const where = f.location ? code(relativeLocation(f.location, root)) : `pid ${f.pid}`;
  const out = [`- **${f.severity}** ${where}: ${f.message.replace(/\r?\n/g, ' ')}`];
  for (const r of f.related) {
    out.push(`  - ${r.message.replace(/\r?\n/g, ' ')}${r.location ? ` (${code(relativeLocation(r.location, root))})` : ''}`);
  }
  if (typeof f.data.sample === 'string' && f.data.sample) {
    out.push('', ...fence(f.data.sample, 'sql').map((l) => `  ${l}`));
  }
  return out;
}

/** Extra Markdown placed between the header line and the findings (key figures, budget alerts). */
export interface MarkdownReportOptions {
  sections?: readonly string[];
}

/**
 * The report as Markdown for a pull request or an issue: findings by kind with their places
 * relative to `root`, then one row per process.
 */
export function formatMarkdownReport(report: Report, root: string, options: MarkdownReportOptions = {}): string {
  const lines: string[] = ['# Perf Lens report', ''];
  const seconds = Math.max(0, (Date.parse(report.endedAt) - Date.parse(report.startedAt)) / 1000);
  const n = report.findings.length;
  lines.push(
    `${report.processes.length} process${report.processes.length === 1 ? '' : 'es'} · ${n} finding${n === 1 ? '' : 's'} · ` +
      `${report.startedAt} → ${report.endedAt} (${seconds.toFixed(1)} s)`,
    '',
  );
  for (const section of options.sections ?? []) lines.push(section.replace(/\n*$/, ''), '');
  lines.push('## Findings', '');
  if (n === 0) lines.push('No findings.', '');
  const kinds = [...Object.keys(KIND_TITLES), ...new Set(report.findings.map((f) => f.kind))];
  for (const kind of new Set(kinds)) {
    const of = report.findings.filter((f) => f.kind === kind);
    if (of.length === 0) continue;
    lines.push(`### ${KIND_TITLES[kind] ?? kind} (${of.length})`, '');
    for (const f of of) lines.push(...findingLines(f, root));
    lines.push('');
  }
  if (report.processes.length) {
    lines.push('## Processes', '', '| pid | command | Node | heap peak | requests | p95 | queries |', '| ---: | --- | --- | ---: | ---: | ---: | ---: |');
    for (const p of report.processes) {
      const m = p.metrics;
      const heap = m.memory.length ? `${(Math.max(...m.memory.map((s) => s.heapUsed)) / MB).toFixed(1)} MB` : 'n/a';
      const queries = m.queries.reduce((a, q) => a + q.count, 0);
      lines.push(
        `| ${p.pid} | ${cell(code(p.command))} | ${cell(p.nodeVersion)} | ${heap} | ${m.http.requests} | ${m.http.requests ? ms(m.http.p95Ms) : 'n/a'} | ${queries} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}
