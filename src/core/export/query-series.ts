import type { DbKind } from '../../protocol';
import { fingerprint, shapeEpoch } from '../queries/fingerprint';
import { QUERY_DURATION_BOUNDS } from './buckets';
import { Histogram } from './histogram';
import type { HistogramPoint, MetricLabels } from './metrics-snapshot';

export interface QuerySeriesLimits {
  /** fingerprints among the heaviest (by total time) that get a series of their own */
  topN: number;
  /** own series at most, ever: a series once given is kept, so the top set can only grow to this */
  maxSeries: number;
  /** fingerprints followed (time and buckets) while they wait for a series; the rest go to `other` */
  maxCandidates: number;
}

export const DEFAULT_QUERY_SERIES_LIMITS: QuerySeriesLimits = { topN: 20, maxSeries: 40, maxCandidates: 1000 };

/** A fingerprint label longer than this is cut (a 4 KB SQL text is no label value). */
export const MAX_FINGERPRINT_LABEL_CHARS = 200;

/** The label value of a fingerprint: cut at MAX_FINGERPRINT_LABEL_CHARS with an ellipsis. */
export function fingerprintLabel(fp: string): string {
  return fp.length > MAX_FINGERPRINT_LABEL_CHARS ? `${fp.slice(0, MAX_FINGERPRINT_LABEL_CHARS - 1)}…` : fp;
}

/** Slots of QuerySeries.recent (a power of two). */
const RECENT_SLOTS = 16;

interface Recent {
  sql: string | null;
  db: string | null;
  epoch: number;
  entry: Tracked | null;
}

interface Tracked {
  db: string;
  fingerprint: string;
  hist: Histogram;
  /** seconds over the whole run, own series or not: what the ranking reads */
  totalS: number;
  own: boolean;
  labels: MetricLabels | null;
}

/**
 * Query durations of one process per (db, fingerprint), bounded: the heaviest fingerprints by
 * total time get a series of their own, everything else adds to one `other` series per db.
 *
 * Counters must never go down, so the set is sticky: a fingerprint that got a series keeps
 * it, and one promoted later starts its series at zero while what it did before stays in
 * `other`. While a process has shown at most `topN` fingerprints, each is in the top N by
 * definition and gets its series at once (exact counts for most apps); past that, promotion
 * happens when a snapshot ranks them, up to `maxSeries`.
 */
export class QuerySeries {
  /**
   * db → fingerprint → its entry. Keyed by the fingerprint string analyzeSql hands out (one
   * cached instance per shape, its hash computed once), so a query costs two Map reads and no
   * key string is built; those whose text is in `recent` skip even these.
   */
  private readonly byDb = new Map<string, Map<string, Tracked>>();
  /** "db\0label" → entry: two fingerprints cut to the same label share one series */
  private readonly tracked = new Map<string, Tracked>();
  /** history of the fingerprints promoted late, and queries of fingerprints not followed */
  private readonly otherByDb = new Map<string, Histogram>();
  private readonly otherLabels = new Map<string, MetricLabels>();
  private own = 0;
  /**
   * The entries of recent SQL texts, one slot per text length (mod RECENT_SLOTS): a query whose
   * text is in its slot skips the fingerprint's cache and both Map reads, so its text is compared
   * and never hashed (~90 ns less per query, replaying a 5 000 req/s recording). A slot holds
   * while shapeEpoch() keeps the value it had when the slot was filled: fingerprint() would then
   * give the same answer, and skipping it changes nothing in its caches.
   */
  private readonly recent: Recent[] = Array.from({ length: RECENT_SLOTS }, () => ({ sql: null, db: null, epoch: -1, entry: null }));

  constructor(private readonly limits: QuerySeriesLimits = DEFAULT_QUERY_SERIES_LIMITS) {}

  /** A query by its SQL text: `observe` under the text's fingerprint. */
  observeSql(db: DbKind, sql: string, seconds: number): void {
    // (`?.`: a text that is no string must not throw into the store; analyzeSql takes it too)
    const r = this.recent[sql?.length & (RECENT_SLOTS - 1)];
    if (r.entry !== null && r.sql === sql && r.db === db && r.epoch === shapeEpoch()) {
      this.record(db, r.entry, seconds);
      return;
    }
    const t = this.entryOf(db, fingerprint(sql, db));
    if (t) {
      r.sql = sql;
      r.db = db;
      r.epoch = shapeEpoch();
      r.entry = t;
    }
    this.record(db, t, seconds);
  }

