import type { LeakGroup } from './diff';
import { formatRetainerPath } from './retainers';

/** 1536 → "1.5 KB" */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

function where(g: LeakGroup): string {
  if (!g.location) return '';
  const file = g.location.url ?? `script ${g.location.scriptId}`;
  return `${g.allocatedBy ? `${g.allocatedBy} ` : ''}${file}:${g.location.line}:${g.location.column}`;
}

/** The groups as a table a developer reads in a terminal, each with its retainer path. */
export function formatLeakGroups(groups: LeakGroup[], opts: { top?: number } = {}): string {
  if (groups.length === 0) return 'No leak candidates: nothing allocated between the baseline and the target is still alive in the final snapshot.\n';
  const shown = groups.slice(0, opts.top ?? 20);
  const total = groups.reduce((s, g) => s + g.count, 0);
  const lines = [
    `${total} object${total === 1 ? '' : 's'} in ${groups.length} group${groups.length === 1 ? '' : 's'} were allocated between the baseline and the target and are still alive in the final snapshot.`,
    '',
    `${'#'.padStart(3)}  ${'count'.padStart(8)}  ${'self'.padStart(9)}  ${'retained'.padStart(9)}  constructor`,
  ];
  shown.forEach((g, k) => {
    const name = g.nodeType === 'closure' ? `${g.name}()` : g.name;
    const at = where(g);
    lines.push(
      `${String(k + 1).padStart(3)}  ${String(g.count).padStart(8)}  ${formatBytes(g.selfSize).padStart(9)}  ${formatBytes(g.retainedSize).padStart(9)}  ${name}${at ? `  (${at})` : ''}`,
    );
    lines.push(`${' '.repeat(5)}retained by: ${g.retainerPathText}`);
  });
  if (groups.length > shown.length) lines.push('', `… and ${groups.length - shown.length} more groups (use --json for all).`);
  return lines.join('\n') + '\n';
}
