import type { DbKind } from '../../protocol';
import { formatMs, type AnalyzedQuery, type QueryScopeGroup } from './query-scopes';
import { round3 } from '../util/units';

/** How loudly to report an N+1: by what it costs, never by its count alone. */
export interface SeverityThresholds {
  /** a warning from this much time (ms) in the repeats of one request (Sentry's 50 ms) */
  nPlusOneWarningMs: number;
  /** an error from this much time (ms) in one request … */
  nPlusOneErrorMs: number;
  /** … when that is at least this share (0..1) of the request's own time */
  nPlusOneErrorShare: number;
}

/** One scope's repeats of the N+1 and their summed time. */
export interface CostedHit {
  scope: QueryScopeGroup;
  members: AnalyzedQuery[];
  totalMs: number;
}

export interface NPlusOneSeverity {
  severity: 'error' | 'warning' | 'info';
  /** the scope whose repeats cost the most: the one the severity speaks of */
  costliest: CostedHit;
  /** the costliest request's own duration (ms), when its http message was seen */
  requestMs: number | null;
  /** repeats' time / request time, capped at 1 (parallel repeats can sum past it); null without a duration */
  share: number | null;
  /** why it is calmer than its count suggests, a sentence for the message; '' for warnings and errors */
  why: string;
}

const TRANSACTION_START = new Set(['begin', 'start', 'savepoint']);

/**
 * Writes issued outside any request after the burst opened a transaction: a bulk load
 * (better-sqlite3's `db.transaction(rows => …)`, a seed or migration). Batching would save
 * little; nobody waits on it.
 */
function isBulkWriteInTransaction(hit: CostedHit, verb: string): boolean {
  if (hit.scope.isRequest || !(verb === 'insert' || verb === 'update' || verb === 'delete' || verb === 'replace')) return false;
  const first = hit.members[0];
  return hit.scope.queries.some(
    (a) => TRANSACTION_START.has(a.shape.verb) && (a.q.t < first.q.t || (a.q.t === first.q.t && a.index < first.index)),
  );
}

function percent(share: number): string {
  const p = share * 100;
  return `${p < 1 ? p.toFixed(1) : Math.round(p)} %`;
}

/**
 * Severity follows cost: an N+1 is reported at `nPlusOneMinCount` repeats, but it is a warning
 * only from `nPlusOneWarningMs` in one request, and an error only from `nPlusOneErrorMs` that
 * also take `nPlusOneErrorShare` of that request. A bulk write in one transaction outside any
 * request is info whatever it costs. Work outside requests is never an error: nobody waits on it.
 */
export function nPlusOneSeverity(hits: readonly CostedHit[], db: DbKind, verb: string, o: SeverityThresholds): NPlusOneSeverity {
  const costliest = hits.reduce((a, b) => (b.totalMs > a.totalMs ? b : a));
  const requestMs = costliest.scope.durationMs ?? null;
  const share = requestMs !== null && requestMs > 0 ? Math.min(1, costliest.totalMs / requestMs) : null;
  const cost = formatMs(costliest.totalMs);
  if (hits.every((h) => isBulkWriteInTransaction(h, verb))) {
    return {
      severity: 'info', costliest, requestMs, share,
      why: `Reported as info: these are writes inside one transaction outside any request (a bulk load), ${cost} in all.`,
    };
  }
  // judged on the figures the finding reports (to the µs, the share to 3 decimals): a report
  // saying "128 ms, share 0.2" is an error under the 100 ms / 0.2 rule, whatever the 4th decimal
  const costMs = round3(costliest.totalMs);
  const shown = share === null ? null : round3(share);
  if (costMs >= o.nPlusOneErrorMs && costliest.scope.isRequest && shown !== null && shown >= o.nPlusOneErrorShare) {
    return { severity: 'error', costliest, requestMs, share, why: '' };
  }
  if (costMs >= o.nPlusOneWarningMs) return { severity: 'warning', costliest, requestMs, share, why: '' };
  const ofRequest = share !== null && requestMs !== null ? `, ${percent(share)} of its ${formatMs(requestMs)}` : '';
  const inProcess = db === 'sqlite' ? ' (SQLite runs in the process: no round trip per query)' : '';
  return {
    severity: 'info', costliest, requestMs, share,
    why:
      `Reported as info: the repeats cost ${cost} in all in the costliest ${costliest.scope.isRequest ? 'request' : 'burst'}` +
      `${ofRequest}${inProcess}; a warning takes ${formatMs(o.nPlusOneWarningMs)}.`,
  };
}
