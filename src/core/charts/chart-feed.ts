import type { AgentMessage, GcMessage, HttpMessage } from '../../protocol';
import { RingBuffer } from '../session/ring-buffer';
import type { Session } from '../session/session';
import type { SessionStore } from '../session/session-store';
import { percentileSorted } from '../stats/percentile';
import { round3 } from '../util/units';
import { SecondBuckets } from './chart-feed-buckets';
import { QueryTotals } from './chart-feed-queries';
import { cacheOf } from '../queries/cache-reads';
import type { AppendMessage, CachePoint, PoolPoint, GcPausePoint, HttpPoint, ProcessInfo, ProcessSeries, ProvisionalPoints, QueryRow, SeriesName, SeriesPoints } from '../../protocol/chart-messages';

export * from '../../protocol/chart-messages';

/**
 * How often the charts panel takes an update and posts it (ms). An event reaches the page
 * within the agent's flush, the transport and one such interval; the page draws at most once
 * per animation frame whatever this is. The panel host and bench/live-latency.js both read it.
 */
export const CHART_UPDATE_MS = 100;

export interface ChartFeedOptions {
  /** time span the charts show, ms (default 5 minutes) */
  windowMs?: number;
  /** points kept per series and process (default 900: 15 minutes of 1 s samples) */
  maxPoints?: number;
  /** rows of the top-queries table (default 15) */
  topQueries?: number;
  /** processes kept; the oldest ended ones go first (default 8) */
  maxProcesses?: number;
  /** how long after its end a second is closed (default 250 ms) */
  graceMs?: number;
}

/** What the feed needs of a session: a Session, or anything shaped like one. */
export type FeedSession = Pick<Session, 'pid' | 'command' | 'startedAt' | 'ended'>;

/** durations kept per second for its p95 */
const MAX_DURATIONS_PER_SECOND = 10_000;
const SERIES: SeriesName[] = ['memory', 'gcMarks', 'gcPauses', 'eventLoop', 'http', 'cache', 'pool'];

type Buffers = { [K in SeriesName]: RingBuffer<SeriesPoints[K][number]> };

interface HttpAcc {
  count: number;
  errors: number;
  durations: number[];
}

interface GcAcc {
  minorMs: number;
  majorMs: number;
  count: number;
}

interface CacheAcc {
  hits: number;
  misses: number;
}

/** The chart state of one process: bounded series, and the points not yet sent. */
class ProcessFeed {
  readonly buffers: Buffers;
  pending: SeriesPoints = emptySeries();
  readonly queries = new QueryTotals();
  readonly http: SecondBuckets<HttpAcc, HttpPoint>;
  readonly gc: SecondBuckets<GcAcc, GcPausePoint>;
  /** cache reads per second; no point at all until the process's first one (most apps have none) */
  readonly cache: SecondBuckets<CacheAcc, CachePoint>;
  private cacheSeen = false;
  lastHeapUsed: number | null = null;
  lastT = 0;

  constructor(
    public info: ProcessInfo,
    private readonly maxPoints: number,
    graceMs: number,
  ) {
    this.buffers = {
      memory: new RingBuffer(maxPoints),
      gcMarks: new RingBuffer(maxPoints),
      gcPauses: new RingBuffer(maxPoints),
      eventLoop: new RingBuffer(maxPoints),
      http: new RingBuffer(maxPoints),
      cache: new RingBuffer(maxPoints),
      pool: new RingBuffer(maxPoints),
    };
    this.http = new SecondBuckets<HttpAcc, HttpPoint>(
      () => ({ count: 0, errors: 0, durations: [] }),
      (t, acc) => {
        if (!acc) return [t, 0, 0, 0];
        const sorted = Float64Array.from(acc.durations).sort();
        return [t, acc.count, round3(percentileSorted(sorted, 95)), acc.errors];
      },
      (point) => this.push('http', point),
      graceMs,
      maxPoints,
    );
    this.gc = new SecondBuckets<GcAcc, GcPausePoint>(
      () => ({ minorMs: 0, majorMs: 0, count: 0 }),
      (t, acc) => (acc ? [t, round3(acc.minorMs), round3(acc.majorMs), acc.count] : [t, 0, 0, 0]),
      (point) => this.push('gcPauses', point),
      graceMs,
      maxPoints,
    );
    this.cache = new SecondBuckets<CacheAcc, CachePoint>(
      () => ({ hits: 0, misses: 0 }),
      (t, acc) => (acc ? [t, acc.hits, acc.misses] : [t, 0, 0]),
      (point) => this.push('cache', point),
      graceMs,
      maxPoints,
    );
  }

  /** The open seconds that changed since the last call, or null when none did. */
  takeProvisional(): ProvisionalPoints | null {
    const http = this.http.takeProvisional();
    const gcPauses = this.gc.takeProvisional();
    const cache = this.cacheSeen ? this.cache.takeProvisional() : null;
    if (!http && !gcPauses && !cache) return null;
    return { ...(http && { http }), ...(gcPauses && { gcPauses }), ...(cache && { cache }) };
  }

