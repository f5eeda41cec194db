/**
 * Two profile reads in a row that block longer than this double the awake period (up to
 * MAX_PERIOD_MS): one slow read is usually a busy machine, two are a big profile.
 */
const SLOW_READ_MS = 50;
const MAX_PERIOD_MS = 120_000;
/** Reads of a woken gate before it may sleep again when the live heap did not rise. */
const CONFIRM_READS = 3;
/** The longest the wake threshold grows to after wakes that found nothing. */
const MAX_WAKE_BYTES = 64 * 1024 * 1024;
/**
 * Growth with no full GC of V8's wakes the reads early only when it is at least this share of
 * what the app allocated meanwhile: a leak at a low request rate keeps a large share of it, a
 * busy server that promotes a little garbage keeps a tiny one (the minimal handler under wrk
 * and the agent: ~50 KB/s kept of ~250 MB/s allocated, 0.02 %).
 */
const MIN_GROWTH_SHARE = 0.01;

export interface CadenceSettings {
  /** ms between reads while awake (the heap grows) */
  periodMs: number;
  /** growth of the live heap, or of the old generation, that wakes the reads */
  wakeBytes: number;
  /** growth without a full GC of V8's own wakes the reads only after this long without one */
  quietGcMs: number;
  /** full GCs of V8's own before this age (start-up) do not count as live-heap points */
  settleMs: number;
  /** asleep: the longest between two reads; 0: no reads unless something wakes them */
  maxQuietPeriodMs: number;
  /** the profiler's sampling interval: a site's bytes come in steps of it */
  intervalBytes: number;
}

/**
 * When to read the heap profile. Each read runs a full GC, and in an app under load that costs
 * far more than its pause: the GC deoptimises code that then recompiles, ~0.1–0.3 s of CPU,
 * and some processes stay ×1.3–1.45 slower after one (bench/cpu-slices.js). So nothing is read
 * until a tier-1 signal that costs ~2 µs a second says the heap grows: the old generation's used
 * bytes, looked at every second. A fall between two looks is a full GC of V8's own, and what is
 * left then is the live heap, for free. Measured under wrk: a minimal server holds 4.4 MB after
 * every scavenge for 40 s with no full GC at all, and promotes ~50 KB/s under the agent with a
 * full GC of V8's every ~25 s that brings it back; a 2 MB/min leak at 10 requests/s gets no
 * full GC of V8's in a minute while its old generation climbs.
 *
 * - Asleep, reads wake when the live heap after V8's own full GCs (past start-up, `settleMs`)
 *   rose `wake` bytes above the lowest seen; or when the old generation grew `wake` bytes
 *   above its low point, V8 has run no full GC for longer than its own rhythm (`quietGcMs`,
 *   or 1.5 × the longest gap between its full GCs so far), and that growth is a share of what
 *   the app allocated meanwhile (MIN_GROWTH_SHARE; or no full GC for 3 × `quietGcMs`): growth
 *   V8 does not collect is what a leak looks like at a low request rate.
 * - The read that woke decides: when the live heap after its GC rose since the read before
 *   (the first read: `wake` bytes above V8's lowest), or the sampled live bytes rose clearly
 *   (three standard deviations of their Poisson noise), the reads stay awake, one every
 *   `periodMs` while the live heap keeps rising, back to sleep after CONFIRM_READS that found
 *   no rise. Otherwise the growth was
 *   promoted garbage: asleep again, and the wake threshold doubles (a first read that found no
 *   rise only measured the live heap to grow from: asleep, the threshold as it was).
 * - A command (the editor's button) wakes them at once; `maxQuietPeriodMs` adds a read now and
 *   then when set.
 *
 * The sampling profiler starts at the first wake (see heap-sampling.ts), which puts that read
 * off one period (`deferRead`): nothing is sampled yet.
 */
export class ReadCadence {
  private floor: number;
  private slowReads = 0;
  private highest = 0;
  private awakeFlag = false;
  private commanded = false;
  private wake: number;
  private readonly startedAt: number;
  private lastReadAt: number;
  /** the last look at the old generation, and its low point since the last full GC */
  private prevOld = -1;
  private low = Infinity;
  /** bytes allocated in the young generation so far (an estimate), and when `low` was set */
  private allocated = 0;
  private allocatedAtLow = 0;
  /** the lowest live heap seen: after V8's own full GCs past start-up, or after a read */
  private liveLow = Infinity;
  /** full GCs of V8's own: when the last was seen, and the longest gap between two */
  private lastFallAt: number;
  private longestGap = 0;
  /** the live heap after the last read, and at the first read of this awake stretch */
  private lastLive = -1;
  private stretchLive = -1;
  private stretchReads = 0;

  constructor(private readonly s: CadenceSettings, now: number) {
    this.floor = s.periodMs;
    this.wake = s.wakeBytes;
    this.startedAt = now;
    this.lastReadAt = now;
    this.lastFallAt = now;
  }

  /** A read that was due waits one period more (the profiler only just started: nothing sampled yet). */
  deferRead(now: number): void {
    this.lastReadAt = now;
  }

