import type { DetectorOptions } from '../detectors/detector';

/** Leak and heap-trend thresholds; every one can be overridden through DetectorOptions. */
export interface LeakOptions {
  /** samples before this long after the process started are warm-up (ms) */
  leakWarmupMs: number;
  /** a site needs samples spanning this long (ms) to be judged over time */
  leakMinWindowMs: number;
  /** … and at least this many samples */
  leakMinSamples: number;
  /** slower growth than this (bytes/min) is not a leak */
  leakMinBytesPerMinute: number;
  /** under --rounds: less growth per round than this is not a leak */
  leakMinBytesPerRound: number;
  /** Mann–Kendall confidence a site's growth needs over time (many sites are tested) */
  leakConfidence: number;
  /** … and over rounds (3 strictly rising rounds give 0.83) */
  leakRoundConfidence: number;
  /** under --rounds: the rise in a site's samples from first to last round, in Poisson standard deviations */
  leakRoundNoiseZ: number;
  /** the later half of the window must still grow at this share of the whole slope (the post-GC heap; a site under --rounds) */
  leakRecentShare: number;
  /** at most this many leak findings per process, the fastest growing */
  leakMaxFindings: number;
  /** post-GC heap: window (ms), points, growth and confidence for a heap-growth finding */
  heapGrowthMinWindowMs: number;
  heapGrowthMinSamples: number;
  heapGrowthMinBytesPerMinute: number;
  heapGrowthMinBytesPerRound: number;
  heapGrowthConfidence: number;
  /** post-GC heap at this share of the heap limit is a heap-limit error */
  heapLimitRatio: number;
}

export const DEFAULT_LEAK_OPTIONS: Readonly<LeakOptions> = Object.freeze({
  leakWarmupMs: 20_000,
  leakMinWindowMs: 45_000,
  leakMinSamples: 5,
  leakMinBytesPerMinute: 128 * 1024,
  leakMinBytesPerRound: 64 * 1024,
  leakConfidence: 0.99,
  leakRoundConfidence: 0.8,
  leakRoundNoiseZ: 2,
  leakRecentShare: 0.3,
  leakMaxFindings: 10,
  heapGrowthMinWindowMs: 60_000,
  heapGrowthMinSamples: 6,
  heapGrowthMinBytesPerMinute: 256 * 1024,
  heapGrowthMinBytesPerRound: 256 * 1024,
  heapGrowthConfidence: 0.99,
  heapLimitRatio: 0.85,
});

export function leakOptions(given: DetectorOptions = {}): LeakOptions {
  const o: LeakOptions = { ...DEFAULT_LEAK_OPTIONS };
  for (const key of Object.keys(o) as Array<keyof LeakOptions>) {
    const v = given[key];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) o[key] = v;
  }
  return o;
}
