import * as path from 'node:path';
import type { Finding } from '../../core/findings/finding';
import { pathInside } from '../../core/util/paths';
import { formatBytes, formatUptime, KIND_LABELS, kindLabel, plural } from '../findings/format';
import type { ConnectedProcess } from '../processes';

/**
 * What the side panel and the status bar show, as plain data: the vscode adapters
 * (processes-view.ts, findings-view.ts, status-bar.ts) only copy these fields.
 */

/** The live numbers of a process, from its session. */
export interface ProcessLiveFacts {
  /** latest heapUsed (bytes) */
  heapUsed?: number;
  /** epoch ms the process started */
  startedAt?: number;
  /** the session's command (`node app.js`) */
  command?: string;
}

export interface ProcessRow {
  label: string;
  description: string;
  tooltip: string;
}

/** `app.js --port 3000` · `pid 123 · 84 MB · 3 min 05 s`. */
export function processRow(p: ConnectedProcess, live: ProcessLiveFacts, now: number): ProcessRow {
  const parts = [`pid ${p.pid}`];
  if (live.heapUsed !== undefined) parts.push(formatBytes(live.heapUsed));
  parts.push(formatUptime(now - (live.startedAt ?? p.connectedAt)));
  return {
    label: p.label,
    description: parts.join(' · '),
    tooltip: [
      `**${live.command ?? p.label}**`,
      `pid ${p.pid} · Node ${p.nodeVersion} · ${p.via === 'attach' ? 'attached' : 'launched'}`,
      live.heapUsed !== undefined ? `heap used ${formatBytes(live.heapUsed)}` : 'no heap sample yet',
      `\`${p.cwd}\``,
    ].join('\n\n'),
  };
}

export interface FindingGroup {
  kind: string;
  label: string;
  /** the worst severity in the group, for its icon */
  severity: Finding['severity'];
  findings: Finding[];
}

const SEVERITY_RANK = { error: 0, warning: 1, info: 2 } as const;

/** Findings by kind, kinds in the order of KIND_LABELS (N+1 first), most severe first inside. */
export function groupFindings(findings: readonly Finding[]): FindingGroup[] {
  const byKind = new Map<string, Finding[]>();
  for (const f of findings) {
    const list = byKind.get(f.kind);
    if (list) list.push(f);
    else byKind.set(f.kind, [f]);
  }
  const order = Object.keys(KIND_LABELS);
  const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
  return [...byKind.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([kind, list]) => {
      const sorted = [...list].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
      return { kind, label: `${kindLabel(kind)} (${list.length})`, severity: sorted[0].severity, findings: sorted };
    });
}

export interface FindingRow {
  label: string;
  description: string;
  tooltip: string;
}

/** A finding row: its message, and where (`src/posts.js:42`, relative to the workspace). */
export function findingRow(f: Finding, root: string | undefined): FindingRow {
  let where = `pid ${f.pid}`;
  if (f.location) {
    const shown = (root && pathInside(root, f.location.file)) || path.basename(f.location.file);
    where = `${shown}:${f.location.line}`;
  }
  return { label: f.message, description: where, tooltip: `${f.severity}: ${f.message}` };
}

export interface StatusFacts {
  running: boolean;
  processes: number;
  /** sum of the latest heapUsed of the connected processes; null before any sample */
  heapBytes: number | null;
  findings: number;
}

/**
 * `$(pulse) 2 · 84 MB · 3 findings` while profiling (or while findings are kept after it);
 * null when there is nothing to show.
 */
export function statusBarText(s: StatusFacts): string | null {
  if (!s.running && s.findings === 0) return null;
  const parts = [s.running ? String(s.processes) : 'stopped'];
  if (s.running && s.processes > 0 && s.heapBytes !== null) parts.push(formatBytes(s.heapBytes));
  parts.push(plural(s.findings, 'finding'));
  return `$(pulse) ${parts.join(' · ')}`;
}

/** The status bar's tooltip: one line per process, then what a click does. */
export function statusBarTooltip(s: StatusFacts, rows: readonly ProcessRow[]): string {
  const head = !s.running
    ? 'Perf Lens stopped; its findings are kept'
    : s.processes === 0
      ? 'Perf Lens is waiting for a Node.js process to connect'
      : `Perf Lens: ${plural(s.processes, 'process', 'processes')}`;
  return [head, ...rows.map((r) => `${r.label} (${r.description})`), plural(s.findings, 'finding')].join('\n');
}
