import type { HttpMessage } from '../../protocol';
import { theilSenSlope } from '../stats/trend-stats';

/** The heap slope is a figure only over this much time of memory samples (ms) … */
export const MIN_SLOPE_WINDOW_MS = 60_000;
/** … and this many samples; shorter runs show "not enough data". */
const MIN_SLOPE_SAMPLES = 5;
import type { Report } from './types';
import type { Session } from '../session/session';
import { round3 } from '../util/units';
import type { CachePatternFigures, Figures, ReportWithFigures, RequestFigures, RequestSamples, RunFigures, RunSamples, Timeline } from './figures-types';
import { cacheOf } from '../queries/cache-reads';
import { fingerprint } from '../queries/fingerprint';
import { percentile, senInterval, thinEvenly } from '../stats/sample-stats';

/** Samples kept per route and for the run: enough for a stable p99, small in the JSON. */
export const MAX_REQUEST_SAMPLES = 2000;
export const MAX_SERIES_SAMPLES = 600;
/** Key patterns listed in `figures.cache`, the most read first. */
export const MAX_CACHE_PATTERNS = 50;
/** Timeline buckets for the charts: at most this many, of whole seconds. */
const MAX_BUCKETS = 300;

interface Request {
  t: number;
  key: string;
  durationMs: number;
  error: boolean;
  queries: number;
  cacheHits: number;
  cacheMisses: number;
}

/** hits / reads rounded, null without reads. */
function hitRate(hits: number, reads: number): number | null {
  return reads > 0 ? round3(hits / reads) : null;
}

/** `GET /posts/:id`: the name a route has in figures and budgets. */
export function routeKey(h: Pick<HttpMessage, 'method' | 'route'>): string {
  return `${h.method} ${h.route}`;
}

/** Every request of every session, with the queries its scope issued, in time order. */
function requestsOf(sessions: readonly Session[]): Request[] {
  const out: Request[] = [];
  for (const s of sessions) {
    const perScope = new Map<string, { queries: number; hits: number; misses: number }>();
    for (const q of s.queries.toArray()) {
      if (!q.scope) continue;
      let tally = perScope.get(q.scope.id);
      if (!tally) perScope.set(q.scope.id, (tally = { queries: 0, hits: 0, misses: 0 }));
      tally.queries++;
      const c = cacheOf(q);
      if (c) {
        tally.hits += c[0];
        tally.misses += c[1];
      }
    }
    for (const h of s.http.toArray()) {
      const tally = h.scope ? perScope.get(h.scope) : undefined;
      out.push({
        t: h.t,
        key: routeKey(h),
        durationMs: h.durationMs,
        error: h.status >= 500,
        queries: tally?.queries ?? 0,
        cacheHits: tally?.hits ?? 0,
        cacheMisses: tally?.misses ?? 0,
      });
    }
  }
  return out.sort((a, b) => a.t - b.t || a.key.localeCompare(b.key));
}

function requestFigures(reqs: readonly Request[]): RequestFigures {
  const durations = reqs.map((r) => r.durationMs);
  const errors = reqs.filter((r) => r.error).length;
  const queries = reqs.reduce((a, r) => a + r.queries, 0);
  const cacheHits = reqs.reduce((a, r) => a + r.cacheHits, 0);
  const cacheReads = cacheHits + reqs.reduce((a, r) => a + r.cacheMisses, 0);
  const span = reqs.length > 1 ? reqs[reqs.length - 1].t - reqs[0].t : 0;
  return {
    requests: reqs.length,
    errors,
    errorRate: reqs.length ? round3(errors / reqs.length) : 0,
    p50Ms: round3(percentile(durations, 50)),
    p95Ms: round3(percentile(durations, 95)),
    p99Ms: round3(percentile(durations, 99)),
    // n requests span n−1 gaps: the rate between the first and the last
    throughputPerS: span > 0 ? round3(((reqs.length - 1) * 1000) / span) : null,
    queries,
    queriesPerRequest: reqs.length ? round3(queries / reqs.length) : null,
    cacheReads,
    cacheHits,
    cacheHitRate: hitRate(cacheHits, cacheReads),
  };
}

