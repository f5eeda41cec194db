import type { AgentMessage } from '../../protocol';
import type { Finding } from '../findings/finding';
import type { Session } from '../session/session';
import type { SessionStore } from '../session/session-store';
import { DEFAULT_MAX_ROUTES } from './http-series';
import type { MetricsSnapshot } from './metrics-snapshot';
import { ProcessMetrics } from './process-metrics';
import { DEFAULT_QUERY_SERIES_LIMITS } from './query-series';
import { fleetFamilies } from './fleet-families';

export interface FleetIdentity {
  service: string;
  instance: string;
  attributes: Record<string, string>;
}

export interface FleetMetricsOptions {
  /** query fingerprints per process with a series of their own, the heaviest by total time (default 20) */
  topFingerprints?: number;
  /** own fingerprint series per process, ever (default 2 × topFingerprints): the top set only grows */
  maxFingerprintSeries?: number;
  /** method+route pairs per process (default 100); further routes are counted as route `other` */
  maxRoutes?: number;
  /** processes exported at once (default 64); past it the oldest ended one goes, else the oldest */
  maxProcesses?: number;
  /** how long an ended process's series stay, so a last scrape sees its final counts (default 5 min) */
  endedRetentionMs?: number;
}

interface Tracked {
  session: Session;
  metrics: ProcessMetrics;
}

/**
 * The run's metrics for export, per process, accumulated from the store's messages as they
 * arrive (summaries come already expanded): what /metrics serves and the OTLP pusher sends.
 * Counters and histograms count from when this was made. Pure: no timers, no I/O; the time of
 * a snapshot is passed in. Bounded: processes, routes, fingerprints and pools all have caps
 * (docs/metrics.md).
 */
export class FleetMetrics {
  private readonly processes = new Map<number, Tracked>();
  /** findings per pid: "kind\0severity" → how many */
  private findingCounts = new Map<number, Map<string, number>>();
  private readonly startT: number;
  private readonly topN: number;
  private readonly maxSeries: number;
  private readonly maxRoutes: number;
  private readonly maxProcesses: number;
  private readonly retentionMs: number;

  /**
   * The latest message's session and its metrics: messages come in batches from one process, so
   * most skip the lookup in `processes` (~8 ns a message). Cleared whenever an entry leaves it.
   */
  private lastSession: Session | null = null;
  private lastMetrics: ProcessMetrics | null = null;

  private readonly onMessage = (session: Session, msg: AgentMessage) => {
    if (session === this.lastSession) this.lastMetrics!.ingest(msg);
    else this.trackedOf(session).metrics.ingest(msg);
  };
  private readonly onEnd = (session: Session) => {
    const t = this.processes.get(session.pid);
    if (t && t.session === session) t.metrics.end(session.endedAt ?? session.lastT);
  };

  constructor(
    readonly store: SessionStore,
    readonly identity: FleetIdentity,
    options: FleetMetricsOptions = {},
    now = Date.now(),
  ) {
    this.startT = now;
    this.topN = options.topFingerprints ?? DEFAULT_QUERY_SERIES_LIMITS.topN;
    this.maxSeries = options.maxFingerprintSeries ?? 2 * this.topN;
    this.maxRoutes = options.maxRoutes ?? DEFAULT_MAX_ROUTES;
    this.maxProcesses = options.maxProcesses ?? 64;
    this.retentionMs = options.endedRetentionMs ?? 5 * 60_000;
    // Processes already connected are exported from now on; their past is not replayed.
    for (const s of store.liveSessions) if (s.hello) this.trackedOf(s).metrics.ingest(s.hello);
    store.on('message', this.onMessage);
    store.on('end', this.onEnd);
  }

  /** The live analysis's findings, replacing the previous set (exported as counts per kind and severity). */
  setFindings(findings: readonly Finding[]): void {
    const counts = new Map<number, Map<string, number>>();
    for (const f of findings) {
      let byKind = counts.get(f.pid);
      if (!byKind) counts.set(f.pid, (byKind = new Map()));
      const key = `${f.kind}\0${f.severity}`;
      byKind.set(key, (byKind.get(key) ?? 0) + 1);
    }
    this.findingCounts = counts;
  }

  /** Every series as of `now`; processes ended longer than the retention ago are let go first. */
  snapshot(now = Date.now()): MetricsSnapshot {
    for (const [pid, t] of this.processes) {
      const endedAt = t.metrics.endedAt;
      if (endedAt !== null && now - endedAt > this.retentionMs) this.forget(pid);
    }
    const processes = [...this.processes.values()].map((t) => t.metrics);
    return {
      t: now,
      startT: this.startT,
      resource: { service: this.identity.service, instance: this.identity.instance, attributes: this.identity.attributes },
      families: fleetFamilies(processes, this.findingCounts),
    };
  }

  /** Processes currently exported. */
  get processCount(): number {
    return this.processes.size;
  }

  dispose(): void {
    this.store.off('message', this.onMessage);
    this.store.off('end', this.onEnd);
  }

  private trackedOf(session: Session): Tracked {
    let known = this.processes.get(session.pid);
    if (!known || known.session !== session) {
      // a new process (or one that got the pid of an ended one) starts afresh
      this.forget(session.pid);
      known = this.track(session);
    }
    this.lastSession = session;
    this.lastMetrics = known.metrics;
    return known;
  }

  private track(session: Session): Tracked {
    const tracked: Tracked = {
      session,
      metrics: new ProcessMetrics(session.pid, this.identity, {
        maxRoutes: this.maxRoutes,
        queries: { topN: this.topN, maxSeries: Math.max(this.topN, this.maxSeries), maxCandidates: DEFAULT_QUERY_SERIES_LIMITS.maxCandidates },
      }),
    };
    this.processes.set(session.pid, tracked);
    this.trimProcesses();
    return tracked;
  }

  private trimProcesses(): void {
    while (this.processes.size > this.maxProcesses) {
      let victim: number | undefined;
      for (const [pid, t] of this.processes) {
        if (t.metrics.ended) {
          victim = pid;
          break;
        }
      }
      // Map order is insertion order: the first entry is the oldest
      this.forget(victim ?? this.processes.keys().next().value!);
    }
  }

  private forget(pid: number): void {
    this.processes.delete(pid);
    this.lastSession = null;
    this.lastMetrics = null;
  }
}
