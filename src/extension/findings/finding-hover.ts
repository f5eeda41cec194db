import type { Finding } from '../../core/findings/finding';
import { formatBytes, formatMs, kindLabel } from './format';

/** Keys shown below the table rather than in it (or, for the reason, already in the message). */
const BLOCK_KEYS = new Set(['sample', 'routes', 'noLocationReason', 'libraryFrame']);

interface RouteRow {
  scope?: unknown;
  requests?: unknown;
  count?: unknown;
  minCount?: unknown;
  totalMs?: unknown;
  caller?: { file?: unknown; line?: unknown } | null;
}

/** An N+1's routes (`data.routes`): each route's repeats per request, its time, the loop calling it. */
function routesTable(routes: unknown): string[] {
  if (!Array.isArray(routes) || routes.length === 0) return [];
  const out = ['| route | requests | repeats per request | time in the worst | called from |', '| --- | ---: | ---: | ---: | --- |'];
  for (const r of routes as RouteRow[]) {
    const repeats = r.minCount !== undefined && r.minCount !== r.count ? `${r.minCount}–${r.count}` : String(r.count ?? '');
    const caller = r.caller && typeof r.caller.file === 'string' ? `${r.caller.file.split(/[\\/]/).pop()}:${r.caller.line}` : '';
    const time = typeof r.totalMs === 'number' ? formatMs(r.totalMs) : '';
    out.push(`| ${escapeCell(String(r.scope ?? ''))} | ${escapeCell(String(r.requests ?? ''))} | ${escapeCell(repeats)} | ${escapeCell(time)} | ${escapeCell(caller)} |`);
  }
  out.push('');
  return out;
}

/** `bytesPerMinute` → `bytes per minute`; a trailing `Ms` unit goes into the value. */
function label(key: string): string {
  return key
    .replace(/Ms$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

function escapeCell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function inlineCode(text: string): string {
  const t = text.length > 120 ? `${text.slice(0, 117)}…` : text;
  return t.includes('`') ? `\`\` ${t} \`\`` : `\`${t}\``;
}

/** One value of `data` as a developer reads it. */
export function formatDataValue(key: string, value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) {
    if (/PerMinute$/.test(key) && /bytes/i.test(key)) return `${formatBytes(value)}/min`;
    if (/PerRound$/.test(key) && /bytes/i.test(key)) return `${formatBytes(value)}/round`;
    if (/bytes|^heap(Used|Limit|Total)$|^rss$/i.test(key)) return formatBytes(value);
    if (/Ms$/.test(key)) return formatMs(value);
    if (key === 'confidence' || key === 'ratio' || key === 'utilization') return `${Math.round(value * 100)} %`;
    return Number.isInteger(value) ? String(value) : value.toFixed(2);
  }
  if (typeof value === 'string') return inlineCode(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return inlineCode(JSON.stringify(value) ?? String(value));
}

/**
 * The hover of a Perf Lens diagnostic: what it is, the numbers behind it as a Markdown table,
 * and the SQL it is about.
 */
export function findingHoverMarkdown(f: Finding): string {
  const lines = [`**Perf Lens · ${kindLabel(f.kind)}** (${f.severity}, pid ${f.pid})`, '', f.message, ''];
  const rows = Object.entries(f.data).filter(([k, v]) => !BLOCK_KEYS.has(k) && v !== undefined && v !== null);
  if (rows.length) {
    lines.push('| | |', '| --- | ---: |');
    for (const [k, v] of rows) lines.push(`| ${escapeCell(label(k))} | ${escapeCell(formatDataValue(k, v))} |`);
    lines.push('');
  }
  lines.push(...routesTable(f.data.routes));
  if (typeof f.data.sample === 'string' && f.data.sample) {
    const fence = f.data.sample.includes('```') ? '~~~' : '```';
    lines.push(`${fence}sql`, f.data.sample, fence, '');
  }
  return lines.join('\n');
}
