import {
  EVENT_LOOP_DELAY_BOUNDS,
  GC_PAUSE_BOUNDS,
  HTTP_DURATION_BOUNDS,
  POOL_WAIT_BOUNDS,
  QUERIES_PER_REQUEST_BOUNDS,
  QUERY_DURATION_BOUNDS,
} from './buckets';
import type { CounterFamily, GaugeFamily, GaugePoint, HistogramFamily, HistogramPoint, MetricFamily } from './metrics-snapshot';
import type { ProcessMetrics } from './process-metrics';

/**
 * The exported series, in the order /metrics lists them. Names, labels and buckets are a
 * public interface (dashboards and alerts are written against them): docs/metrics.md lists
 * each, and only additions are allowed.
 */

const gauge = (name: string, help: string, unit: string, points: GaugePoint[]): GaugeFamily => ({ type: 'gauge', name, help, unit, points });
const counter = (name: string, help: string, unit: string, points: GaugePoint[]): CounterFamily => ({ type: 'counter', name, help, unit, points });
const histogram = (name: string, help: string, unit: string, bounds: readonly number[], points: HistogramPoint[]): HistogramFamily => ({ type: 'histogram', name, help, unit, bounds, points });

/** One gauge point per process that has a value. */
function perProcess(procs: readonly ProcessMetrics[], value: (p: ProcessMetrics) => number | null | undefined): GaugePoint[] {
  const out: GaugePoint[] = [];
  for (const p of procs) {
    const v = value(p);
    if (v !== null && v !== undefined && Number.isFinite(v)) out.push({ labels: p.labels, value: v });
  }
  return out;
}

function pointsOf(procs: readonly ProcessMetrics[], add: (p: ProcessMetrics, out: HistogramPoint[]) => void): HistogramPoint[] {
  const out: HistogramPoint[] = [];
  for (const p of procs) add(p, out);
  return out;
}

export function fleetFamilies(procs: readonly ProcessMetrics[], findings: ReadonlyMap<number, ReadonlyMap<string, number>>): MetricFamily[] {
  const families: MetricFamily[] = [
    gauge('perf_lens_process_up', 'Whether the process is connected to Perf Lens (1) or has ended (0); an ended process is kept a few minutes.', '1', perProcess(procs, (p) => (p.ended ? 0 : 1))),
    gauge('perf_lens_process_start_time_seconds', 'When the process started, in seconds since the Unix epoch.', 's', perProcess(procs, (p) => (p.startedAt === null ? null : p.startedAt / 1000))),
    gauge(
      'perf_lens_process_info',
      "Always 1: the process's Node.js version and whether it is a cluster worker, as labels.",
      '1',
      procs
        .filter((p) => p.nodeVersion)
        .map((p) => ({ labels: p.labelsWith(`info\0${p.nodeVersion}\0${p.clusterWorker}`, { node_version: p.nodeVersion, cluster_worker: String(p.clusterWorker) }), value: 1 })),
    ),
    gauge('perf_lens_heap_used_bytes', 'V8 heap in use, at the last sample.', 'By', perProcess(procs, (p) => p.memory?.heapUsed)),
    gauge('perf_lens_heap_total_bytes', 'V8 heap reserved, at the last sample.', 'By', perProcess(procs, (p) => p.memory?.heapTotal)),
    gauge('perf_lens_rss_bytes', 'Resident set size of the process, at the last sample.', 'By', perProcess(procs, (p) => p.memory?.rss)),
    gauge('perf_lens_external_bytes', 'Memory of C++ objects bound to JavaScript (Buffers included), at the last sample.', 'By', perProcess(procs, (p) => p.memory?.external)),
    histogram(
      'perf_lens_gc_pause_seconds',
      'Garbage collection pauses, by kind (minor = scavenge, major = mark-compact, incremental marking, weak callbacks).',
      's',
      GC_PAUSE_BOUNDS,
      pointsOf(procs, (p, out) => {
        for (const [kind, h] of p.gc) out.push(h.point(p.labelsWith(`gc\0${kind}`, { kind })));
      }),
    ),
    gauge(
      'perf_lens_event_loop_delay_seconds',
      'Event-loop delay over the last sample window (1 s by default): its p50, p99 and max.',
      's',
      loopDelayPoints(procs),
    ),
    histogram(
      'perf_lens_event_loop_delay_p99_seconds',
      'The p99 event-loop delay of each sample window (1 s by default): one observation per window, so a bucket counts windows, not ticks.',
      's',
      EVENT_LOOP_DELAY_BOUNDS,
      pointsOf(procs, (p, out) => {
        if (p.loopP99.count > 0) out.push(p.loopP99.point(p.labels));
      }),
    ),
    gauge('perf_lens_event_loop_utilization', 'Share of the last sample window the event loop was busy (0–1).', '1', perProcess(procs, (p) => p.loop?.utilization)),
    histogram(
      'perf_lens_http_request_duration_seconds',
      'HTTP requests served, by method, templated route and status class (routes past the cap are counted as route "other").',
      's',
      HTTP_DURATION_BOUNDS,
      pointsOf(procs, (p, out) => p.http.durationPoints(p.labels, out)),
    ),
    histogram(
      'perf_lens_http_queries_per_request',
      'Database and cache queries each HTTP request issued, by method and route.',
      '{query}',
      QUERIES_PER_REQUEST_BOUNDS,
      pointsOf(procs, (p, out) => p.http.queriesPoints(p.labels, out)),
    ),
    histogram(
      'perf_lens_query_duration_seconds',
      'Query durations by database and fingerprint: the heaviest fingerprints by total time have their own series, the rest are fingerprint "other".',
      's',
      QUERY_DURATION_BOUNDS,
      pointsOf(procs, (p, out) => out.push(...p.queries.points(p.labels))),
    ),
    histogram(
      'perf_lens_pool_wait_seconds',
      'Time queries waited for a free connection of their pool (pg-pool, mysql2, mariadb), by database.',
      's',
      POOL_WAIT_BOUNDS,
      pointsOf(procs, (p, out) => {
        for (const [db, h] of p.poolWait) out.push(h.point(p.labelsWith(`db\0${db}`, { db })));
      }),
    ),
    ...poolGauges(procs),
    counter(
      'perf_lens_cache_reads',
      'Cache reads (Redis GET, MGET keys, HGET, …) by result: hit (a value found) or miss.',
      '{read}',
      procs.flatMap((p) =>
        p.cacheHits + p.cacheMisses > 0
          ? [
              { labels: p.labelsWith('cache\0hit', { result: 'hit' }), value: p.cacheHits },
              { labels: p.labelsWith('cache\0miss', { result: 'miss' }), value: p.cacheMisses },
            ]
          : [],
      ),
    ),
    gauge('perf_lens_findings', 'Findings of the live analysis (N+1, slow queries, leaks, …) by kind and severity.', '{finding}', findingPoints(procs, findings)),
    counter('perf_lens_agent_dropped_messages', 'Messages the agent could not deliver (its queue was full) or the server refused.', '{message}', perProcess(procs, (p) => p.dropped)),
  ];
  return families.filter((f) => f.points.length > 0);
}