/** Cache reads per key pattern over every session, inside requests or not; and their totals. */
function cacheFigures(sessions: readonly Session[]): { patterns: CachePatternFigures[]; hits: number; reads: number } {
  const byPattern = new Map<string, CachePatternFigures>();
  let hits = 0;
  let reads = 0;
  for (const s of sessions) {
    for (const q of s.queries.toArray()) {
      const c = cacheOf(q);
      if (!c) continue;
      const pattern = fingerprint(q.text, q.db);
      const key = `${q.db}\0${pattern}`;
      let p = byPattern.get(key);
      if (!p) byPattern.set(key, (p = { pattern, db: q.db, reads: 0, hits: 0, hitRate: 0 }));
      p.hits += c[0];
      p.reads += c[0] + c[1];
      hits += c[0];
      reads += c[0] + c[1];
    }
  }
  const patterns = [...byPattern.values()]
    .filter((p) => p.reads > 0)
    .sort((a, b) => b.reads - a.reads || a.pattern.localeCompare(b.pattern))
    .slice(0, MAX_CACHE_PATTERNS)
    .map((p) => ({ ...p, hitRate: round3(p.hits / p.reads) }));
  return { patterns, hits, reads };
}

function requestSamples(reqs: readonly Request[]): RequestSamples {
  const kept = thinEvenly(reqs, MAX_REQUEST_SAMPLES);
  const gaps: number[] = [];
  for (let i = 1; i < reqs.length; i++) gaps.push(round3(reqs[i].t - reqs[i - 1].t));
  return { latencyMs: kept.map((r) => round3(r.durationMs)), queries: kept.map((r) => r.queries), gapsMs: thinEvenly(gaps, MAX_REQUEST_SAMPLES) };
}

/** Counts per whole second from `from` to `to` (epoch ms) of events at times `ts` with weights. */
function perSecond(from: number, to: number, events: readonly { t: number; w: number }[]): number[] {
  if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) return [];
  const n = Math.min(MAX_SECONDS, Math.max(1, Math.ceil((to - from) / 1000)));
  const out = new Array<number>(n).fill(0);
  for (const e of events) {
    const i = Math.floor((e.t - from) / 1000);
    if (i >= 0 && i < n) out[i] += e.w;
  }
  return out;
}

/** Seconds of per-second series kept before thinning: a day. */
const MAX_SECONDS = 24 * 3600;

/**
 * The span this session was observed (epoch ms): from its first message, not from the
 * process start (an attached process may have run for days before), to its end or last message.
 */
function observed(s: Session): [number, number] | null {
  if (!Number.isFinite(s.firstT) || s.lastT <= 0) return null;
  return [s.firstT, Math.max(s.firstT, s.endedAt ?? s.lastT)];
}

function runtimeFigures(sessions: readonly Session[]) {
  let slopeSum: number | null = null;
  let ciLow = 0;
  let ciHigh = 0;
  let ciKnown = sessions.length > 0;
  let peakRss: number | null = null;
  let gcMs = 0;
  let aliveMs = 0;
  let loopP99: number | null = null;
  const rss: number[] = [];
  const gcPerSecond: number[] = [];
  const loop: number[] = [];
  let heapWindowMs = 0;
  for (const s of sessions) {
    const memory = s.memory.toArray();
    const points = memory.map((m) => ({ x: m.t / 60_000, y: m.heapUsed }));
    const windowMs = memory.length ? memory[memory.length - 1].t - memory[0].t : 0;
    heapWindowMs = Math.max(heapWindowMs, windowMs);
    // a slope per minute from seconds of samples is extrapolation, not a figure
    if (points.length >= MIN_SLOPE_SAMPLES && windowMs >= MIN_SLOPE_WINDOW_MS) {
      slopeSum = (slopeSum ?? 0) + theilSenSlope(points);
      const ci = senInterval(points);
      if (ci) {
        ciLow += ci[0];
        ciHigh += ci[1];
      } else ciKnown = false;
    } else ciKnown = false;
    for (const m of memory) {
      rss.push(m.rss);
      if (peakRss === null || m.rss > peakRss) peakRss = m.rss;
    }
    const span = observed(s);
    const gcs = s.gc.toArray();
    if (span) {
      aliveMs += span[1] - span[0];
      for (const g of gcs) gcMs += g.durationMs;
      gcPerSecond.push(...thinEvenly(perSecond(span[0], span[1], gcs.map((g) => ({ t: g.t, w: g.durationMs }))), MAX_SERIES_SAMPLES));
    }
    for (const e of s.eventLoop.toArray()) {
      loop.push(e.p99Ms);
      if (loopP99 === null || e.p99Ms > loopP99) loopP99 = e.p99Ms;
    }
  }
  return {
    figures: {
      heapSlopeBytesPerMin: slopeSum === null || !Number.isFinite(slopeSum) ? null : Math.round(slopeSum),
      heapWindowMs: Math.round(heapWindowMs),
      peakRssBytes: peakRss,
      gcShare: aliveMs > 0 ? round3(gcMs / aliveMs) : 0,
      eventLoopP99Ms: loopP99 === null ? null : round3(loopP99),
    },
    samples: {
      rssBytes: thinEvenly(rss, MAX_SERIES_SAMPLES),
      gcMsPerSecond: thinEvenly(gcPerSecond, MAX_SERIES_SAMPLES).map(round3),
      eventLoopP99Ms: thinEvenly(loop, MAX_SERIES_SAMPLES).map(round3),
      heapSlopeCi: ciKnown && slopeSum !== null ? ([Math.round(ciLow), Math.round(ciHigh)] as [number, number]) : null,
    },
  };
}

