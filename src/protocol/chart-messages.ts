/**
 * What the charts panel host sends to its webview, and what the webview asks back. Types only
 * (no imports beyond the protocol): the webview bundle imports them too. Series are arrays of
 * tuples, oldest first, to keep each postMessage small.
 */

/** [t, heapUsed, heapTotal, rss, external] — one memory sample (bytes, t epoch ms) */
export type MemoryPoint = [number, number, number, number, number];
/** [t, durationMs, heapUsedAfter] — a major GC, drawn as a mark on the heap chart */
export type GcMark = [number, number, number | null];
/** [secondStart, minorMs, majorMs, count] — GC pause time within one second */
export type GcPausePoint = [number, number, number, number];
/** [t, p50Ms, p99Ms, maxMs] — event-loop delay over one sampling interval */
export type EventLoopPoint = [number, number, number, number];
/** [secondStart, requests, p95Ms, errors] — HTTP requests completed within one second */
export type HttpPoint = [number, number, number, number];
/** [secondStart, hits, misses] — cache reads (Redis GET, MGET keys, …) answered within one second */
export type CachePoint = [number, number, number];
/** [t, inUse, size, waiting, max] — the process's database pools summed at a moment (max 0: unknown) */
export type PoolPoint = [number, number, number, number, number];

export interface SeriesPoints {
  memory: MemoryPoint[];
  gcMarks: GcMark[];
  gcPauses: GcPausePoint[];
  eventLoop: EventLoopPoint[];
  http: HttpPoint[];
  cache: CachePoint[];
  pool: PoolPoint[];
}

export type SeriesName = keyof SeriesPoints;

/** The per-second series: their latest second is sent while still open, as a provisional point. */
export interface ProvisionalPoints {
  gcPauses?: GcPausePoint;
  http?: HttpPoint;
  cache?: CachePoint;
}

export type ProvisionalSeriesName = keyof ProvisionalPoints;

export interface ProcessSeries extends SeriesPoints {
  pid: number;
  /**
   * The still-open second of a per-second series, so an event shows before its second closes.
   * Not part of the series arrays above (those hold closed seconds only): it stands in for the
   * previous provisional point of its series, and gives way to the next point of that series
   * (a newer value of the same second, or the final points once it closes). A series never has
   * two points for one second. Absent when the open second did not change since the last message.
   */
  provisional?: ProvisionalPoints;
}

export interface ProcessInfo {
  pid: number;
  command: string;
  /** epoch ms */
  startedAt: number;
  ended: boolean;
}

/** Running totals of one query shape in one process, most total time first. */
export interface QueryRow {
  fingerprint: string;
  db: string;
  count: number;
  totalMs: number;
  meanMs: number;
  /** over the most recent executions of this shape (a bounded sample) */
  p95Ms: number;
  maxMs: number;
}

export interface FindingLocation {
  file: string;
  line: number;
  column: number;
}

/** A finding as the panel lists it. */
export interface FindingRow {
  id: string;
  kind: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  pid: number;
  location: FindingLocation | null;
}

/** Host → webview: everything the host keeps; replaces what the webview has. */
export interface ResetMessage {
  type: 'reset';
  windowMs: number;
  processes: ProcessInfo[];
  series: ProcessSeries[];
  queries: Record<number, QueryRow[]>;
  findings: FindingRow[];
}

/**
 * Host → webview: points since the last update, appended in order; a series' `provisional`
 * point replaces the one sent before (see ProcessSeries).
 */
export interface AppendMessage {
  type: 'append';
  series: ProcessSeries[];
  /** present when a process started or ended */
  processes?: ProcessInfo[];
  /** present for processes whose query totals changed */
  queries?: Record<number, QueryRow[]>;
}

export interface FindingsMessage {
  type: 'findings';
  findings: FindingRow[];
}

export type HostToWebview = ResetMessage | AppendMessage | FindingsMessage;

/** Webview → host */
export type WebviewToHost = { type: 'ready' } | { type: 'open'; file: string; line: number; column?: number };
