import { FIGURE_INFO, type FigureName, type Figures, type RequestFigures, type RunFigures } from '../figures-types';
import { MIN_SLOPE_WINDOW_MS } from '../figures';

const MB = 1024 * 1024;

function ms(n: number): string {
  return `${n < 10 ? n.toFixed(1) : Math.round(n)} ms`;
}

function bytes(n: number): string {
  const abs = Math.abs(n);
  if (abs >= MB) return `${(n / MB).toFixed(1)} MB`;
  if (abs >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${Math.round(n)} B`;
}

/** A figure as a person reads it: `12.3 ms`, `1.5 %`, `2.1 MB/min`; `n/a` for null. */
export function formatFigure(name: FigureName, value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  switch (FIGURE_INFO[name].unit) {
    case 'ms':
      return ms(value);
    case '%':
      return `${(value * 100).toFixed(value * 100 < 10 ? 2 : 1)} %`;
    case 'B':
      return bytes(value);
    case 'B/min':
      return `${bytes(value)}/min`;
    case '/s':
      return `${value < 10 ? value.toFixed(2) : value.toFixed(1)}/s`;
    default:
      return Number.isInteger(value) ? String(value) : value.toFixed(2);
  }
}

/** A signed change: `+3.1 ms`, `−2.00`, `+0.5 %` (percentage points for shares). */
export function formatChange(name: FigureName, delta: number | null): string {
  if (delta === null || !Number.isFinite(delta)) return 'n/a';
  const sign = delta > 0 ? '+' : delta < 0 ? '−' : '±';
  return sign + formatFigure(name, Math.abs(delta)).replace(/ %$/, ' pp');
}

export function figureLabel(name: FigureName): string {
  return FIGURE_INFO[name].label;
}

/**
 * A whole-run figure with what it knows of its window: a heap slope the run was too short to
 * support reads "not enough data (2.8 s of heap samples; needs 60 s)", never a number.
 */
export function formatRunFigure(overall: RunFigures, name: FigureName): string {
  const value = (overall as unknown as Record<string, number | null | undefined>)[name];
  if (name === 'heapSlopeBytesPerMin' && (value === null || value === undefined)) {
    const window = overall.heapWindowMs;
    const seen = typeof window === 'number' && window > 0 ? `${(window / 1000).toFixed(1)} s of heap samples; ` : '';
    return `not enough data (${seen}needs ${MIN_SLOPE_WINDOW_MS / 1000} s)`;
  }
  return formatFigure(name, value);
}

const ROUTE_COLUMNS: (keyof RequestFigures & FigureName)[] = ['requests', 'errors', 'errorRate', 'p50Ms', 'p95Ms', 'p99Ms', 'throughputPerS', 'queriesPerRequest'];

/** The per-route table's columns: the cache hit rate only when some route read a cache. */
export function routeColumns(f: Figures): (keyof RequestFigures & FigureName)[] {
  const cached = Object.values(f.routes).some((r) => (r.cacheReads ?? 0) > 0);
  return cached ? [...ROUTE_COLUMNS, 'cacheHitRate'] : ROUTE_COLUMNS;
}

/** Rows of the per-key-pattern cache table: pattern, reads, hits, hit rate (none without cache reads). */
export function cacheRows(f: Figures): string[][] {
  return (f.cache ?? []).map((p) => [p.pattern, String(p.reads), String(p.hits), formatFigure('cacheHitRate', p.hitRate)]);
}
