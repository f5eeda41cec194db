import type { Finding } from '../findings/finding';
import type { MetricFamily, MetricsSnapshot } from './metrics-snapshot';
import type { OtlpResource, OtlpScope } from './otlp-common';
import type { OtlpConfig, OtlpSignal, OtlpSignalConfig } from './otlp-config';
import { encodeLogsRequest, type FindingLogRecord } from './otlp-logs';
import { encodeMetricsRequest } from './otlp-metrics';
import { backoffMs, DEFAULT_BACKOFF, type BackoffPolicy } from './otlp-retry';
import { OtlpTransport, type OtlpOutcome } from './otlp-transport';

/**
 * Pushes metrics snapshots and finding log records over OTLP/HTTP without ever holding up
 * the CLI: a timer (unref'd) starts a cycle every interval unless one is still going, so at
 * most one request is in flight. A cycle sends a fresh metrics snapshot, then the queued
 * finding records in batches.
 *  - Metrics are cumulative, so a snapshot that cannot be delivered is simply superseded by
 *    the next (each retry re-reads it); finding records wait in a bounded queue, and those
 *    that do not fit are dropped and counted.
 *  - Retryable failures (network, timeout, 429/502/503/504) are retried with backoff and
 *    jitter, and Retry-After holds every request back until then; other statuses are final
 *    (their records dropped, counted, said once).
 *  - close(): a final push of metrics and of every queued record within a deadline, then one
 *    summary line. The counters are exported too, as `perf_lens_export_*` families.
 */

export interface OtlpExporterOptions {
  config: OtlpConfig;
  intervalMs: number;
  snapshot: () => MetricsSnapshot;
  scope: OtlpScope;
  /** one sentence at a time, for the user */
  log: (msg: string) => void;
  /** the named function around a finding's line (`code.function`) */
  codeFunction?: (location: Finding['location']) => string | null;
  /** finding records held while the collector is slow or away (default 1000) */
  maxQueue?: number;
  /** finding records per logs request (default 512) */
  maxBatch?: number;
  backoff?: BackoffPolicy;
  /** how long close() may take for its final push (default 5000 ms) */
  closeTimeoutMs?: number;
}

export interface OtlpStats {
  /** HTTP requests made, retries included */
  requests: number;
  /** of which failed (network, timeout, non-2xx) */
  failed: number;
  metricsRequests: { success: number; failure: number };
  logsRequests: { success: number; failure: number };
  findingsSent: number;
  /** finding records not delivered, by why */
  findingsDropped: { queueFull: number; refused: number; unsent: number };
  /** data points or records the collector said it rejected (partial_success) */
  rejected: number;
  lastError?: string;
}

type Delivery = { result: 'sent'; rejected: number } | { result: 'refused' } | { result: 'failed' };

type Phase = 'running' | 'stopping' | 'final' | 'closed';

/** Resolves when `p` settles or at `deadline` (epoch ms), whichever comes first; never rejects. */
async function settledBy(p: Promise<unknown>, deadline: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))))]);
  clearTimeout(timer);
}

const SIGNAL_NAMES: Record<OtlpSignal, string> = { metrics: 'metrics', logs: 'findings' };

export class OtlpExporter {
  readonly stats: OtlpStats = {
    requests: 0,
    failed: 0,
    metricsRequests: { success: 0, failure: 0 },
    logsRequests: { success: 0, failure: 0 },
    findingsSent: 0,
    findingsDropped: { queueFull: 0, refused: 0, unsent: 0 },
    rejected: 0,
  };
  private readonly queue: FindingLogRecord[] = [];
  private readonly transport: OtlpTransport;
  private readonly maxQueue: number;
  private readonly maxBatch: number;
  private readonly backoff: BackoffPolicy;
  private resource: OtlpResource | null = null;
  private timer: NodeJS.Timeout | null = null;
  private cycleRunning: Promise<void> | null = null;
  private phase: Phase = 'running';
  /** no request before this time (Retry-After) */
  private holdUntil = 0;
  /** the final push's deadline, once close() started it */
  private deadline = Infinity;
  private abort = new AbortController();
  private wake: (() => void) | null = null;
  private failingSince: number | null = null;
  private readonly saidOnce = new Set<string>();

