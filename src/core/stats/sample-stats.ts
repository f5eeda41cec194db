/**
 * Small statistics for key figures and their comparison: bounded thinning, a seeded PRNG
 * (so a report compares the same way every time), bootstrap confidence intervals, and
 * Sen's confidence interval of a Theil–Sen slope.
 */
import { percentileSorted } from './percentile';
import type { Point } from './trend-stats';

/** Evenly spaced items of a time-ordered list, at most `max`, first and last kept. Deterministic. */
export function thinEvenly<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return items.slice();
  const out: T[] = [];
  const step = (items.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(items[Math.round(i * step)]);
  return out;
}

export function percentile(values: readonly number[], p: number): number {
  return percentileSorted(Float64Array.from(values).sort(), p);
}

export function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return values.length ? s / values.length : 0;
}

/** mulberry32: tiny, fast, good enough for resampling. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Statistic = (values: Float64Array) => number;

/** Statistics over a sorted resample. */
export const stat = {
  percentile: (p: number): Statistic => (sorted) => percentileSorted(sorted, p),
  mean: ((sorted) => {
    let s = 0;
    for (let i = 0; i < sorted.length; i++) s += sorted[i];
    return sorted.length ? s / sorted.length : 0;
  }) as Statistic,
  max: ((sorted) => (sorted.length ? sorted[sorted.length - 1] : 0)) as Statistic,
};

export interface Interval {
  low: number;
  high: number;
}

/**
 * Percentile-bootstrap 95 % interval of `statistic(head) − statistic(base)`: both samples are
 * resampled with replacement `rounds` times. Seeded, so the same inputs give the same interval.
 */
export function bootstrapDifference(
  base: readonly number[],
  head: readonly number[],
  statistic: Statistic,
  rounds = 1000,
  seed = 0x5eed,
): Interval {
  const rand = seededRandom(seed);
  const a = new Float64Array(base.length);
  const b = new Float64Array(head.length);
  const diffs = new Float64Array(rounds);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < a.length; i++) a[i] = base[Math.floor(rand() * base.length)];
    for (let i = 0; i < b.length; i++) b[i] = head[Math.floor(rand() * head.length)];
    a.sort();
    b.sort();
    diffs[r] = statistic(b) - statistic(a);
  }
  diffs.sort();
  return { low: percentileSorted(diffs, 2.5), high: percentileSorted(diffs, 97.5) };
}

/**
 * Newcombe-free, Agresti–Caffo 95 % interval of the difference of two proportions
 * (head − base): one success and one failure added to each side keeps it sane at 0 errors.
 */
export function proportionDifference(baseHits: number, baseN: number, headHits: number, headN: number): Interval {
  const p1 = (baseHits + 1) / (baseN + 2);
  const p2 = (headHits + 1) / (headN + 2);
  const se = Math.sqrt((p1 * (1 - p1)) / (baseN + 2) + (p2 * (1 - p2)) / (headN + 2));
  const d = p2 - p1;
  return { low: d - 1.96 * se, high: d + 1.96 * se };
}

const MAX_SLOPE_POINTS = 200;

/**
 * Sen's (1968) 95 % interval of the Theil–Sen slope: ranks of the sorted pairwise slopes
 * around the median, from the Mann–Kendall variance. Null with fewer than 3 points.
 */
export function senInterval(points: readonly Point[]): [number, number] | null {
  const p = thinEvenly(points, MAX_SLOPE_POINTS);
  const n = p.length;
  if (n < 3) return null;
  const slopes: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = p[j].x - p[i].x;
      if (dx !== 0) slopes.push((p[j].y - p[i].y) / dx);
    }
  }
  if (slopes.length < 2) return null;
  slopes.sort((x, y) => x - y);
  const c = 1.96 * Math.sqrt((n * (n - 1) * (2 * n + 5)) / 18);
  const lo = Math.max(0, Math.floor((slopes.length - c) / 2) - 1);
  const hi = Math.min(slopes.length - 1, Math.ceil((slopes.length + c) / 2));
  return [slopes[lo], slopes[hi]];
}
