import type { QueryMessage } from '../../protocol';
import { fingerprint } from '../queries/fingerprint';
import { percentileSorted } from '../stats/percentile';
import { round3 } from '../util/units';
import type { QueryRow } from '../../protocol/chart-messages';

/** durations kept per shape for its p95: the most recent ones */
const RECENT = 256;
/** shapes tracked per process; queries of further shapes are counted under one "other" row */
const MAX_SHAPES = 2000;
const OTHER = '(other query shapes)';

interface Shape {
  fingerprint: string;
  db: string;
  count: number;
  totalMs: number;
  maxMs: number;
  recent: Float64Array;
}

/**
 * Running totals per (db, fingerprint) for the live "top queries" table. Unlike
 * `aggregateQueries`, which sorts every duration of a finished run, this costs O(1) per query
 * and stays bounded, so it can follow a busy app for hours.
 */
export class QueryTotals {
  private readonly shapes = new Map<string, Shape>();
  /** set by every query; cleared by whoever sends the rows */
  dirty = false;

  add(q: QueryMessage): void {
    const fp = fingerprint(q.text, q.db);
    let key = `${q.db}\0${fp}`;
    let shape = this.shapes.get(key);
    if (!shape && this.shapes.size >= MAX_SHAPES) {
      key = `\0${OTHER}`;
      shape = this.shapes.get(key);
    }
    if (!shape) {
      const other = key.startsWith('\0');
      shape = { fingerprint: other ? OTHER : fp, db: other ? '' : q.db, count: 0, totalMs: 0, maxMs: 0, recent: new Float64Array(RECENT) };
      this.shapes.set(key, shape);
    }
    const ms = Number.isFinite(q.durationMs) && q.durationMs > 0 ? q.durationMs : 0;
    shape.recent[shape.count % RECENT] = ms;
    shape.count++;
    shape.totalMs += ms;
    if (ms > shape.maxMs) shape.maxMs = ms;
    this.dirty = true;
  }

  /** The `n` shapes with the most total time. */
  top(n: number): QueryRow[] {
    return [...this.shapes.values()]
      .sort((a, b) => b.totalMs - a.totalMs || b.count - a.count)
      .slice(0, n)
      .map((s) => {
        const recent = s.recent.slice(0, Math.min(s.count, RECENT)).sort();
        return {
          fingerprint: s.fingerprint,
          db: s.db,
          count: s.count,
          totalMs: round3(s.totalMs),
          meanMs: round3(s.totalMs / s.count),
          p95Ms: round3(percentileSorted(recent, 95)),
          maxMs: round3(s.maxMs),
        };
      });
  }
}
