import { findingId, type Finding } from '../findings/finding';
import { percentile } from '../stats/sample-stats';
import { round3 } from '../util/units';
import { formatMs, lineKey, type AnalyzedQuery, type QueryScopeGroup } from './query-scopes';

export interface PoolWaitOptions {
  /** a route whose queries wait this long (ms, p95) for a pooled connection is reported */
  poolWaitMs: number;
  /** … as an error when its requests spend at least this share (0..1) of their time waiting */
  poolWaitErrorShare: number;
}

/** Requests of one route, and the waits of their pooled queries. */
interface RouteWaits {
  route: string;
  waits: number[];
  /** per request: its queries' wait summed, over its duration (capped at 1) */
  shares: number[];
  /** total wait per call site, to place the finding where most of it happens */
  bySite: Map<string, { total: number; first: AnalyzedQuery }>;
  poolMax: number | null;
  requests: number;
}

const FIX =
  'Raise the pool\'s size (pg: max, mysql2 and mariadb: connectionLimit) if the database has room, ' +
  'or stop holding connections across slow work (a transaction open while awaiting an HTTP call, a connection kept for a whole request).';

/**
 * Requests that queue for a database connection: per route, the time its queries waited in a
 * pool (pg-pool, mysql2, mariadb: `poolWaitMs`, measured by the agent from the app's call to
 * the moment a connection runs the query). A route is reported when the p95 of those waits
 * reaches `poolWaitMs`; as an error when its requests spend `poolWaitErrorShare` of their time
 * (median) waiting. One finding per route, on the line whose queries waited the longest in all.
 */
export function detectPoolWaits(pid: number, scopes: readonly QueryScopeGroup[], o: PoolWaitOptions): Finding[] {
  const routes = new Map<string, RouteWaits>();
  for (const scope of scopes) {
    if (!scope.isRequest) continue;
    let waited = 0;
    let any = false;
    let r: RouteWaits | undefined;
    for (const a of scope.queries) {
      const wait = a.q.poolWaitMs;
      if (typeof wait !== 'number' || !Number.isFinite(wait)) continue;
      if (!r) {
        r = routes.get(scope.name);
        if (!r) routes.set(scope.name, (r = { route: scope.name, waits: [], shares: [], bySite: new Map(), poolMax: null, requests: 0 }));
      }
      any = true;
      waited += wait;
      r.waits.push(wait);
      if (typeof a.q.poolMax === 'number') r.poolMax = Math.max(r.poolMax ?? 0, a.q.poolMax);
      const key = lineKey(a.q.callsite);
      const site = r.bySite.get(key);
      if (site) site.total += wait;
      else r.bySite.set(key, { total: wait, first: a });
    }
    if (!any || !r) continue;
    r.requests++;
    if (scope.durationMs !== undefined && scope.durationMs > 0) r.shares.push(Math.min(1, waited / scope.durationMs));
  }

  const findings: Finding[] = [];
  for (const r of routes.values()) {
    const p95 = percentile(r.waits, 95);
    if (!(p95 >= o.poolWaitMs)) continue;
    const share = r.shares.length ? percentile(r.shares, 50) : null;
    // the app's line whose queries waited longest; a line-less site (a library's own query) only when no other
    let worst: { total: number; first: AnalyzedQuery } | null = null;
    for (const s of r.bySite.values()) {
      const located = s.first.q.callsite !== null;
      const worstLocated = worst !== null && worst.first.q.callsite !== null;
      if (!worst || (located && !worstLocated) || (located === worstLocated && s.total > worst.total)) worst = s;
    }
    const location = worst!.first.q.callsite;
    const pool = r.poolMax !== null ? `a pool of ${r.poolMax}` : 'the pool';
    const ofTime = share !== null ? `, ${Math.round(share * 100)} % of a request's time (median)` : '';
    const where = location !== null ? 'this line waited the longest' : 'no query of the route had a line of the app to show';
    findings.push({
      id: findingId('pool-wait', location, r.route),
      kind: 'pool-wait',
      severity: share !== null && share >= o.poolWaitErrorShare ? 'error' : 'warning',
      message:
        `Requests of ${r.route} queue for a connection of ${pool}: its queries waited ${formatMs(p95)} (p95) for one` +
        `${ofTime}; ${where}. ${FIX}`,
      pid,
      location,
      related: [],
      data: {
        scope: r.route,
        waitP95Ms: round3(p95),
        waitMaxMs: round3(Math.max(...r.waits)),
        waitTotalMs: round3(r.waits.reduce((x, y) => x + y, 0)),
        queries: r.waits.length,
        requests: r.requests,
        share: share === null ? null : round3(share),
        poolMax: r.poolMax,
        db: worst!.first.q.db,
        fix: FIX,
        ...(location === null && { noLocationReason: 'The queries of this route that waited were issued with no frame of the application on their stack.' }),
      },
    });
  }
  return findings;
}
