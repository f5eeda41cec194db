import { findingId, type Finding } from '../findings/finding';
import type { Session } from '../session/session';
import { formatBytes, round3 } from '../util/units';
import { steadyGrowth } from './growth-test';
import type { LeakOptions } from './leak-options';
import type { Point } from '../stats/trend-stats';

const MINUTE = 60_000;

/** Post-GC heap sizes over time: major GCs' heapUsedAfter, and forced-GC measurements. */
export function postGcPoints(session: Session): Point[] {
  const points: Point[] = [];
  for (const g of session.gc.toArray()) {
    if (g.kind === 'major' && typeof g.heapUsedAfter === 'number') points.push({ x: g.t, y: g.heapUsedAfter });
  }
  for (const m of session.heapMeasures) points.push({ x: m.t, y: m.heapUsed });
  points.sort((a, b) => a.x - b.x);
  // One point per second, the lowest: GCs in a burst (shutdown, a forced pair) say one thing.
  const out: Point[] = [];
  for (const p of points) {
    const last = out[out.length - 1];
    if (last && p.x - last.x < 1000) last.y = Math.min(last.y, p.y);
    else out.push({ ...p });
  }
  return out;
}

/** Post-forced-GC heap per load round after the first (round 1 carries the warm-up). */
function roundPoints(session: Session): Point[] {
  const byRound = new Map<number, number>();
  for (const m of session.heapMeasures) if (m.round >= 1) byRound.set(m.round, m.heapUsed);
  return [...byRound].map(([x, y]) => ({ x, y })).sort((a, b) => a.x - b.x);
}

function heapLimitOf(session: Session): number | null {
  const fromMemory = session.memory.last()?.heapLimit;
  return session.hello?.heapLimit ?? fromMemory ?? null;
}

/** Tier 1: whether the process leaks at all (heap-growth), and whether it is near its limit. */
export function detectHeapTrend(session: Session, o: LeakOptions): Finding[] {
  const findings: Finding[] = [];
  const limit = heapLimitOf(session);
  const all = postGcPoints(session);
  const latest = all.length ? all[all.length - 1].y : null;

  const rounds = roundPoints(session);
  if (rounds.length >= 3) {
    const trend = steadyGrowth(rounds, {
      minSlope: o.heapGrowthMinBytesPerRound,
      minGrowth: o.heapGrowthMinBytesPerRound,
      confidence: o.leakRoundConfidence,
      recentShare: o.leakRecentShare,
    });
    if (trend) {
      const perRound = Math.round(trend.slope);
      findings.push({
        id: findingId('heap-growth', null, 'rounds'),
        kind: 'heap-growth',
        severity: 'warning',
        message: `The heap after a forced GC grows by ${formatBytes(perRound)} per load round (${trend.n} rounds after the first): the app keeps memory from every round.`,
        pid: session.pid,
        location: null,
        related: [],
        data: { bytesPerRound: perRound, rounds: trend.n, windowMs: windowOf(session), confidence: round3(trend.confidence), heapUsed: latest },
      });
    }
  }

  if (!findings.length) {
    const from = session.startedAt + o.leakWarmupMs;
    const points = all.filter((p) => p.x >= from);
    const span = points.length ? points[points.length - 1].x - points[0].x : 0;
    if (points.length >= o.heapGrowthMinSamples && span >= o.heapGrowthMinWindowMs) {
      const perMs = o.heapGrowthMinBytesPerMinute / MINUTE;
      const trend = steadyGrowth(points, {
        minSlope: perMs,
        minGrowth: perMs * Math.min(span, MINUTE),
        confidence: o.heapGrowthConfidence,
        recentShare: o.leakRecentShare,
      });
      if (trend) {
        const bytesPerMinute = Math.round(trend.slope * MINUTE);
        const minutesToLimit = limit && latest !== null ? Math.max(0, (limit - latest) / bytesPerMinute) : null;
        const soon = minutesToLimit !== null && minutesToLimit < 60;
        findings.push({
          id: findingId('heap-growth', null, 'time'),
          kind: 'heap-growth',
          severity: soon ? 'error' : 'warning',
          message:
            `The heap after GC grows by ${formatBytes(bytesPerMinute)}/min over ${Math.round(span / 1000)} s` +
            (soon ? `; at this rate it reaches its limit in about ${Math.ceil(minutesToLimit!)} min.` : ': the app keeps memory it no longer frees.'),
          pid: session.pid,
          location: null,
          related: [],
          data: {
            bytesPerMinute,
            windowMs: Math.round(span),
            confidence: round3(trend.confidence),
            samples: trend.n,
            heapUsed: latest,
            ...(minutesToLimit !== null ? { minutesToLimit: Math.round(minutesToLimit) } : {}),
          },
        });
      }
    }
  }

  if (limit && latest !== null && latest >= o.heapLimitRatio * limit) {
    findings.push({
      id: findingId('heap-limit', null),
      kind: 'heap-limit',
      severity: 'error',
      message: `The heap after GC is ${formatBytes(latest)}, ${Math.round((latest / limit) * 100)} % of its ${formatBytes(limit)} limit: the process is close to crashing with "JavaScript heap out of memory".`,
      pid: session.pid,
      location: null,
      related: [],
      data: { heapUsed: latest, heapLimit: limit, ratio: round3(latest / limit) },
    });
  }
  return findings;
}

function windowOf(session: Session): number {
  const ms = session.heapMeasures;
  return ms.length ? Math.round(ms[ms.length - 1].t - ms[0].t) : 0;
}
