import { findingId, type Finding, type RelatedInformation } from '../findings/finding';
import type { Session } from '../session/session';
import { formatBytes, round3 } from './format';
import { steadyGrowth } from './growth-test';
import type { LeakOptions } from './leak-options';
import type { HeapSiteHistory, SiteSample, TrackedSite } from './site-history';
import { theilSenSlope, type Point, type Trend } from './trend-stats';

const MINUTE = 60_000;
const MB = 1024 * 1024;

/** The session's per-site history; sessions built before `heapSites` existed have none. */
export function heapSiteHistoryOf(session: Session): HeapSiteHistory | null {
  return (session as unknown as { heapSites?: HeapSiteHistory }).heapSites ?? null;
}

interface Judged {
  site: TrackedSite;
  trend: Trend;
  perRound: boolean;
  liveBytes: number;
  windowMs: number;
}

/** Rounds when the CLI closed at least three load rounds after the first with a profile. */
function roundSamples(history: HeapSiteHistory): Set<SiteSample> {
  const last = new Map<number, SiteSample>();
  for (const s of history.samples) if (s.round !== undefined && s.round >= 1) last.set(s.round, s);
  return new Set(last.values());
}

function judge(history: HeapSiteHistory, site: TrackedSite, session: Session, o: LeakOptions, rounds: Set<SiteSample>): Judged | null {
  const interval = history.samples[history.samples.length - 1]?.intervalBytes ?? 0;
  if (rounds.size >= 3) {
    const series = history.series(site, (s) => rounds.has(s));
    const points: Point[] = series.map((p) => ({ x: p.round!, y: p.bytes }));
    const trend = steadyGrowth(points, {
      minSlope: o.leakMinBytesPerRound,
      minGrowth: Math.max(2 * interval, o.leakMinBytesPerRound),
      confidence: o.leakRoundConfidence,
      recentShare: o.leakRecentShare,
    });
    if (!trend) return null;
    // A site's live bytes are a sampled estimate (Poisson noise of about sqrt(bytes × interval)):
    // a few rounds of a full bounded cache can look like growth. The post-GC heap measured
    // exactly between the same rounds must grow too, by at least half the site's rate.
    const heap = session.heapMeasures.filter((m) => m.round >= 1).map((m) => ({ x: m.round, y: m.heapUsed }));
    if (heap.length >= 3 && theilSenSlope(heap) < trend.slope / 2) return null;
    return { site, trend, perRound: true, liveBytes: series[series.length - 1].bytes, windowMs: series[series.length - 1].t - series[0].t };
  }
  const from = session.startedAt + o.leakWarmupMs;
  const series = history.series(site, (s) => s.t >= from);
  if (series.length < o.leakMinSamples) return null;
  const span = series[series.length - 1].t - series[0].t;
  if (span < o.leakMinWindowMs) return null;
  const perMs = o.leakMinBytesPerMinute / MINUTE;
  const trend = steadyGrowth(
    series.map((p) => ({ x: p.t, y: p.bytes })),
    {
      minSlope: perMs,
      minGrowth: Math.max(3 * interval, perMs * Math.min(span, MINUTE)),
      confidence: o.leakConfidence,
      recentShare: o.leakRecentShare,
    },
  );
  if (!trend) return null;
  return { site, trend, perRound: false, liveBytes: series[series.length - 1].bytes, windowMs: span };
}

/** A builtin or internal frame named like a class (`Timeout`, `Promise`) is the constructor. */
function constructorOf(allocatedBy: string | null): string | undefined {
  const name = allocatedBy?.split(' ')[0];
  return name && /^[A-Z][A-Za-z0-9_$]*$/.test(name) ? name : undefined;
}

function toFinding(j: Judged, session: Session): Finding {
  const { site, trend } = j;
  const fn = site.name || '(anonymous)';
  const rate = j.perRound ? trend.slope : trend.slope * MINUTE;
  const rateText = j.perRound ? `${formatBytes(rate)} per load round` : `${formatBytes(rate)}/min`;
  const through = site.allocatedBy ? `, allocated through ${site.allocatedBy.split(' ')[0]}` : '';
  const related: RelatedInformation[] = site.callers.map((c) => ({
    message: `called from ${c.name || '(anonymous)'}`,
    location: c.location,
  }));
  if (site.allocatedBy) related.push({ message: `allocated inside ${site.allocatedBy}`, location: null });
  const constructor = constructorOf(site.allocatedBy);
  return {
    id: findingId('leak', site.location, fn),
    kind: 'leak',
    severity: rate >= MB ? 'error' : 'warning',
    message:
      `Memory allocated in ${fn}() keeps growing: +${rateText}, ${formatBytes(j.liveBytes)} still live${through}. ` +
      `Something keeps what this function allocates (the line is the function's start: the heap profiler does not name the statement).`,
    pid: session.pid,
    location: site.location,
    related,
    data: {
      ...(j.perRound ? { bytesPerRound: Math.round(rate) } : { bytesPerMinute: Math.round(rate) }),
      liveBytes: Math.round(j.liveBytes),
      samples: trend.n,
      confidence: round3(trend.confidence),
      windowMs: Math.round(j.windowMs),
      function: fn,
      ...(constructor ? { constructor } : {}),
    },
  };
}

/** Tier 2: allocation sites whose live bytes grow steadily, as `leak` findings on their line. */
export function detectSiteLeaks(session: Session, o: LeakOptions): Finding[] {
  const history = heapSiteHistoryOf(session);
  if (!history || history.samples.length === 0) return [];
  const rounds = roundSamples(history);
  const judged: Judged[] = [];
  for (const site of history.sites.values()) {
    if (!site.location) continue;
    const j = judge(history, site, session, o, rounds);
    if (j) judged.push(j);
  }
  judged.sort((a, b) => b.trend.slope - a.trend.slope);
  return judged.slice(0, o.leakMaxFindings).map((j) => toFinding(j, session));
}