  /** The open seconds as they stand: what a (re)loaded page starts from. */
  provisional(): ProvisionalPoints {
    const http = this.http.provisional();
    const gcPauses = this.gc.provisional();
    const cache = this.cacheSeen ? this.cache.provisional() : null;
    return { ...(http && { http }), ...(gcPauses && { gcPauses }), ...(cache && { cache }) };
  }

  /** Closes past seconds (a quiet process draws zeros; no cache series before its first read). */
  tick(now: number): void {
    this.http.tick(now);
    this.gc.tick(now);
    if (this.cacheSeen) this.cache.tick(now);
  }

  /** The process ended: its open seconds are emitted. */
  flush(): void {
    this.http.flush();
    this.gc.flush();
    if (this.cacheSeen) this.cache.flush();
  }

  push<K extends SeriesName>(name: K, point: SeriesPoints[K][number]): void {
    (this.buffers[name] as RingBuffer<typeof point>).push(point);
    const pending = this.pending[name] as (typeof point)[];
    pending.push(point);
    // Nobody took the updates for a long while: keep only what a reset would send anyway.
    if (pending.length > this.maxPoints) pending.splice(0, pending.length - this.maxPoints);
    if (point[0] > this.lastT) this.lastT = point[0];
  }

  ingest(msg: AgentMessage): void {
    switch (msg.type) {
      case 'memory':
        this.lastHeapUsed = msg.heapUsed;
        this.push('memory', [msg.t, msg.heapUsed, msg.heapTotal, msg.rss, msg.external]);
        break;
      case 'gc':
        this.addGc(msg);
        break;
      case 'eventLoop':
        this.push('eventLoop', [msg.t, round3(msg.p50Ms), round3(msg.p99Ms), round3(msg.maxMs)]);
        break;
      case 'http':
        this.addHttp(msg);
        break;
      case 'pools': {
        const sum: PoolPoint = [msg.t, 0, 0, 0, 0];
        for (const p of msg.pools) {
          sum[1] += p.inUse;
          sum[2] += p.size;
          sum[3] += p.waiting;
          sum[4] += p.max ?? 0;
        }
        this.push('pool', sum);
        break;
      }
      case 'query':
        this.queries.add(msg);
        const read = cacheOf(msg);
        if (read !== null) {
          this.cacheSeen = true;
          this.cache.add(msg.t, (acc) => {
            acc.hits += read[0];
            acc.misses += read[1];
          });
        }
        break;
    }
  }

  private addGc(msg: GcMessage): void {
    const ms = Number.isFinite(msg.durationMs) ? msg.durationMs : 0;
    this.gc.add(msg.t, (acc) => {
      if (msg.kind === 'minor') acc.minorMs += ms;
      else acc.majorMs += ms;
      acc.count++;
    });
    if (msg.kind === 'major') this.push('gcMarks', [msg.t, round3(ms), msg.heapUsedAfter ?? this.lastHeapUsed]);
  }

  private addHttp(msg: HttpMessage): void {
    this.http.add(msg.t, (acc) => {
      acc.count++;
      if (msg.status >= 500) acc.errors++;
      if (acc.durations.length < MAX_DURATIONS_PER_SECOND) acc.durations.push(Number.isFinite(msg.durationMs) ? msg.durationMs : 0);
    });
  }

  /** Points of every series within `windowMs` of this process's latest point. */
  window(windowMs: number): SeriesPoints {
    const since = this.lastT - windowMs;
    const out = emptySeries();
    for (const name of SERIES) {
      (out[name] as unknown[]) = (this.buffers[name] as unknown as RingBuffer<[number]>).since(since, (p) => p[0]);
    }
    return out;
  }
}

function emptySeries(): SeriesPoints {
  return { memory: [], gcMarks: [], gcPauses: [], eventLoop: [], http: [], cache: [], pool: [] };
}

function infoOf(session: FeedSession): ProcessInfo {
  return { pid: session.pid, command: session.command, startedAt: session.startedAt, ended: session.ended };
}

/**
 * Turns a SessionStore's messages into compact chart series for the live charts panel: memory
 * samples as they come, major GCs as marks, GC pause time and HTTP requests bucketed per
 * second (count and p95; the open second as a provisional point, so an event shows before its
 * second closes), event-loop delay, and running top-query totals. Every series is
 * bounded; `takeUpdate` hands out what is new since the last call, `snapshot` all that is kept
 * (for a webview that (re)loads). Pure: no timers, the caller passes the time.
 */
export class ChartFeed {
  readonly windowMs: number;
  private readonly maxPoints: number;
  private readonly topQueries: number;
  private readonly maxProcesses: number;
  private readonly graceMs: number;
  private readonly feeds = new Map<number, ProcessFeed>();
  private readonly sessions = new Map<number, FeedSession>();
  private processesChanged = false;

