import { findingId, type Finding, type RelatedInformation } from '../findings/finding';
import type { SourceLocation } from '../../protocol';
import { isRead, lineKey, quoteSql, siteKey, valueKey, type AnalyzedQuery, type QueryScopeGroup } from './query-scopes';

export interface DuplicateQueryOptions {
  duplicateMinCount: number;
  /** warning at or above this many identical runs in one scope; info below */
  duplicateWarningCount: number;
}

/** A read repeated with the same values wants reading once, not batching. */
const DUPLICATE_FIX = 'Read it once and reuse the first result for the rest of the request (or cache it, or let a DataLoader dedupe it).';

interface DuplicateHit {
  scope: QueryScopeGroup;
  runs: AnalyzedQuery[];
  /** first run of the call site that carries the finding */
  first: AnalyzedQuery;
  location: SourceLocation | null;
  others: SourceLocation[];
}

/**
 * Up to this many reads, a scope is first checked for a repeat pair by pair: most have none,
 * and hashing their new keys into a Map per scope took 8 % of an analysis (40 000 requests of
 * three reads each, CPU profile).
 */
const PAIRWISE_MAX = 8;

/** Some key occurs `min` times or more. */
function repeated(keys: readonly string[], min: number): boolean {
  for (let i = 0; i + min <= keys.length; i++) {
    let n = 1;
    for (let j = i + 1; j < keys.length && n < min; j++) if (keys[j] === keys[i]) n++;
    if (n >= min) return true;
  }
  return false;
}

/**
 * The same SQL text with the same params at least `duplicateMinCount` times in one scope.
 * Texts with placeholders but no recorded params are skipped: their values are unknown; so are
 * writes and housekeeping statements.
 * `skip` holds "callsite\0db\0fingerprint" keys already reported as N+1: an N+1 whose runs repeat
 * the same values is reported once, as N+1, with `duplicates` in its data.
 */
export function detectDuplicateQueries(
  pid: number,
  scopes: readonly QueryScopeGroup[],
  o: DuplicateQueryOptions,
  skip: ReadonlySet<string>,
): Finding[] {
  const hits = new Map<string, DuplicateHit[]>();
  const reads: AnalyzedQuery[] = [];
  const keys: string[] = [];
  for (const scope of scopes) {
    if (scope.queries.length < o.duplicateMinCount) continue;
    reads.length = 0;
    keys.length = 0;
    for (const a of scope.queries) {
      if (a.shape.housekeeping || a.q.error || !isRead(a)) continue;
      const vk = valueKey(a);
      if (vk === null) continue;
      reads.push(a);
      keys.push(`${a.q.db}\0${vk}`);
    }
    if (keys.length < o.duplicateMinCount || (keys.length <= PAIRWISE_MAX && !repeated(keys, o.duplicateMinCount))) continue;
    const groups = new Map<string, AnalyzedQuery[]>();
    for (let i = 0; i < keys.length; i++) {
      const g = groups.get(keys[i]);
      if (g) g.push(reads[i]);
      else groups.set(keys[i], [reads[i]]);
    }
    for (const runs of groups.values()) {
      if (runs.length < o.duplicateMinCount) continue;
      runs.sort((x, y) => x.q.t - y.q.t || x.index - y.index);
      // the call site that issued most of the runs carries the finding
      const bySite = new Map<string, AnalyzedQuery[]>();
      for (const r of runs) {
        const k = lineKey(r.q.callsite);
        const l = bySite.get(k);
        if (l) l.push(r);
        else bySite.set(k, [r]);
      }
      let main: AnalyzedQuery[] = [];
      for (const l of bySite.values()) if (l.length > main.length) main = l;
      const first = main[0];
      const key = siteKey(first);
      if (skip.has(key)) continue;
      const others: SourceLocation[] = [];
      for (const l of bySite.values()) if (l !== main && l[0].q.callsite) others.push(l[0].q.callsite);
      const hit: DuplicateHit = { scope, runs, first, location: first.q.callsite, others };
      const list = hits.get(key);
      if (list) list.push(hit);
      else hits.set(key, [hit]);
    }
  }

  const findings: Finding[] = [];
  for (const list of hits.values()) {
    const worst = list.reduce((a, b) => (b.runs.length > a.runs.length ? b : a));
    const first = worst.first;
    const count = worst.runs.length;
    const fp = first.shape.fingerprint;
    const related: RelatedInformation[] = worst.others
      .slice(0, 5)
      .map((location) => ({ message: 'The same query with the same values also runs here', location }));
    const where = list.length > 1 ? `${worst.scope.name} (and ${list.length - 1} more scope${list.length > 2 ? 's' : ''})` : worst.scope.name;
    findings.push({
      id: findingId('duplicate-query', worst.location, fp),
      kind: 'duplicate-query',
      severity: count >= o.duplicateWarningCount ? 'warning' : 'info',
      message: `Duplicate query: ${quoteSql(fp)} ran ${count} times with the same values in ${where}. ${DUPLICATE_FIX}`,
      pid,
      location: worst.location,
      related,
      data: {
        count,
        fingerprint: fp,
        sample: first.q.text,
        scope: worst.scope.name,
        scopes: list.length,
        db: first.q.db,
        fix: DUPLICATE_FIX,
      },
    });
  }
  return findings;
}
