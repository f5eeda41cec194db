/**
 * Groups timed events into whole seconds for per-second charts (requests/s, GC pause/s).
 * A second is closed, and its final point handed to `emit`, once an event of a later second
 * arrives or once `tick(now)` is past its end by `graceMs` (the agent batches for up to 100 ms).
 * Until then the open second can be read as a provisional point (`takeProvisional`), so the
 * charts show an event within one update instead of after its second and the grace.
 * Seconds without events after the first one are emitted as empty, so a quiet app draws zeros
 * rather than a line bridging the gap. An event for a second already closed is counted in the
 * next open second: totals stay right, at the price of one second of placement.
 */
export class SecondBuckets<A, P> {
  private open: { sec: number; acc: A; changed: boolean } | null = null;
  private lastClosed = -Infinity;

  constructor(
    private readonly make: () => A,
    /** the point of one second; `acc` is null for a second without events */
    private readonly point: (secondStartMs: number, acc: A | null) => P,
    /** receives each closed second's final point, in order */
    private readonly emit: (point: P) => void,
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
      this.open = { sec, acc: this.make(), changed: false };
    }
    update(this.open.acc);
    this.open.changed = true;
  }

  /** Closes every second that ended at least `graceMs` before `now`. */
  tick(now: number): void {
    const complete = Math.floor((now - this.graceMs) / 1000) - 1; // last fully past second
    if (this.open && this.open.sec <= complete) this.closeOpen();
    if (!this.open) this.fillEmpty(complete);
  }

  /** The open second as it stands, if it changed since the last call; else null. */
  takeProvisional(): P | null {
    if (!this.open?.changed) return null;
    this.open.changed = false;
    return this.point(this.open.sec * 1000, this.open.acc);
  }

  /** The open second as it stands (changed or not), or null when no second is open. */
  provisional(): P | null {
    return this.open ? this.point(this.open.sec * 1000, this.open.acc) : null;
  }

  /** The process ended: emit what is open, and no empty seconds after it. */
  flush(): void {
    if (this.open) this.closeOpen();
  }

  private closeOpen(): void {
    const { sec, acc } = this.open!;
    this.open = null;
    this.lastClosed = sec;
    this.emit(this.point(sec * 1000, acc));
  }

  /** Emits empty seconds after the last closed one, up to and including `upTo`. */
  private fillEmpty(upTo: number): void {
    if (!Number.isFinite(this.lastClosed) || upTo <= this.lastClosed) return;
    for (let s = Math.max(this.lastClosed + 1, upTo - this.maxGap + 1); s <= upTo; s++) this.emit(this.point(s * 1000, null));
    this.lastClosed = upTo;
  }
}
