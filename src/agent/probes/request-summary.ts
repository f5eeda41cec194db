import type { HttpSummaryMessage, HttpSummaryRoute } from '../../protocol/messages';
import { micro } from '../clock';
import { DurationClasses } from './duration-classes';

/** A summary is sent early past this many requests, so one message stays small to expand. */
export const MAX_SUMMARY_REQUESTS = 50_000;

interface RouteTally {
  method: string;
  route: string;
  status: number;
  durations: DurationClasses;
}

/**
 * Requests nothing needs one by one (no query ran in their scope), folded per method, route
 * and status into duration classes: one `httpSummary` message per period instead of one
 * `http` message a request. Per request: a logarithm and one map lookup by duration class, plus
 * one by route unless the request before had the same route, method and status; no allocation
 * once a route and duration class have been seen in the period.
 */
export class RequestSummary {
  /** route → its tallies, one per method and status (most routes have one or two) */
  private routes = new Map<string, RouteTally[]>();
  private requests = 0;
  /** the tally of the request before: most requests in a row are of one route, method and status */
  private last: RouteTally | null = null;
  /** when the window's first request finished: the window spans only the requests in it */
  private fromT = 0;

  constructor(private readonly pid: number) {}

  get size(): number {
    return this.requests;
  }

  /** One request that finished at `t` (epoch ms) after `durationMs`. */
  add(method: string, route: string, status: number, durationMs: number, t: number): void {
    if (this.requests === 0) this.fromT = t;
    const last = this.last;
    if (last !== null && last.route === route && last.status === status && last.method === method) {
      last.durations.add(durationMs);
      this.requests++;
      return;
    }
    let tallies = this.routes.get(route);
    if (tallies === undefined) {
      tallies = [];
      this.routes.set(route, tallies);
    }
    let tally: RouteTally | undefined;
    for (let i = 0; i < tallies.length; i++) {
      const t = tallies[i];
      if (t.status === status && t.method === method) {
        tally = t;
        break;
      }
    }
    if (tally === undefined) {
      tally = { method, route, status, durations: new DurationClasses() };
      tallies.push(tally);
    }
    tally.durations.add(durationMs);
    this.requests++;
    this.last = tally;
  }

  /** The requests since the last call as one message ending at `now` (null when there were none). */
  take(now: number): HttpSummaryMessage | null {
    if (this.requests === 0) return null;
    const routes: HttpSummaryRoute[] = [];
    for (const tallies of this.routes.values()) {
      for (const tally of tallies) {
        routes.push({ method: tally.method, route: tally.route, status: tally.status, ...tally.durations.toArrays() });
      }
    }
    this.routes = new Map();
    this.last = null;
    this.requests = 0;
    return { type: 'httpSummary', pid: this.pid, t: micro(now), fromT: micro(this.fromT), routes };
  }
}
