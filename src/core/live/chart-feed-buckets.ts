/**
 * Groups timed events into whole seconds for per-second charts (requests/s, GC pause/s).
 * A second is closed, and handed to `emit`, once an event of a later second arrives or once
 * `tick(now)` is past its end by `graceMs` (the agent batches for up to 100 ms). Seconds
 * without events after the first one are emitted as empty, so a quiet app draws zeros rather
 * than a line bridging the gap. An event for a second already closed is counted in the next
 * open second: totals stay right, at the price of one second of placement.
 */
export class SecondBuckets<A> {
  private open: { sec: number; acc: A } | null = null;
  private lastClosed = -Infinity;

  constructor(
    private readonly make: () => A,
    /** `acc` is null for a second without events */
    private readonly emit: (secondStartMs: number, acc: A | null) => void,
    private readonly graceMs = 250,
    /** most empty seconds emitted for one gap (older ones would be trimmed anyway) */
    private readonly maxGap = 600,
  ) {}

  add(t: number, update: (acc: A) => void): void {
    let sec = Math.floor(t / 1000);
    if (this.open && sec > this.open.sec) this.closeOpen();
    if (!this.open) {
      if (sec <= this.lastClosed) sec = this.lastClosed + 1;
      this.fillEmpty(sec - 1);
      this.open = { sec, acc: this.make() };
    }
    update(this.open.acc);
  }

  /** Closes every second that ended at least `graceMs` before `now`. */
  tick(now: number): void {
    const complete = Math.floor((now - this.graceMs) / 1000) - 1; // last fully past second
    if (this.open && this.open.sec <= complete) this.closeOpen();
    if (!this.open) this.fillEmpty(complete);
  }

  /** The process ended: emit what is open, and no empty seconds after it. */
  flush(): void {
    if (this.open) this.closeOpen();
  }

  private closeOpen(): void {
    const { sec, acc } = this.open!;
    this.open = null;
    this.lastClosed = sec;
    this.emit(sec * 1000, acc);
  }

  /** Emits empty seconds after the last closed one, up to and including `upTo`. */
  private fillEmpty(upTo: number): void {
    if (!Number.isFinite(this.lastClosed) || upTo <= this.lastClosed) return;
    for (let s = Math.max(this.lastClosed + 1, upTo - this.maxGap + 1); s <= upTo; s++) this.emit(s * 1000, null);
    this.lastClosed = upTo;
  }
}