  constructor(options: ChartFeedOptions = {}) {
    this.windowMs = options.windowMs ?? 5 * 60_000;
    this.maxPoints = options.maxPoints ?? 900;
    this.topQueries = options.topQueries ?? 15;
    this.maxProcesses = options.maxProcesses ?? 8;
    this.graceMs = options.graceMs ?? 250;
  }

  /** Follows `store` from now on, after replaying what its sessions already hold. */
  attach(store: SessionStore): { dispose(): void } {
    for (const session of store.sessions.slice(-this.maxProcesses)) this.replay(session);
    const onMessage = (session: Session, msg: AgentMessage) => this.ingest(session, msg);
    const onEnd = (session: Session) => this.end(session);
    store.on('message', onMessage);
    store.on('end', onEnd);
    return {
      dispose: () => {
        store.off('message', onMessage);
        store.off('end', onEnd);
      },
    };
  }

  ingest(session: FeedSession, msg: AgentMessage): void {
    const feed = this.feedOf(session);
    if (msg.type === 'hello') {
      feed.info = infoOf(session);
      this.processesChanged = true;
    }
    feed.ingest(msg);
  }

  /** The process ended: its open seconds are emitted and it stops drawing empty ones. */
  end(session: FeedSession): void {
    const feed = this.feeds.get(session.pid);
    if (!feed || this.sessions.get(session.pid) !== session) return;
    feed.flush();
    feed.info = infoOf(session);
    this.processesChanged = true;
  }

  get processes(): ProcessInfo[] {
    return [...this.feeds.values()].map((f) => f.info);
  }

  /** Closes past seconds of live processes (so a quiet app draws zeros). */
  tick(now: number): void {
    for (const feed of this.feeds.values()) {
      if (feed.info.ended) continue;
      feed.tick(now);
    }
  }

  /**
   * What changed since the last call (after `tick(now)`), or null when nothing did: closed
   * points, and the open seconds that changed as provisional points.
   */
  takeUpdate(now: number): AppendMessage | null {
    this.tick(now);
    const series: ProcessSeries[] = [];
    let queries: Record<number, QueryRow[]> | undefined;
    for (const [pid, feed] of this.feeds) {
      const p = feed.pending;
      const provisional = feed.takeProvisional();
      if (provisional || SERIES.some((name) => p[name].length > 0)) series.push({ pid, ...p, ...(provisional && { provisional }) });
      feed.pending = emptySeries();
      if (feed.queries.dirty) {
        feed.queries.dirty = false;
        (queries ??= {})[pid] = feed.queries.top(this.topQueries);
      }
    }
    const processes = this.processesChanged ? this.processes : undefined;
    this.processesChanged = false;
    if (series.length === 0 && !queries && !processes) return null;
    return { type: 'append', series, ...(processes && { processes }), ...(queries && { queries }) };
  }

  /**
   * Everything kept, each series cut to the window, with the open seconds as provisional
   * points: what a (re)loaded webview starts from.
   */
  snapshot(): { windowMs: number; processes: ProcessInfo[]; series: ProcessSeries[]; queries: Record<number, QueryRow[]> } {
    const series: ProcessSeries[] = [];
    const queries: Record<number, QueryRow[]> = {};
    for (const [pid, feed] of this.feeds) {
      const provisional = feed.provisional();
      series.push({ pid, ...feed.window(this.windowMs), ...(Object.keys(provisional).length > 0 && { provisional }) });
      queries[pid] = feed.queries.top(this.topQueries);
    }
    return { windowMs: this.windowMs, processes: this.processes, series, queries };
  }

  private feedOf(session: FeedSession): ProcessFeed {
    let feed = this.feeds.get(session.pid);
    // A new process that got the pid of an ended one starts afresh.
    if (feed && this.sessions.get(session.pid) === session) return feed;
    this.feeds.delete(session.pid);
    feed = new ProcessFeed(infoOf(session), this.maxPoints, this.graceMs);
    this.feeds.set(session.pid, feed);
    this.sessions.set(session.pid, session);
    this.processesChanged = true;
    this.trimProcesses();
    return feed;
  }

  private trimProcesses(): void {
    while (this.feeds.size > this.maxProcesses) {
      const oldest = [...this.feeds.values()].find((f) => f.info.ended) ?? this.feeds.values().next().value!;
      this.feeds.delete(oldest.info.pid);
      this.sessions.delete(oldest.info.pid);
    }
  }

  /** Feeds what a session already holds, in time order: charts opened late still show history. */
  private replay(session: Session): void {
    const since = session.lastT - this.windowMs;
    const byTime = (m: { t: number }) => m.t;
    const messages: AgentMessage[] = [
      ...session.memory.since(since, byTime),
      ...session.gc.since(since, byTime),
      ...session.eventLoop.since(since, byTime),
      ...session.http.since(since, byTime),
      ...session.queries.toArray(),
    ].sort((a, b) => a.t - b.t);
    const feed = this.feedOf(session);
    for (const msg of messages) feed.ingest(msg);
    if (session.ended) this.end(session);
  }
}