  /** Wakes the reads at once (a command asked). */
  wakeNow(): void {
    if (!this.awakeFlag) this.startStretch(true);
  }

  /**
   * Called every few hundred ms with the old generation's used bytes and the bytes allocated so
   * far (an estimate, -1 when unknown): whether a read is due now.
   */
  due(oldBytes: number, now: number, allocatedBytes = -1): boolean {
    this.allocated = allocatedBytes;
    const fell = this.prevOld >= 0 && oldBytes < this.prevOld;
    this.prevOld = oldBytes;
    if (fell) this.fullGcOfV8(oldBytes, now);
    if (oldBytes < this.low) this.setLow(oldBytes);

    const since = now - this.lastReadAt;
    if (this.awakeFlag) return since >= this.floor;
    if (since < this.floor) return false;
    if (fell && now - this.startedAt >= this.s.settleMs && oldBytes >= this.liveLow + this.wake) return this.wakeUp();
    const growth = oldBytes - this.low;
    const quietFor = now - this.lastFallAt;
    if (growth >= this.wake && quietFor >= Math.max(this.s.quietGcMs, 1.5 * this.longestGap)) {
      const allocated = this.allocated - this.allocatedAtLow;
      const kept = this.allocated < 0 || allocated <= 0 || growth >= MIN_GROWTH_SHARE * allocated;
      if (kept || quietFor >= 3 * this.s.quietGcMs) return this.wakeUp();
    }
    return this.s.maxQuietPeriodMs > 0 && since >= this.s.maxQuietPeriodMs;
  }

  /**
   * After a read that took `durationMs`, sampled `totalBytes` live and left `liveBytes` in the
   * old generation (right after its full GC).
   */
  afterRead(durationMs: number, totalBytes: number, liveBytes: number, now: number): void {
    this.lastReadAt = now;
    this.lastFallAt = now;
    this.prevOld = liveBytes;
    this.slowReads = durationMs > SLOW_READ_MS ? this.slowReads + 1 : 0;
    if (this.slowReads >= 2 && this.floor < MAX_PERIOD_MS) {
      this.slowReads = 0;
      this.floor = Math.min(MAX_PERIOD_MS, this.floor * 2);
    }
    const noise = Math.max(2 * this.s.intervalBytes, 3 * Math.sqrt(this.highest * this.s.intervalBytes));
    const sampledRose = this.highest > 0 && totalBytes > this.highest + noise;
    this.highest = Math.max(this.highest, totalBytes);
    const rise = Math.max(128 * 1024, liveBytes / 200);
    // against the read before; the first read against V8's own lowest live heap, a coarser
    // point (up to a look's worth of promotion on top), so by a whole wake threshold
    const first = this.lastLive < 0;
    const above = first ? this.liveLow + this.wake : this.lastLive + rise;
    const rose = sampledRose || liveBytes > above;
    this.lastLive = liveBytes;
    this.setLow(liveBytes);
    this.liveLow = liveBytes;

    if (!this.awakeFlag) {
      // a quiet-period read: awake when the heap grew since the read before
      if (rose) {
        this.startStretch(false);
        this.stretchLive = liveBytes;
        this.stretchReads = 1;
      }
      return;
    }
    this.stretchReads++;
    if (this.stretchLive < 0) {
      // the read growth woke: promoted garbage (or the first measure of the live heap),
      // unless the live heap rose
      if (!rose && !this.commanded) return this.sleep(!first);
      this.stretchLive = liveBytes;
      return;
    }
    if (sampledRose || liveBytes > this.stretchLive + rise) {
      // still growing: another stretch, from here
      this.stretchLive = liveBytes;
      this.stretchReads = 1;
      this.wake = this.s.wakeBytes;
      return;
    }
    if (this.stretchReads >= CONFIRM_READS) this.sleep(true);
  }

  /** The old generation fell since the last look: V8 ran a full GC, and `liveBytes` is left. */
  private fullGcOfV8(liveBytes: number, now: number): void {
    this.longestGap = Math.max(this.longestGap, now - this.lastFallAt);
    this.lastFallAt = now;
    this.setLow(liveBytes);
    if (now - this.startedAt >= this.s.settleMs) this.liveLow = Math.min(this.liveLow, liveBytes);
  }

  private setLow(bytes: number): void {
    this.low = bytes;
    this.allocatedAtLow = this.allocated;
  }

  private wakeUp(): boolean {
    this.startStretch(false);
    return true;
  }

  private startStretch(commanded: boolean): void {
    this.awakeFlag = true;
    this.commanded = commanded;
    this.stretchLive = -1;
    this.stretchReads = 0;
  }

  /** Back to sleep; after a wake that found nothing, `wake` doubles (not after a first measure). */
  private sleep(nothingFound: boolean): void {
    this.awakeFlag = false;
    this.commanded = false;
    if (nothingFound) this.wake = Math.min(MAX_WAKE_BYTES, this.wake * 2);
  }
}
