/**
 * Robust trend statistics for leak detection: Theil–Sen slope (median of pairwise slopes,
 * unmoved by a few outliers such as a GC that ran mid-burst) and the Mann–Kendall test
 * (is the series monotonically increasing?), exact for short series and normal otherwise.
 */

export interface Point {
  /** time (ms) or round number */
  x: number;
  y: number;
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Pairs beyond this are subsampled evenly: Theil–Sen is O(n²). */
const MAX_POINTS = 400;

function thin(points: readonly Point[]): readonly Point[] {
  if (points.length <= MAX_POINTS) return points;
  const step = points.length / MAX_POINTS;
  const out: Point[] = [];
  for (let i = 0; i < MAX_POINTS; i++) out.push(points[Math.floor(i * step)]);
  out[out.length - 1] = points[points.length - 1];
  return out;
}

/** Median of the slopes of all pairs with distinct x; NaN with fewer than two such. */
export function theilSenSlope(points: readonly Point[]): number {
  const p = thin(points);
  const slopes: number[] = [];
  for (let i = 0; i < p.length; i++) {
    for (let j = i + 1; j < p.length; j++) {
      const dx = p[j].x - p[i].x;
      if (dx !== 0) slopes.push((p[j].y - p[i].y) / dx);
    }
  }
  return median(slopes);
}

export interface MannKendall {
  /** S statistic: concordant minus discordant pairs */
  s: number;
  /** normal score (continuity corrected, tie corrected); 0 for exact results */
  z: number;
  /** one-sided p-value of "no upward trend" */
  pIncreasing: number;
  n: number;
}

/** Standard normal upper tail, Abramowitz–Stegun 7.1.26 (error < 1.5e-7). */
function upperTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erfc =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/** Exact null distribution of S for n ≤ EXACT_N (counts of permutations by inversions). */
const EXACT_N = 9;
function exactUpperP(n: number, s: number): number {
  // counts[k] = permutations of n with k inversions (Mahonian numbers); S = pairs - 2·inversions
  let counts = [1];
  for (let m = 2; m <= n; m++) {
    const next = new Array(counts.length + m - 1).fill(0);
    for (let k = 0; k < counts.length; k++) for (let j = 0; j < m; j++) next[k + j] += counts[k];
    counts = next;
  }
  const pairs = (n * (n - 1)) / 2;
  let total = 0;
  let atLeast = 0;
  for (let k = 0; k < counts.length; k++) {
    total += counts[k];
    if (pairs - 2 * k >= s) atLeast += counts[k];
  }
  return atLeast / total;
}

export function mannKendall(ys: readonly number[]): MannKendall {
  const n = ys.length;
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) s += Math.sign(ys[j] - ys[i]);
  if (n < 3) return { s, z: 0, pIncreasing: 1, n };
  const ties = new Map<number, number>();
  for (const y of ys) ties.set(y, (ties.get(y) ?? 0) + 1);
  const tied = [...ties.values()].some((c) => c > 1);
  if (n <= EXACT_N && !tied) return { s, z: 0, pIncreasing: exactUpperP(n, s), n };
  let variance = n * (n - 1) * (2 * n + 5);
  for (const c of ties.values()) if (c > 1) variance -= c * (c - 1) * (2 * c + 5);
  variance /= 18;
  if (variance <= 0) return { s, z: 0, pIncreasing: 1, n };
  const z = s > 0 ? (s - 1) / Math.sqrt(variance) : s < 0 ? (s + 1) / Math.sqrt(variance) : 0;
  return { s, z, pIncreasing: upperTail(z), n };
}

export interface Trend {
  /** Theil–Sen slope, y units per x unit */
  slope: number;
  /** Theil–Sen slope over the later half of the time span: near zero for a series that levelled off */
  recentSlope: number;
  /** 1 − one-sided Mann–Kendall p-value for an increasing trend */
  confidence: number;
  /** robust rise over the window: slope × span */
  growth: number;
  n: number;
  span: number;
}

/** Slope, plateau check and trend confidence of a series sorted by x. */
export function trendOf(points: readonly Point[]): Trend {
  const n = points.length;
  const span = n ? points[n - 1].x - points[0].x : 0;
  const slope = theilSenSlope(points);
  // The later half by time, not by count: a burst of points at the end (GCs at shutdown)
  // must not stand for the whole second half.
  const mid = n ? points[0].x + span / 2 : 0;
  let later = points.filter((p) => p.x >= mid);
  if (later.length < 3) later = points.slice(-3);
  const recentSlope = later.length >= 2 ? theilSenSlope(later) : NaN;
  const mk = mannKendall(thin(points).map((p) => p.y));
  return { slope, recentSlope, confidence: 1 - mk.pIncreasing, growth: slope * span, n, span };
}
