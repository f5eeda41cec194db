import type { Finding } from '../findings/finding';

export interface MemorySample { t: number; heapUsed: number; heapTotal: number; rss: number; external: number; arrayBuffers: number }
export interface GcSample { t: number; kind: string; durationMs: number }
export interface EventLoopSample { t: number; p50Ms: number; p99Ms: number; maxMs: number; utilization: number }
export interface HttpSummary { requests: number; errors: number; p50Ms: number; p95Ms: number; p99Ms: number }
export interface QueryStat { fingerprint: string; db: string; count: number; totalMs: number; p50Ms: number; p95Ms: number; maxMs: number }
/** Cache reads (Redis GET, MGET keys, …) of one process: present only when it read a cache. */
export interface CacheSummary { reads: number; hits: number; hitRate: number }
/** One database pool of a process over the run: its limit and its busiest moments. */
export interface PoolSummary { id: number; driver: string; max: number | null; peakSize: number; peakInUse: number; peakWaiting: number; samples: number }

export interface ProcessReport {
  pid: number;
  command: string;
  nodeVersion: string;
  startedAt: string;
  endedAt: string;
  metrics: {
    memory: MemorySample[];
    gc: GcSample[];
    eventLoop: EventLoopSample[];
    http: HttpSummary;
    queries: QueryStat[];
    cache?: CacheSummary;
    pools?: PoolSummary[];
  };
  dropped: number;
}

/** The `--json` report of docs/report.md and docs/report.schema.json. */
export interface Report {
  version: 1;
  tool: { name: 'perf-lens'; version: string };
  startedAt: string;
  endedAt: string;
  processes: ProcessReport[];
  findings: Finding[];
}