  observe(db: string, fingerprint: string, seconds: number): void {
    this.record(db, this.entryOf(db, fingerprint), seconds);
  }

  private record(db: string, t: Tracked | null, seconds: number): void {
    if (!t) {
      this.otherOf(db).observe(seconds);
      return;
    }
    t.hist.observe(seconds);
    if (seconds > 0) t.totalS += seconds;
  }

  /** The entry of a fingerprint, or null when it is not followed (past maxCandidates). */
  private entryOf(db: string, fingerprint: string): Tracked | null {
    let fps = this.byDb.get(db);
    if (!fps) this.byDb.set(db, (fps = new Map()));
    let t = fps.get(fingerprint);
    if (!t) {
      const entry = this.entryFor(db, fingerprint);
      // past maxCandidates the fingerprint is not remembered at all: the map stays bounded
      if (!entry) return null;
      // a cache over `tracked`: many long fingerprints may share one cut label, so it is capped
      if (fps.size >= 4 * this.limits.maxCandidates) fps.clear();
      fps.set(fingerprint, (t = entry));
    }
    return t;
  }

  /** The entry of a fingerprint seen for the first time, or null past maxCandidates. */
  private entryFor(db: string, fingerprint: string): Tracked | null {
    const label = fingerprintLabel(fingerprint);
    const key = `${db}\0${label}`;
    let t = this.tracked.get(key);
    if (t) return t;
    if (this.tracked.size >= this.limits.maxCandidates) return null;
    t = { db, fingerprint: label, hist: new Histogram(QUERY_DURATION_BOUNDS), totalS: 0, own: false, labels: null };
    this.tracked.set(key, t);
    if (this.tracked.size <= this.limits.topN && this.own < this.limits.maxSeries) this.promote(t);
    return t;
  }

  /** Gives a series to the fingerprints now among the top N by total time (bounded by maxSeries). */
  rank(): void {
    if (this.own >= this.limits.maxSeries || this.own === this.tracked.size) return;
    const heaviest = [...this.tracked.values()].sort((a, b) => b.totalS - a.totalS || b.hist.count - a.hist.count).slice(0, this.limits.topN);
    for (const t of heaviest) {
      if (this.own >= this.limits.maxSeries) break;
      if (t.own) continue;
      // what it did before its series existed stays counted in `other`
      this.otherOf(t.db).add(t.hist);
      t.hist.reset();
      this.promote(t);
    }
  }

  /** One point per own fingerprint, then one `other` per db that has any. */
  points(base: MetricLabels): HistogramPoint[] {
    this.rank();
    const out: HistogramPoint[] = [];
    const other = new Map<string, Histogram>();
    for (const [db, h] of this.otherByDb) other.set(db, copyOf(h));
    for (const t of this.tracked.values()) {
      if (t.own) {
        t.labels ??= { ...base, db: t.db, fingerprint: t.fingerprint };
        out.push(t.hist.point(t.labels));
      } else if (t.hist.count > 0) {
        let h = other.get(t.db);
        if (!h) other.set(t.db, (h = new Histogram(QUERY_DURATION_BOUNDS)));
        h.add(t.hist);
      }
    }
    for (const [db, h] of other) {
      let labels = this.otherLabels.get(db);
      if (!labels) this.otherLabels.set(db, (labels = { ...base, db, fingerprint: 'other' }));
      out.push(h.point(labels));
    }
    return out;
  }

  /** Fingerprints with a series of their own. */
  get ownSeries(): number {
    return this.own;
  }

  private promote(t: Tracked): void {
    t.own = true;
    this.own++;
  }

  private otherOf(db: string): Histogram {
    let h = this.otherByDb.get(db);
    if (!h) this.otherByDb.set(db, (h = new Histogram(QUERY_DURATION_BOUNDS)));
    return h;
  }
}

function copyOf(h: Histogram): Histogram {
  const c = new Histogram(h.bounds);
  c.add(h);
  return c;
}
