import type { DbKind, QueryMessage } from '../../protocol';
import { findingId, type Finding, type RelatedInformation } from '../findings/finding';
import { round3 } from '../stats/percentile';
import { callsiteKey, formatMs, quoteSql, type AnalyzedQuery, type QueryScopeGroup } from './query-scopes';

export interface NPlusOneOptions {
  nPlusOneMinCount: number;
  /** error at or above this much total time in one scope … */
  nPlusOneErrorMs: number;
  /** … or at or above this many repeats in one scope; warning below both */
  nPlusOneErrorCount: number;
}

interface ScopeHit {
  scope: QueryScopeGroup;
  members: AnalyzedQuery[];
  totalMs: number;
}

/**
 * Rows one execution fetched as far as we can tell. `= ANY($1)` and `IN ($1)` with an array
 * parameter batch an unknown number of ids: counted as a batch unless the params show one id.
 */
function batchSize(a: AnalyzedQuery): number {
  const { shape, q } = a;
  if (shape.batchSize > 1) return shape.batchSize;
  if (!shape.arrayPlaceholder) return 1;
  if (!q.params) return shape.arrayPlaceholder === 'any' ? Infinity : 1;
  return q.params.some((p) => (p.startsWith('[') || p.startsWith('{')) && p.includes(',')) ? Infinity : 1;
}

/** Same text with the same params: a repeat that a cache would have saved. */
export function valueKey(a: AnalyzedQuery): string | null {
  if (a.q.params) return `${a.q.text}\0${a.q.params.join('\0')}`;
  return a.shape.hasPlaceholders ? null : a.q.text;
}

function fixFor(db: DbKind, verb: string, column: string | null): string {
  const col = column ?? 'id';
  if (db === 'redis') return 'Fetch the keys with one MGET (or a pipeline), or batch them with a DataLoader.';
  if (db === 'mongodb') return `Fetch them in one find({ ${col}: { $in: ids } }), or batch them with a DataLoader.`;
  const where = db === 'postgres' ? `WHERE ${col} = ANY($1)` : `WHERE ${col} IN (…)`;
  if (verb === 'insert' || verb === 'replace')
    return `Insert the rows in one statement (a multi-row VALUES list${db === 'postgres' ? ' or unnest($1)' : ''}).`;
  if (verb === 'update' || verb === 'delete') return `Do it in one statement with ${where}.`;
  return `Load them in one query with ${where}, eager-load them (include / JOIN), or batch them with a DataLoader.`;
}

/** The last different query of the scope issued before the first repeat: the "1" of N+1. */
function findOneQuery(hit: ScopeHit, fingerprint: string): AnalyzedQuery | null {
  const first = hit.members[0];
  let best: AnalyzedQuery | null = null;
  for (const a of hit.scope.queries) {
    if (a.shape.fingerprint === fingerprint || a.shape.housekeeping) continue;
    const before = a.q.t < first.q.t || (a.q.t === first.q.t && a.index < first.index);
    if (!before) continue;
    if (!best || a.q.t > best.q.t || (a.q.t === best.q.t && a.index > best.index)) best = a;
  }
  return best;
}

/**
 * The same fingerprint from the same call site at least `nPlusOneMinCount` times in one scope.
 * Order and overlap do not matter, so `Promise.all` fan-outs count like sequential loops.
 * One finding per (call site, fingerprint); its numbers are those of the scope with the most
 * repeats (ties: the most time), and `scopes` says how many scopes showed it.
 */
export function detectNPlusOne(pid: number, scopes: readonly QueryScopeGroup[], o: NPlusOneOptions): Finding[] {
  const hits = new Map<string, ScopeHit[]>();
  for (const scope of scopes) {
    const groups = new Map<string, AnalyzedQuery[]>();
    for (const a of scope.queries) {
      if (a.shape.housekeeping || batchSize(a) > 1) continue;
      const key = `${callsiteKey(a.q)}\0${a.q.db}\0${a.shape.fingerprint}`;
      const g = groups.get(key);
      if (g) g.push(a);
      else groups.set(key, [a]);
    }
    for (const [key, members] of groups) {
      if (members.length < o.nPlusOneMinCount) continue;
      members.sort((x, y) => x.q.t - y.q.t || x.index - y.index);
      let totalMs = 0;
      for (const m of members) totalMs += Math.max(0, m.q.durationMs || 0);
      const list = hits.get(key);
      const hit = { scope, members, totalMs };
      if (list) list.push(hit);
      else hits.set(key, [hit]);
    }
  }

  const findings: Finding[] = [];
  for (const list of hits.values()) {
    const worst = list.reduce((a, b) =>
      b.members.length > a.members.length || (b.members.length === a.members.length && b.totalMs > a.totalMs) ? b : a,
    );
    const first: QueryMessage = worst.members[0].q;
    const shape = worst.members[0].shape;
    const count = worst.members.length;
    const avg = worst.totalMs / count;
    const distinct = new Set<string>();
    let known = true;
    for (const m of worst.members) {
      const k = valueKey(m);
      if (k === null) known = false;
      else distinct.add(k);
    }
    const duplicates = known ? count - distinct.size : 0;
    const related: RelatedInformation[] = [];
    const one = findOneQuery(worst, shape.fingerprint);
    if (one) {
      related.push({
        message: `The "1" query that ran before the repeats: ${quoteSql(one.shape.fingerprint)}`,
        location: one.q.callsite,
      });
    }
    const severity = worst.totalMs >= o.nPlusOneErrorMs || count >= o.nPlusOneErrorCount ? 'error' : 'warning';
    const where = list.length > 1 ? `${worst.scope.name} (and ${list.length - 1} more scope${list.length > 2 ? 's' : ''})` : worst.scope.name;
    const dupNote = duplicates > 0 ? ` ${duplicates} of them repeat the same values.` : '';
    const message =
      `N+1 query: ${quoteSql(shape.fingerprint)} ran ${count} times in ${where}, ` +
      `${formatMs(worst.totalMs)} in total (${formatMs(avg)} on average).${dupNote} ` +
      fixFor(first.db, shape.verb, shape.keyColumn);
    findings.push({
      id: findingId('n-plus-one', first.callsite, shape.fingerprint),
      kind: 'n-plus-one',
      severity,
      message,
      pid,
      location: first.callsite,
      related,
      data: {
        count,
        totalMs: round3(worst.totalMs),
        avgMs: round3(avg),
        fingerprint: shape.fingerprint,
        sample: first.text,
        scope: worst.scope.name,
        scopes: list.length,
        db: first.db,
        duplicates,
        occurrences: list.reduce((s, h) => s + h.members.length, 0),
      },
    });
  }
  return findings;
}
