/**
 * Two profile reads in a row that block longer than this double the period (up to
 * MAX_PERIOD_MS): one slow read is usually a busy machine, two are a big profile.
 */
const SLOW_READ_MS = 50;
const MAX_PERIOD_MS = 120_000;

export interface CadenceSettings {
  /** ms between reads while anything may be growing */
  periodMs: number;
  /** process age (ms) before a quiet heap may be read less often */
  quietAfterMs: number;
  /** the longest period a quiet heap backs off to */
  maxQuietPeriodMs: number;
  /** the profiler's sampling interval: a site's bytes come in steps of it */
  intervalBytes: number;
}

/**
 * How long to wait before the next heap profile read. Each read runs a full GC first, and in
 * an app under load that costs far more than its pause (bench/cpu-slices.js, minimal handler:
 * every default ×1.33 with a read every 10 s, ×1.17 every 30 s). So once the process is past
 * its start (`quietAfterMs`), a read whose sampled live bytes did not rise clearly above the
 * most ever read doubles the period, up to `maxQuietPeriodMs`; a clear rise, three standard
 * deviations of the sampling noise (a read's sample count is a Poisson count), brings it back.
 * Leak detection then runs at full rate from the start and whenever the heap grows.
 */
export class ReadCadence {
  private floor: number;
  private current: number;
  private slowReads = 0;
  private highest = 0;

  constructor(private readonly s: CadenceSettings) {
    this.floor = s.periodMs;
    this.current = s.periodMs;
  }

  get periodMs(): number {
    return this.current;
  }

  /** The period after a read that took `durationMs` and found `totalBytes` live, at `ageMs` into the process. */
  next(durationMs: number, totalBytes: number, ageMs: number): number {
    this.slowReads = durationMs > SLOW_READ_MS ? this.slowReads + 1 : 0;
    if (this.slowReads >= 2 && this.floor < MAX_PERIOD_MS) {
      this.slowReads = 0;
      this.floor = Math.min(MAX_PERIOD_MS, this.floor * 2);
    }
    const noise = Math.max(2 * this.s.intervalBytes, 3 * Math.sqrt(this.highest * this.s.intervalBytes));
    const rose = totalBytes > this.highest + noise;
    this.highest = Math.max(this.highest, totalBytes);
    if (rose || ageMs < this.s.quietAfterMs) this.current = this.floor;
    else this.current = Math.max(this.floor, Math.min(this.s.maxQuietPeriodMs, this.current * 2));
    return this.current;
  }
}
