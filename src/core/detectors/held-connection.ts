import { findingId, type Finding } from '../findings/finding';
import { percentile } from '../stats/sample-stats';
import { round3 } from '../util/units';
import { formatMs, lineKey, type AnalyzedQuery, type QueryScopeGroup } from './query-scopes';

export interface HeldConnectionOptions {
  /** a transaction with no query of its own for this long (ms) holds its connection idle */
  heldConnectionMs: number;
}

const OPEN = new Set(['begin', 'start']);
const CLOSE = new Set(['commit', 'rollback', 'end']);
/** Idle spans judged per process at most: the longest ones. */
const MAX_SPANS = 500;

/** A transaction's connection left idle: after `before`, until the transaction's next query. */
interface IdleSpan {
  scope: QueryScopeGroup;
  before: AnalyzedQuery;
  start: number;
  end: number;
}

interface Waited {
  scope: QueryScopeGroup;
  start: number;
  end: number;
}

const FIX =
  'Do the slow work (an HTTP call, a file, a computation) before BEGIN or after COMMIT: ' +
  'a transaction holds its pooled connection, and the queries of other requests wait for it.';

/** Idle spans inside transactions: queries of one request on one connection between BEGIN and COMMIT. */
function idleSpans(scopes: readonly QueryScopeGroup[], o: HeldConnectionOptions): IdleSpan[] {
  const spans: IdleSpan[] = [];
  for (const scope of scopes) {
    // most scopes run no query on a numbered connection (SQLite, a pool without transactions)
    let byConn: Map<number, AnalyzedQuery[]> | undefined;
    for (const a of scope.queries) {
      const conn = a.q.conn;
      if (typeof conn !== 'number') continue;
      byConn ??= new Map();
      const list = byConn.get(conn);
      if (list) list.push(a);
      else byConn.set(conn, [a]);
    }
    if (!byConn) continue;
    for (const list of byConn.values()) {
      list.sort((x, y) => x.q.t - y.q.t || x.index - y.index);
      let open = false;
      let prev: AnalyzedQuery | null = null;
      for (const a of list) {
        const verb = a.shape.verb;
        if (OPEN.has(verb)) {
          open = true;
          prev = a;
          continue;
        }
        if (open && prev) {
          const start = prev.q.t + prev.q.durationMs;
          if (a.q.t - start >= o.heldConnectionMs) spans.push({ scope, before: prev, start, end: a.q.t });
        }
        if (CLOSE.has(verb)) open = false;
        prev = a;
      }
    }
  }
  return spans.sort((x, y) => y.end - y.start - (x.end - x.start)).slice(0, MAX_SPANS);
}

/**
 * A transaction kept open across work that is not the database's (an HTTP call awaited between
 * BEGIN and COMMIT) while other requests waited for a pooled connection: the transaction's idle
 * spans (`heldConnectionMs` or longer with no query of its own) that overlap other requests'
 * waits (`poolWaitMs`). One finding per line after which the transaction went idle.
 */
export function detectHeldConnections(pid: number, scopes: readonly QueryScopeGroup[], o: HeldConnectionOptions): Finding[] {
  const spans = idleSpans(scopes, o);
  if (spans.length === 0) return [];
  const waits: Waited[] = [];
  let poolMax: number | null = null;
  for (const scope of scopes) {
    for (const a of scope.queries) {
      const wait = a.q.poolWaitMs;
      if (typeof a.q.poolMax === 'number') poolMax = Math.max(poolMax ?? 0, a.q.poolMax);
      if (typeof wait === 'number' && wait > 0) waits.push({ scope, start: a.q.t - wait, end: a.q.t });
    }
  }
  // by end time, so each span looks only at the waits that can overlap it
  waits.sort((x, y) => x.end - y.end);
  let longest = 0;
  for (const w of waits) longest = Math.max(longest, w.end - w.start);
  const byLine = new Map<string, { spans: IdleSpan[]; waitedMs: number; waiting: number }>();
  for (const span of spans) {
    let waitedMs = 0;
    let waiting = 0;
    let lo = 0;
    let hi = waits.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (waits[mid].end <= span.start) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < waits.length && waits[i].end < span.end + longest; i++) {
      const w = waits[i];
      if (w.scope === span.scope) continue;
      const overlap = Math.min(w.end, span.end) - Math.max(w.start, span.start);
      if (overlap > 0) {
        waitedMs += overlap;
        waiting++;
      }
    }
    if (waiting === 0) continue;
    const key = `${lineKey(span.before.q.callsite)}\0${span.scope.name}`;
    const g = byLine.get(key);
    if (g) {
      g.spans.push(span);
      g.waitedMs += waitedMs;
      g.waiting += waiting;
    } else byLine.set(key, { spans: [span], waitedMs, waiting });
  }

  const findings: Finding[] = [];
  for (const g of byLine.values()) {
    const idle = g.spans.map((s) => s.end - s.start);
    const p95 = percentile(idle, 95);
    const first = g.spans[0];
    const location = first.before.q.callsite;
    const route = first.scope.name;
    const pool = poolMax !== null ? `one of the pool's ${poolMax} connections` : 'a pooled connection';
    findings.push({
      id: findingId('held-connection', location, route),
      kind: 'held-connection',
      severity: 'warning',
      message:
        `In ${route}, the transaction stays open ${formatMs(p95)} (p95 of ${idle.length}) after this query with no query of its own, ` +
        `holding ${pool} while ${g.waiting} quer${g.waiting === 1 ? 'y' : 'ies'} of other requests waited for one (${formatMs(g.waitedMs)} in all). ${FIX}`,
      pid,
      location,
      related: [],
      data: {
        scope: route,
        idleP95Ms: round3(p95),
        idleMaxMs: round3(Math.max(...idle)),
        holds: idle.length,
        waitingQueries: g.waiting,
        waitedMs: round3(g.waitedMs),
        poolMax,
        db: first.before.q.db,
        fix: FIX,
      },
    });
  }
  return findings;
}
