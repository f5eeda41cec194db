import { trendOf, type Point, type Trend } from '../stats/trend-stats';

export interface GrowthCriteria {
  /** slope needed, in y units per x unit */
  minSlope: number;
  /** rise over the window needed (sampling granularity, absolute floor) */
  minGrowth: number;
  confidence: number;
  recentShare: number;
}

/**
 * Steady growth or not: a robust slope above the floor, a significant Mann–Kendall trend, and
 * the later half of the window still rising (so a cache that filled and levelled off, or a
 * start-up allocation followed by a flat line, is not called a leak).
 */
export function steadyGrowth(points: readonly Point[], c: GrowthCriteria): Trend | null {
  const trend = trendOf(points);
  if (!(trend.slope >= c.minSlope)) return null;
  if (!(trend.growth >= c.minGrowth)) return null;
  if (!(trend.confidence >= c.confidence)) return null;
  if (!(trend.recentSlope >= Math.max(c.recentShare * trend.slope, Number.MIN_VALUE))) return null;
  return trend;
}
