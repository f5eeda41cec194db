import type { HttpSummaryMessage, HttpSummaryRoute } from '../../protocol/messages';

/**
 * Duration classes per doubling: 32 makes neighbours 2.2 % apart. A class reports the mean of
 * its requests, so a percentile read from the summary is within that of the exact one, and
 * requests of one duration come back exact.
 */
const CLASSES_PER_DOUBLING = 32;
/** A summary is sent early past this many requests, so one message stays small to expand. */
export const MAX_SUMMARY_REQUESTS = 50_000;

class DurationClasses {
  readonly counts = new Map<number, number>();
  readonly sums = new Map<number, number>();

  add(durationMs: number): void {
    const c = Math.floor(Math.log2(1 + durationMs * 1000) * CLASSES_PER_DOUBLING);
    this.counts.set(c, (this.counts.get(c) ?? 0) + 1);
    this.sums.set(c, (this.sums.get(c) ?? 0) + durationMs);
  }
}

interface RouteTally {
  method: string;
  route: string;
  status: number;
  durations: DurationClasses;
}

const micro = (ms: number): number => Math.round(ms * 1000) / 1000;

/**
 * Requests nothing needs one by one (no query ran in their scope), folded per method, route
 * and status into duration classes: one `httpSummary` message per period instead of one
 * `http` message a request. Per request: a key, two map lookups, a logarithm; no allocation once a
 * route and duration class have been seen.
 */
export class RequestSummary {
  private tallies = new Map<string, RouteTally>();
  private requests = 0;
  private fromT: number;

  constructor(
    private readonly pid: number,
    now: number,
  ) {
    this.fromT = now;
  }

  get size(): number {
    return this.requests;
  }

  add(method: string, route: string, status: number, durationMs: number): void {
    const key = `${status} ${method} ${route}`;
    let tally = this.tallies.get(key);
    if (tally === undefined) {
      tally = { method, route, status, durations: new DurationClasses() };
      this.tallies.set(key, tally);
    }
    tally.durations.add(durationMs);
    this.requests++;
  }

  /** The requests since the last call as one message (null when there were none), and a fresh window from `now`. */
  take(now: number): HttpSummaryMessage | null {
    const fromT = this.fromT;
    this.fromT = now;
    if (this.requests === 0) return null;
    const routes: HttpSummaryRoute[] = [];
    for (const tally of this.tallies.values()) {
      const durationsMs: number[] = [];
      const counts: number[] = [];
      for (const [c, n] of tally.durations.counts) {
        counts.push(n);
        durationsMs.push(micro(tally.durations.sums.get(c)! / n));
      }
      routes.push({ method: tally.method, route: tally.route, status: tally.status, durationsMs, counts });
    }
    this.tallies = new Map();
    this.requests = 0;
    return { type: 'httpSummary', pid: this.pid, t: micro(now), fromT: micro(fromT), routes };
  }
}
