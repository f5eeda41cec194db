import type { QueryMessage } from '../../protocol';
import { percentileSorted } from '../stats/percentile';
import { round3 } from '../util/units';
import { fingerprint } from './fingerprint';

export interface QueryAggregate {
  fingerprint: string;
  db: string;
  count: number;
  totalMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

/** Per (db, fingerprint) timings, most total time first: the report's `metrics.queries`. */
export function aggregateQueries(queries: readonly QueryMessage[]): QueryAggregate[] {
  const groups = new Map<string, { fingerprint: string; db: string; durations: number[] }>();
  for (const q of queries) {
    const fp = fingerprint(q.text, q.db);
    const key = `${q.db}\0${fp}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { fingerprint: fp, db: q.db, durations: [] }));
    g.durations.push(Number.isFinite(q.durationMs) ? q.durationMs : 0);
  }
  const out: QueryAggregate[] = [];
  for (const g of groups.values()) {
    const sorted = Float64Array.from(g.durations).sort();
    let total = 0;
    for (const d of sorted) total += d;
    out.push({
      fingerprint: g.fingerprint,
      db: g.db,
      count: sorted.length,
      totalMs: round3(total),
      p50Ms: round3(percentileSorted(sorted, 50)),
      p95Ms: round3(percentileSorted(sorted, 95)),
      maxMs: round3(sorted[sorted.length - 1]),
    });
  }
  return out.sort((a, b) => b.totalMs - a.totalMs || b.count - a.count || a.fingerprint.localeCompare(b.fingerprint));
}
