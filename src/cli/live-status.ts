import type { SessionStore } from '../core';

const MB = 1024 * 1024;

/** One line, rewritten in place, while a run goes on; only on a terminal. */
export class LiveStatus {
  private timer: NodeJS.Timeout | null = null;
  private readonly started = Date.now();

  constructor(
    private readonly store: SessionStore,
    private readonly out: NodeJS.WriteStream,
  ) {}

  start(): void {
    if (!this.out.isTTY) return;
    this.timer = setInterval(() => this.draw(), 500);
    this.timer.unref();
  }

  line(): string {
    const live = this.store.liveSessions;
    const heap = live.reduce((a, s) => a + (s.memory.last()?.heapUsed ?? 0), 0);
    const req = this.store.sessions.reduce((a, s) => a + s.httpCount, 0);
    const queries = this.store.sessions.reduce((a, s) => a + s.queryCount, 0);
    const secs = Math.round((Date.now() - this.started) / 1000);
    return `perf-lens ● ${live.length} process${live.length === 1 ? '' : 'es'} · heap ${(heap / MB).toFixed(1)} MB · ${req} requests · ${queries} queries · ${secs} s`;
  }

  private draw(): void {
    const cols = this.out.columns || 100;
    this.out.write('\r\x1b[2K' + this.line().slice(0, cols - 1));
  }

  /** Clears the line so the summary starts clean. */
  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
    this.out.write('\r\x1b[2K');
  }
}
