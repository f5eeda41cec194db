import type { AgentMessage, EventLoopMessage, GcKind, MemoryMessage, PoolStat, QueryMessage } from '../../protocol';
import { cacheOf } from '../queries/cache-reads';
import { EVENT_LOOP_DELAY_BOUNDS, GC_PAUSE_BOUNDS, POOL_WAIT_BOUNDS } from './buckets';
import { Histogram } from './histogram';
import { HttpSeries } from './http-series';
import type { MetricLabels } from './metrics-snapshot';
import { QuerySeries, type QuerySeriesLimits } from './query-series';
import { ScopeQueryCounts } from './scope-query-counts';

/** Pools per process with gauges of their own (an app has one or two). */
export const MAX_POOLS = 20;

export interface ProcessMetricsLimits {
  maxRoutes: number;
  queries: QuerySeriesLimits;
}

const GC_KINDS: readonly GcKind[] = ['minor', 'major', 'incremental', 'weakcb'];

/**
 * Everything one process exports, accumulated from its messages: cumulative counters and
 * histograms since the export started, latest values for gauges. O(1) or O(buckets) per
 * message; its size is bounded by the route, fingerprint and pool caps.
 */
export class ProcessMetrics {
  /** pid, service, instance: on every point of this process */
  readonly labels: MetricLabels;
  nodeVersion = '';
  clusterWorker = false;
  /** epoch ms the process started, when its hello said */
  startedAt: number | null = null;
  endedAt: number | null = null;

  memory: MemoryMessage | null = null;
  readonly gc = new Map<GcKind, Histogram>();
  loop: EventLoopMessage | null = null;
  readonly loopP99 = new Histogram(EVENT_LOOP_DELAY_BOUNDS);
  readonly http: HttpSeries;
  readonly queries: QuerySeries;
  readonly poolWait = new Map<string, Histogram>();
  pools: PoolStat[] = [];
  cacheHits = 0;
  cacheMisses = 0;
  dropped = 0;
  private readonly scopes = new ScopeQueryCounts();
  /** label sets beyond pid/service/instance, made once: the renderer caches their text by object */
  private readonly labelSets = new Map<string, MetricLabels>();

  constructor(
    readonly pid: number,
    identity: { service: string; instance: string },
    limits: ProcessMetricsLimits,
  ) {
    this.labels = { pid: String(pid), service: identity.service, instance: identity.instance };
    this.http = new HttpSeries(limits.maxRoutes);
    this.queries = new QuerySeries(limits.queries);
  }

  get ended(): boolean {
    return this.endedAt !== null;
  }

  /**
   * This process's labels plus `extra`, the same object for the same `key` every time (keys are
   * bounded: GC kinds, loop stats, pools, dbs, finding kinds × severities; capped all the same).
   */
  labelsWith(key: string, extra: Readonly<Record<string, string>>): MetricLabels {
    let l = this.labelSets.get(key);
    if (!l) {
      if (this.labelSets.size >= 512) this.labelSets.clear();
      this.labelSets.set(key, (l = { ...this.labels, ...extra }));
    }
    return l;
  }

  ingest(msg: AgentMessage): void {
    // Queries and requests come thousands a second; the rest go through a call of their own,
    // which the JIT leaves out of line, so this stays small and a first `pools` or `bye` does not
    // throw its optimised code away (the replay of a recording deoptimised it once per run).
    if (msg.type === 'query') this.addQuery(msg);
    // Requests folded into a summary (scope null) issued no query, as the report counts them.
    else if (msg.type === 'http') this.http.observe(msg, msg.scope === null ? 0 : this.scopes.take(msg.scope));
    else this.ingestOther(msg);
  }

  private ingestOther(msg: AgentMessage): void {
    switch (msg.type) {
      case 'hello':
        this.nodeVersion = msg.nodeVersion;
        this.clusterWorker = msg.isClusterWorker === true;
        this.startedAt = msg.startedAt ?? msg.t;
        break;
      case 'memory':
        this.memory = msg;
        break;
      case 'gc':
        if (GC_KINDS.includes(msg.kind)) {
          let h = this.gc.get(msg.kind);
          if (!h) this.gc.set(msg.kind, (h = new Histogram(GC_PAUSE_BOUNDS)));
          h.observe(msg.durationMs / 1000);
        }
        break;
      case 'eventLoop':
        this.loop = msg;
        this.loopP99.observe(msg.p99Ms / 1000);
        break;
      case 'pools':
        this.pools = msg.pools.length > MAX_POOLS ? msg.pools.slice(0, MAX_POOLS) : msg.pools;
        break;
      case 'dropped':
        this.dropped += msg.count;
        break;
      case 'bye':
        this.end(msg.t);
        break;
    }
  }

  end(t: number): void {
    if (this.endedAt === null) this.endedAt = t;
  }

  private addQuery(q: QueryMessage): void {
    if (q.scope) this.scopes.add(q.scope.id);
    this.queries.observeSql(q.db, q.text, Math.max(0, q.durationMs) / 1000);
    const read = cacheOf(q);
    if (read) {
      this.cacheHits += read[0];
      this.cacheMisses += read[1];
    }
    if (q.poolWaitMs !== undefined) {
      let h = this.poolWait.get(q.db);
      if (!h) this.poolWait.set(q.db, (h = new Histogram(POOL_WAIT_BOUNDS)));
      h.observe(Math.max(0, q.poolWaitMs) / 1000);
    }
  }
}