function timelineOf(reqs: readonly Request[], sessions: readonly Session[]): Timeline {
  const spans = sessions.map(observed).filter((x): x is [number, number] => x !== null);
  const starts = spans.map((x) => x[0]);
  const ends = spans.map((x) => x[1]);
  const t0 = starts.length ? Math.min(...starts) : reqs[0]?.t ?? 0;
  const end = Math.max(t0, ...ends, ...(reqs.length ? [reqs[reqs.length - 1].t] : []));
  const seconds = Math.max(1, Math.ceil((end - t0) / 1000));
  const bucketMs = 1000 * Math.ceil(seconds / MAX_BUCKETS);
  const n = Math.max(1, Math.ceil((end - t0 + 1) / bucketMs));
  const zeros = () => new Array<number>(n).fill(0);
  const tl: Timeline = { t0, bucketMs, requests: zeros(), errors: zeros(), queries: zeros(), p95Ms: zeros(), cacheHits: zeros(), cacheMisses: zeros() };
  const latencies: number[][] = Array.from({ length: n }, () => []);
  const at = (t: number) => Math.min(n - 1, Math.max(0, Math.floor((t - t0) / bucketMs)));
  for (const r of reqs) {
    const i = at(r.t);
    tl.requests[i]++;
    if (r.error) tl.errors[i]++;
    latencies[i].push(r.durationMs);
  }
  for (const s of sessions) {
    for (const q of s.queries.toArray()) {
      const i = at(q.t);
      tl.queries[i]++;
      const c = cacheOf(q);
      if (c) {
        tl.cacheHits[i] += c[0];
        tl.cacheMisses[i] += c[1];
      }
    }
  }
  tl.p95Ms = latencies.map((l) => round3(percentile(l, 95)));
  return tl;
}

/** Key figures of a run, overall and per route, with the bounded samples `compare` needs. */
export function computeFigures(sessions: readonly Session[]): Figures {
  const reqs = requestsOf(sessions);
  const byRoute = new Map<string, Request[]>();
  for (const r of reqs) {
    const list = byRoute.get(r.key);
    if (list) list.push(r);
    else byRoute.set(r.key, [r]);
  }
  const routes: Record<string, RequestFigures> = {};
  const routeSamples: Record<string, RequestSamples> = {};
  for (const key of [...byRoute.keys()].sort()) {
    routes[key] = requestFigures(byRoute.get(key)!);
    routeSamples[key] = requestSamples(byRoute.get(key)!);
  }
  const runtime = runtimeFigures(sessions);
  const cache = cacheFigures(sessions);
  const overall: RunFigures = {
    ...requestFigures(reqs),
    // the run's hit rate counts every cache read, a worker's or a job's as well as a request's
    cacheReads: cache.reads,
    cacheHits: cache.hits,
    cacheHitRate: hitRate(cache.hits, cache.reads),
    queriesTotal: sessions.reduce((a, s) => a + s.queries.length, 0),
    ...runtime.figures,
  };
  const overallSamples: RunSamples = { ...requestSamples(reqs), ...runtime.samples };
  return { overall, routes, samples: { overall: overallSamples, routes: routeSamples }, timeline: timelineOf(reqs, sessions), cache: cache.patterns };
}

/** The report with `figures` added (kept when already there). */
export function withFigures(report: Report, sessions: readonly Session[]): ReportWithFigures {
  const r = report as ReportWithFigures;
  return r.figures ? r : { ...report, figures: computeFigures(sessions) };
}
