/**
 * When a folded window is sent: `periodMs` after its first event, by a one-shot unref'd timer,
 * so an app where nothing happens has no timer at all.
 */
export class WindowTimer {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly periodMs: number,
    private readonly onDue: () => void,
  ) {}

  /** Starts the wait unless it runs already. */
  arm(): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      try {
        this.onDue();
      } catch {
        /* never into the app */
      }
    }, this.periodMs);
    this.timer.unref();
  }

  /** The window is being sent now: no wait left. */
  disarm(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
