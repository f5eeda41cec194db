/** Numbers as a developer reads them in a hover, a tree row or the status bar. Pure. */
import { KIND_TITLES } from '../../core/findings/kinds';
export { plural } from '../../core/util/units';

const KB = 1024;
const MB = 1024 * 1024;
const GB = 1024 * MB;

/** `84 MB`, `1.5 MB`, `312 KB`, `2.10 GB`. */
export function formatBytes(n: number): string {
  const abs = Math.abs(n);
  if (abs >= GB) return `${(n / GB).toFixed(2)} GB`;
  if (abs >= 10 * MB) return `${Math.round(n / MB)} MB`;
  if (abs >= MB) return `${(n / MB).toFixed(1)} MB`;
  if (abs >= KB) return `${Math.round(n / KB)} KB`;
  return `${Math.round(n)} B`;
}

/** `0.4 ms`, `12.5 ms`, `340 ms`, `2.4 s`. */
export function formatMs(n: number): string {
  if (Math.abs(n) >= 1000) return `${(n / 1000).toFixed(1)} s`;
  if (Math.abs(n) >= 100) return `${Math.round(n)} ms`;
  return `${n.toFixed(1)} ms`;
}

/** Uptime: `42 s`, `3 min 05 s`, `2 h 07 min`. */
export function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** How the side panel and the hover name each kind of finding: the report's headings. */
export const KIND_LABELS = KIND_TITLES;

export function kindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind;
}

/** The kinds whose finding is about one SQL statement (`data.sample`). */
export const QUERY_KINDS: ReadonlySet<string> = new Set(['n-plus-one', 'slow-query', 'duplicate-query']);
