/**
 * Key figures of a run, added to the JSON report as the optional top-level `figures` field
 * (docs/report.md allows new optional fields). Computed from the sessions alone, so `run` and
 * `analyze` of its recording give the same figures.
 */
import type { Report } from './types';

/** Figures of a set of requests: the whole run, or one route (`GET /posts/:id`). */
export interface RequestFigures {
  requests: number;
  /** responses with status ≥ 500 */
  errors: number;
  /** errors / requests; 0 without requests */
  errorRate: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** requests per second over the span from the first to the last request; null for < 2 */
  throughputPerS: number | null;
  /** queries issued inside these requests (by request scope) */
  queries: number;
  /** queries / requests; null without requests */
  queriesPerRequest: number | null;
  /** cache reads (Redis GET, MGET keys, HGET, …) inside these requests; overall: every cache read */
  cacheReads: number;
  /** of them, reads that found a value */
  cacheHits: number;
  /** cacheHits / cacheReads; null without cache reads */
  cacheHitRate: number | null;
}

/** One key pattern's cache reads over the run (`get user:?:profile`). */
export interface CachePatternFigures {
  pattern: string;
  db: string;
  reads: number;
  hits: number;
  hitRate: number;
}

/** Figures of the whole run: the request figures over every route, and the runtime ones. */
export interface RunFigures extends RequestFigures {
  /** every query, inside a request or not */
  queriesTotal: number;
  /**
   * Theil–Sen slope of heapUsed over time, summed over processes (bytes per minute); null when
   * no process has 60 s and 5 memory samples behind it (never extrapolated from seconds)
   */
  heapSlopeBytesPerMin: number | null;
  /** the longest span of memory samples of any process (ms): the window behind the heap slope */
  heapWindowMs: number;
  /** highest RSS of any process (bytes); null without memory samples */
  peakRssBytes: number | null;
  /** time in GC over process lifetime, all processes (0..1) */
  gcShare: number;
  /** highest per-interval event-loop p99 of any process (ms); null without samples */
  eventLoopP99Ms: number | null;
}

/** Bounded samples behind a set of figures, kept so `compare` can judge noise. */
export interface RequestSamples {
  /** one entry per request (evenly thinned to a bound, in time order) */
  latencyMs: number[];
  /** queries of the same requests, index for index */
  queries: number[];
  /** ms between consecutive requests (thinned): the spread behind the throughput */
  gapsMs: number[];
}

export interface RunSamples extends RequestSamples {
  /** RSS of each memory sample (thinned) */
  rssBytes: number[];
  /** GC milliseconds per second of process life, one entry per second (thinned) */
  gcMsPerSecond: number[];
  /** per-interval event-loop p99 (thinned) */
  eventLoopP99Ms: number[];
  /** 95 % Sen confidence interval of the heap slope (bytes per minute) */
  heapSlopeCi: [number, number] | null;
}

/** Requests, errors and queries per time bucket, for the charts. */
export interface Timeline {
  /** epoch ms of the first bucket */
  t0: number;
  bucketMs: number;
  requests: number[];
  errors: number[];
  queries: number[];
  /** p95 latency of the requests that finished in each bucket (0 when none) */
  p95Ms: number[];
  /** cache reads that found a value / found none, per bucket */
  cacheHits: number[];
  cacheMisses: number[];
}

export interface Figures {
  overall: RunFigures;
  routes: Record<string, RequestFigures>;
  samples: { overall: RunSamples; routes: Record<string, RequestSamples> };
  timeline: Timeline;
  /** cache reads per key pattern, most read first (at most MAX_CACHE_PATTERNS) */
  cache: CachePatternFigures[];
}

/** The report with its optional key figures. */
export type ReportWithFigures = Report & { figures?: Figures };

/** Names of the figures a budget or a comparison can speak of, with how to print them. */
export const FIGURE_INFO = {
  requests: { label: 'requests', unit: '', perRoute: true },
  errors: { label: 'errors', unit: '', perRoute: true },
  errorRate: { label: 'error rate', unit: '%', perRoute: true },
  p50Ms: { label: 'p50 latency', unit: 'ms', perRoute: true },
  p95Ms: { label: 'p95 latency', unit: 'ms', perRoute: true },
  p99Ms: { label: 'p99 latency', unit: 'ms', perRoute: true },
  throughputPerS: { label: 'throughput', unit: '/s', perRoute: true },
  queries: { label: 'queries', unit: '', perRoute: true },
  queriesPerRequest: { label: 'queries per request', unit: '', perRoute: true },
  cacheHitRate: { label: 'cache hit rate', unit: '%', perRoute: true },
  queriesTotal: { label: 'queries (all)', unit: '', perRoute: false },
  heapSlopeBytesPerMin: { label: 'heap slope', unit: 'B/min', perRoute: false },
  peakRssBytes: { label: 'peak RSS', unit: 'B', perRoute: false },
  gcShare: { label: 'GC share of time', unit: '%', perRoute: false },
  eventLoopP99Ms: { label: 'event-loop p99', unit: 'ms', perRoute: false },
} as const;

export type FigureName = keyof typeof FIGURE_INFO;
export const FIGURE_NAMES = Object.keys(FIGURE_INFO) as FigureName[];