  constructor(private readonly options: OtlpExporterOptions) {
    this.transport = new OtlpTransport(`perf-lens/${options.scope.version}`);
    this.maxQueue = options.maxQueue ?? 1000;
    this.maxBatch = options.maxBatch ?? 512;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  /** Where each signal goes, for a line at start-up. */
  describe(): string {
    const { metrics, logs } = this.options.config;
    const where = (c: OtlpSignalConfig | null) => (c ? c.url.href : 'nowhere');
    return `OTLP: metrics to ${where(metrics)}, findings to ${where(logs)}, every ${this.options.intervalMs / 1000} s.`;
  }

  start(): void {
    const { metrics, logs } = this.options.config;
    if (this.timer || this.phase !== 'running' || (!metrics && !logs)) return;
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Queues a log record per finding (when logs are exported); what does not fit is counted. */
  addFindings(findings: readonly Finding[], resource: OtlpResource, now = Date.now()): void {
    if (!this.options.config.logs || this.phase === 'closed') return;
    this.resource = resource;
    for (const finding of findings) {
      if (this.queue.length >= this.maxQueue) {
        this.stats.findingsDropped.queueFull++;
        continue;
      }
      let codeFunction: string | null = null;
      try {
        codeFunction = this.options.codeFunction?.(finding.location) ?? null;
      } catch {
        /* the record goes without it */
      }
      this.queue.push({ timeMs: now, finding, codeFunction });
    }
  }

  /** finding records waiting to be sent */
  get queued(): number {
    return this.queue.length;
  }

  private tick(): void {
    if (this.cycleRunning || this.phase !== 'running') return;
    this.cycleRunning = this.cycle().finally(() => {
      this.cycleRunning = null;
    });
  }

  private async cycle(): Promise<void> {
    if (Date.now() < this.holdUntil) return;
    const { metrics, logs } = this.options.config;
    if (metrics) {
      const d = await this.deliver('metrics', metrics, () => encodeMetricsRequest(this.snapshotWithStats(), this.options.scope));
      // the collector is away or throttling: the records wait for the next cycle
      if (d.result === 'failed') return;
    }
    if (!logs || !this.resource) return;
    while (this.queue.length && !this.stopped()) {
      const batch = this.queue.slice(0, this.maxBatch);
      const resource = this.resource;
      const d = await this.deliver('logs', logs, () => encodeLogsRequest(batch, resource, this.options.scope));
      if (d.result === 'failed') return;
      this.queue.splice(0, batch.length);
      if (d.result === 'refused') this.stats.findingsDropped.refused += batch.length;
      else this.stats.findingsSent += batch.length - Math.min(batch.length, d.rejected);
    }
  }

  /** One request with its retries. Metrics re-encode a fresh snapshot on each attempt. */
  private async deliver(signal: OtlpSignal, config: OtlpSignalConfig, encode: () => Buffer): Promise<Delivery> {
    for (let attempt = 1; ; attempt++) {
      const remaining = this.deadline - Date.now();
      if (remaining <= 0) return { result: 'failed' };
      let body: Buffer;
      try {
        body = encode();
      } catch (err) {
        this.sayOnce(`encode-${signal}`, `OTLP: could not encode ${SIGNAL_NAMES[signal]} (${(err as Error).message}); they are not sent.`);
        return { result: 'refused' };
      }
      this.stats.requests++;
      const outcome = await this.transport.send(config, body, Math.min(config.timeoutMs, remaining), this.abort.signal);
      const counts = signal === 'metrics' ? this.stats.metricsRequests : this.stats.logsRequests;
      if (outcome.ok) {
        counts.success++;
        this.recovered(config);
        if (outcome.rejected > 0) {
          this.stats.rejected += outcome.rejected;
          this.sayOnce(`partial-${signal}`, `OTLP: the collector rejected ${outcome.rejected} ${signal === 'metrics' ? 'data points' : 'finding records'}${outcome.message ? ` (${outcome.message})` : ''}.`);
        }
        return { result: 'sent', rejected: outcome.rejected };
      }
      counts.failure++;
      this.stats.failed++;
      this.stats.lastError = outcome.reason;
      if (!outcome.retryable) {
        this.sayOnce(`refused-${signal}-${outcome.status}`, `OTLP: the collector at ${config.url.href} refused ${SIGNAL_NAMES[signal]} with ${outcome.reason}; such requests are not retried.`);
        return { result: 'refused' };
      }
      if (!this.stopped()) this.failing(config, outcome);
      const now = Date.now();
      if (outcome.retryAfterMs !== undefined) this.holdUntil = Math.max(this.holdUntil, now + outcome.retryAfterMs);
      if (attempt >= this.backoff.maxAttempts || this.stopped()) return { result: 'failed' };
      const wait = Math.max(backoffMs(attempt, this.backoff), this.holdUntil - now);
      // a wait past the deadline, or longer than any backoff: later cycles pick it up
      if (now + wait >= this.deadline || wait > this.backoff.maxMs) return { result: 'failed' };
      await this.sleep(wait);
      if (this.stopped()) return { result: 'failed' };
    }
  }

  /** close() began and no final push is going on: no retry, no new batch */
  private stopped(): boolean {
    return this.phase === 'stopping' || this.phase === 'closed';
  }

  private failing(config: OtlpSignalConfig, outcome: Extract<OtlpOutcome, { ok: false }>): void {
    if (this.failingSince !== null) return;
    this.failingSince = this.stats.failed;
    this.options.log(`OTLP: a push to ${config.url.href} failed (${outcome.reason}); retrying with backoff, the app is not affected.`);
  }

  private recovered(config: OtlpSignalConfig): void {
    if (this.failingSince === null) return;
    const failed = this.stats.failed - this.failingSince + 1;
    this.failingSince = null;
    this.options.log(`OTLP: ${config.url.href} accepts pushes again (after ${failed} failed request${failed === 1 ? '' : 's'}).`);
  }

  private sayOnce(key: string, sentence: string): void {
    if (this.saidOnce.has(key)) return;
    this.saidOnce.add(key);
    this.options.log(sentence);
  }

  /** a wait that close() cuts short; it holds the process open only during the final push */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      if (this.phase === 'running') timer.unref();
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  private snapshotWithStats(): MetricsSnapshot {
    const snap = this.options.snapshot();
    return { ...snap, families: [...snap.families, ...this.statsFamilies(snap)] };
  }

  /** The exporter's own counters, so a dashboard sees a lossy link (`_total` in Prometheus). */
  private statsFamilies(snap: MetricsSnapshot): MetricFamily[] {
    const base = { exporter: 'otlp', service: snap.resource.service, instance: snap.resource.instance };
    const s = this.stats;
    const requests: Array<[OtlpSignal, 'success' | 'failure', number]> = [
      ['metrics', 'success', s.metricsRequests.success],
      ['metrics', 'failure', s.metricsRequests.failure],
      ['logs', 'success', s.logsRequests.success],
      ['logs', 'failure', s.logsRequests.failure],
    ];
    const dropped: Array<[string, number]> = [
      ['queue_full', s.findingsDropped.queueFull],
      ['refused', s.findingsDropped.refused],
      ['unsent', s.findingsDropped.unsent],
    ];
    return [
      {
        type: 'counter',
        name: 'perf_lens_export_requests',
        help: 'OTLP requests this CLI made, retries included, by signal and outcome.',
        unit: '{request}',
        points: requests.map(([signal, outcome, value]) => ({ labels: { ...base, signal, outcome }, value })),
      },
      {
        type: 'counter',
        name: 'perf_lens_export_dropped',
        help: 'Finding log records not delivered over OTLP, by reason (queue full, refused by the collector, unsent at exit).',
        unit: '{record}',
        points: dropped.map(([reason, value]) => ({ labels: { ...base, signal: 'logs', reason }, value })),
      },
    ];
  }

  /**
   * Stops the timer, lets a running request finish (or cuts it at the deadline), then pushes
   * the last metrics and every queued record once more within closeTimeoutMs, and says how it
   * went in one line. Never rejects.
   */
  async close(): Promise<void> {
    if (this.phase !== 'running') return;
    const deadline = Date.now() + (this.options.closeTimeoutMs ?? 5000);
    this.phase = 'stopping';
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.wake?.();
    try {
      if (this.cycleRunning) {
        await settledBy(this.cycleRunning, deadline);
        this.abort.abort();
        await this.cycleRunning;
      }
      // a short Retry-After is waited out within the deadline; a longer one means no final push.
      // Decided before the wait, not after: a timer may fire a millisecond before Date.now()
      // says it is due, and a stepped wall clock moves it more.
      const held = this.holdUntil >= deadline;
      if (!held && this.holdUntil > Date.now()) await new Promise((resolve) => setTimeout(resolve, this.holdUntil - Date.now()));
      if (!held && Date.now() < deadline) {
        this.holdUntil = 0; // waited out: cycle() must not skip the final push
        this.phase = 'final';
        this.deadline = deadline;
        this.abort = new AbortController();
        const final = this.cycle();
        await settledBy(final, deadline);
        this.abort.abort();
        this.wake?.();
        await final;
      }
      this.phase = 'closed';
      this.stats.findingsDropped.unsent += this.queue.length;
      this.queue.length = 0;
      // the final push itself may be told to wait (the run ended before any periodic push)
      this.options.log(this.summary(held ? 'held' : this.holdUntil >= deadline ? 'turned away' : null));
    } catch (err) {
      this.phase = 'closed';
      this.options.log(`OTLP: the final push failed (${(err as Error).message}).`);
    } finally {
      this.transport.destroy();
    }
  }

  /** e.g. `OTLP: 12 requests, 3 failed (last: connect ECONNREFUSED …); findings: 5 sent, 0 dropped.` */
  summary(hold: 'held' | 'turned away' | null = null): string {
    const s = this.stats;
    const d = s.findingsDropped;
    const dropped = d.queueFull + d.refused + d.unsent;
    const why = [
      d.queueFull ? `${d.queueFull} queue full` : '',
      d.refused ? `${d.refused} refused` : '',
      d.unsent ? `${d.unsent} unsent at exit` : '',
    ].filter(Boolean);
    const failed = s.failed ? `${s.failed} failed (last: ${s.lastError})` : '0 failed';
    const findings = this.options.config.logs ? `; findings: ${s.findingsSent} sent, ${dropped} dropped${why.length ? ` (${why.join(', ')})` : ''}` : '';
    const rejected = s.rejected ? `; ${s.rejected} rejected by the collector` : '';
    const wait = `the collector asked to wait ${Math.ceil((this.holdUntil - Date.now()) / 1000)} s more`;
    const held = hold === 'held' ? `; no final push: ${wait}` : hold === 'turned away' ? `; the final push was turned away: ${wait}` : '';
    return `OTLP: ${s.requests} request${s.requests === 1 ? '' : 's'}, ${failed}${findings}${rejected}${held}.`;
  }
}