function loopDelayPoints(procs: readonly ProcessMetrics[]): GaugePoint[] {
  const out: GaugePoint[] = [];
  for (const p of procs) {
    const l = p.loop;
    if (!l) continue;
    out.push({ labels: p.labelsWith('loop\0p50', { stat: 'p50' }), value: l.p50Ms / 1000 });
    out.push({ labels: p.labelsWith('loop\0p99', { stat: 'p99' }), value: l.p99Ms / 1000 });
    out.push({ labels: p.labelsWith('loop\0max', { stat: 'max' }), value: l.maxMs / 1000 });
  }
  return out;
}

function poolGauges(procs: readonly ProcessMetrics[]): GaugeFamily[] {
  const points = (value: (s: ProcessMetrics['pools'][number]) => number | null): GaugePoint[] => {
    const out: GaugePoint[] = [];
    for (const p of procs) {
      for (const s of p.pools) {
        const v = value(s);
        if (v !== null && Number.isFinite(v)) out.push({ labels: p.labelsWith(`pool\0${s.id}\0${s.driver}`, { pool: String(s.id), driver: s.driver }), value: v });
      }
    }
    return out;
  };
  return [
    gauge('perf_lens_pool_connections', 'Connections open in each database pool, at its last change.', '{connection}', points((s) => s.size)),
    gauge('perf_lens_pool_connections_in_use', 'Connections checked out of each database pool, at its last change.', '{connection}', points((s) => s.inUse)),
    gauge('perf_lens_pool_connections_max', 'Size limit of each database pool, when it says.', '{connection}', points((s) => s.max)),
    gauge('perf_lens_pool_waiting', 'Acquisitions waiting for a connection of each database pool, at its last change.', '{request}', points((s) => s.waiting)),
  ];
}

function findingPoints(procs: readonly ProcessMetrics[], findings: ReadonlyMap<number, ReadonlyMap<string, number>>): GaugePoint[] {
  const out: GaugePoint[] = [];
  for (const p of procs) {
    const counts = findings.get(p.pid);
    if (!counts) continue;
    for (const [key, n] of counts) {
      const [kind, severity] = key.split('\0');
      out.push({ labels: p.labelsWith(`finding\0${key}`, { kind, severity }), value: n });
    }
  }
  return out;
}
