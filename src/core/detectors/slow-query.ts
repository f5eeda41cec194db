import type { DbKind } from '../../protocol';
import { findingId, type Finding } from '../findings/finding';
import { round3 } from '../util/units';
import { formatMs, quoteSql, siteKey, type AnalyzedQuery, type QueryScopeGroup } from './query-scopes';

export interface SlowQueryOptions {
  slowQueryMs: number;
  /** error at or above this duration; warning below */
  slowQueryErrorMs: number;
}

function adviceFor(db: DbKind): string {
  if (db === 'redis') return 'Avoid commands that walk whole keyspaces or large collections (KEYS, big ranges).';
  if (db === 'mongodb') return 'Check its plan with .explain(): an index may be missing.';
  return 'Check its plan with EXPLAIN ANALYZE: an index may be missing, or the result may need a LIMIT.';
}

/** Queries at or over the threshold; one finding per (call site, fingerprint), worst run shown. */
export function detectSlowQueries(pid: number, scopes: readonly QueryScopeGroup[], o: SlowQueryOptions): Finding[] {
  const groups = new Map<string, AnalyzedQuery[]>();
  for (const scope of scopes) {
    for (const a of scope.queries) {
      if (!(a.q.durationMs >= o.slowQueryMs)) continue;
      const key = siteKey(a);
      const g = groups.get(key);
      if (g) g.push(a);
      else groups.set(key, [a]);
    }
  }
  const findings: Finding[] = [];
  for (const runs of groups.values()) {
    const worst = runs.reduce((a, b) => (b.q.durationMs > a.q.durationMs ? b : a));
    const { q, shape } = worst;
    const times = runs.length > 1 ? ` (${runs.length} runs took ${formatMs(o.slowQueryMs)} or more)` : '';
    findings.push({
      id: findingId('slow-query', q.callsite, shape.fingerprint),
      kind: 'slow-query',
      severity: q.durationMs >= o.slowQueryErrorMs ? 'error' : 'warning',
      message:
        `Slow query: ${quoteSql(shape.fingerprint)} took ${formatMs(q.durationMs)}${times} in ${worst.scope.name}. ` +
        adviceFor(q.db),
      pid,
      location: q.callsite,
      related: [],
      data: {
        durationMs: round3(q.durationMs),
        fingerprint: shape.fingerprint,
        sample: q.text,
        db: q.db,
        count: runs.length,
        scope: worst.scope.name,
        fix: adviceFor(q.db),
      },
    });
  }
  return findings;
}
