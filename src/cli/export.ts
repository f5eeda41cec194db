import { initDetectors, LiveAnalyzer, type SessionStore } from '../core';
import { FleetMetrics } from '../core/export/fleet-metrics';
import type { RunOptions } from './args';
import { exportIdentity } from './export-identity';
import { startMetricsEndpoint, type MetricsEndpoint } from './metrics-endpoint';
import { OtlpPusher } from './otlp-push';

export interface ExportHandle {
  /** the /metrics URL when serving */
  metricsUrl?: string;
  /** last analysis, final OTLP push (bounded wait), endpoint closed */
  stop(): Promise<void>;
  /** what the live analysis behind the findings cost so far (bench/export-cost.js reads it) */
  analysisStats(): { runs: number; totalMs: number; lastMs: number; cpuMs: number };
}

const log = (msg: string) => process.stderr.write(`perf-lens: ${msg}\n`);

/** Findings of an exporting run are re-analysed at most this often (ms)… */
export const ANALYSIS_MIN_INTERVAL_MS = 10_000;
/**
 * …and at least this many times the last analysis took. The detectors read every request and
 * query the run keeps (up to 200 000 of each per process: 0.2–0.3 s of CPU per analysis on this
 * VM, bench/analysis-cost.js), so in a busy container they would dominate the export; ×200
 * keeps them at ≤ 0.5 % of a core's CPU
 * (the live analyzer's own back-off allows 20 %: fine in an editor, not beside a service).
 */
export const ANALYSIS_BACKOFF = 200;

/**
 * Starts what `--metrics-port` and `--otlp` ask for over the run's store: one FleetMetrics
 * (cumulative series), one live analysis for the findings, and the two exporters reading them.
 * Resolves null when nothing is exported.
 */
export async function startExport(store: SessionStore, opts: RunOptions, cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<ExportHandle | null> {
  const otlpUrl = opts.otlp ?? env.OTEL_EXPORTER_OTLP_ENDPOINT ?? (env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT || env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT ? '' : undefined);
  if (opts.metricsPort === undefined && otlpUrl === undefined) return null;
  await initDetectors();
  const identity = exportIdentity(opts.service, cwd, env);
  const metrics = new FleetMetrics(store, identity);
  // the port first: a port in use stops the run before anything else starts
  let endpoint: MetricsEndpoint | null = null;
  if (opts.metricsPort !== undefined) {
    try {
      endpoint = await startMetricsEndpoint({ port: opts.metricsPort, host: opts.metricsHost ?? '127.0.0.1', snapshot: () => metrics.snapshot() });
    } catch (err) {
      metrics.dispose();
      throw err;
    }
    log(`metrics at ${endpoint.url}`);
  }
  const stats = { runs: 0, totalMs: 0, lastMs: 0, cpuMs: 0 };
  // the back-off on the costlier of the last run's time and CPU: V8's helper threads collect
  // its garbage beside it, so its CPU can exceed its time, and the bound is on CPU (120 s runs
  // at 5 000 req/s measured 0.53–0.70 % of a core when it waited on time alone)
  let lastCost = 0;
  const analyzer = new LiveAnalyzer(store, { intervalMs: () => Math.max(ANALYSIS_MIN_INTERVAL_MS, ANALYSIS_BACKOFF * lastCost), detectorOptions: () => opts.detectors });
  analyzer.on('error', () => undefined);
  // the analyzer schedules itself through analyzeNow: timing it here gives the back-off its cost
  const analyzeNow = analyzer.analyzeNow.bind(analyzer);
  analyzer.analyzeNow = () => {
    const started = performance.now();
    const cpu = process.cpuUsage();
    try {
      return analyzeNow();
    } finally {
      const used = process.cpuUsage(cpu);
      const cpuMs = (used.user + used.system) / 1000;
      stats.cpuMs += cpuMs;
      stats.lastMs = performance.now() - started;
      lastCost = Math.max(stats.lastMs, cpuMs);
      stats.totalMs += stats.lastMs;
      stats.runs++;
    }
  };
  const otlp =
    otlpUrl === undefined
      ? null
      : new OtlpPusher({ baseUrl: otlpUrl || undefined, env, intervalMs: (opts.otlpIntervalS ?? 10) * 1000, snapshot: () => metrics.snapshot(), log });
  analyzer.on('change', (change) => {
    metrics.setFindings(analyzer.findings);
    if (change.added.length) otlp?.addFindings(change.added, identity);
  });
  otlp?.start();

  return {
    metricsUrl: endpoint?.url,
    analysisStats: () => ({ ...stats }),
    async stop() {
      // the final push carries the last findings; a scrape cannot come after the endpoint closes
      if (otlp) {
        try {
          analyzer.analyzeNow();
        } catch {
          /* a detector bug must not cost the final push */
        }
      }
      analyzer.dispose();
      await otlp?.close();
      await endpoint?.close();
      metrics.dispose();
    },
  };
}
