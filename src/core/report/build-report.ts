import type { Finding } from '../findings/finding';
import type { Session } from '../session/session';
import { percentiles } from '../stats/percentile';
import { round3 } from '../util/units';
import { cacheOf } from '../queries/cache-reads';
import type { CacheSummary, HttpSummary, PoolSummary, ProcessReport, QueryStat, Report } from './types';

export const TOOL_VERSION = '0.1.0';

export type QueryAggregator = (session: Session) => QueryStat[];

export interface BuildReportInput {
  sessions: readonly Session[];
  findings: readonly Finding[];
  /** epoch ms; defaults to the earliest / latest message of any session */
  startedAt?: number;
  endedAt?: number;
  aggregateQueries?: QueryAggregator;
}

const iso = (t: number) => new Date(t).toISOString();

function httpSummary(session: Session): HttpSummary {
  const [p50, p95, p99] = percentiles(session.http.toArray().map((h) => h.durationMs), [50, 95, 99]);
  return { requests: session.httpCount, errors: session.httpErrors, p50Ms: round3(p50), p95Ms: round3(p95), p99Ms: round3(p99) };
}

/** The process's cache reads, from the queries it still holds; undefined when it read none. */
function cacheSummary(session: Session): CacheSummary | undefined {
  let hits = 0;
  let reads = 0;
  for (const q of session.queries.toArray()) {
    const c = cacheOf(q);
    if (c === null) continue;
    hits += c[0];
    reads += c[0] + c[1];
  }
  return reads > 0 ? { reads, hits, hitRate: round3(hits / reads) } : undefined;
}

/** Each pool the process reported, with its peaks; undefined when it reported none. */
function poolSummaries(session: Session): PoolSummary[] | undefined {
  const byId = new Map<number, PoolSummary>();
  for (const m of session.pools.toArray()) {
    for (const p of m.pools) {
      let s = byId.get(p.id);
      if (!s) byId.set(p.id, (s = { id: p.id, driver: p.driver, max: p.max, peakSize: 0, peakInUse: 0, peakWaiting: 0, samples: 0 }));
      s.max = p.max ?? s.max;
      s.peakSize = Math.max(s.peakSize, p.size);
      s.peakInUse = Math.max(s.peakInUse, p.inUse);
      s.peakWaiting = Math.max(s.peakWaiting, p.waiting);
      s.samples++;
    }
  }
  return byId.size ? [...byId.values()].sort((a, b) => a.id - b.id) : undefined;
}

export function processReport(session: Session, aggregate?: QueryAggregator): ProcessReport {
  const ended = session.endedAt ?? session.lastT;
  const cache = cacheSummary(session);
  const pools = poolSummaries(session);
  return {
    pid: session.pid,
    command: session.command,
    nodeVersion: session.hello?.nodeVersion ?? '',
    startedAt: iso(session.startedAt),
    endedAt: iso(Math.max(ended, session.startedAt)),
    metrics: {
      memory: session.memory.toArray().map((m) => ({
        t: m.t, heapUsed: m.heapUsed, heapTotal: m.heapTotal, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers,
      })),
      gc: session.gc.toArray().map((g) => ({ t: g.t, kind: g.kind, durationMs: round3(g.durationMs) })),
      eventLoop: session.eventLoop.toArray().map((e) => ({
        t: e.t, p50Ms: round3(e.p50Ms), p99Ms: round3(e.p99Ms), maxMs: round3(e.maxMs), utilization: round3(e.utilization),
      })),
      http: httpSummary(session),
      queries: aggregate ? aggregate(session) : [],
      ...(cache && { cache }),
      ...(pools && { pools }),
    },
    dropped: session.dropped,
  };
}

/** The report of docs/report.md (schema: docs/report.schema.json), from sessions and the detectors' findings. Deterministic. */
export function buildReport(input: BuildReportInput): Report {
  const sessions = [...input.sessions].sort((a, b) => a.startedAt - b.startedAt || a.pid - b.pid);
  const starts = sessions.map((s) => s.startedAt).filter((t) => t > 0);
  const ends = sessions.map((s) => s.endedAt ?? s.lastT).filter((t) => t > 0);
  const startedAt = input.startedAt ?? (starts.length ? Math.min(...starts) : Date.now());
  const endedAt = input.endedAt ?? (ends.length ? Math.max(...ends) : startedAt);
  return {
    version: 1,
    tool: { name: 'perf-lens', version: TOOL_VERSION },
    startedAt: iso(startedAt),
    endedAt: iso(Math.max(endedAt, startedAt)),
    processes: sessions.map((s) => processReport(s, input.aggregateQueries)),
    findings: [...input.findings],
  };
}
