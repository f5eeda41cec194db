import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FleetMetrics } from '../core/export/fleet-metrics';
import type { MetricsServer } from '../core/export/metrics-http';
import type { ProfilingSession } from './profiling-service';

/** What the export reads of the user's settings, each time it syncs. */
export interface MetricsExportSettings {
  /** `perfLens.metricsPort`: null when off (0 or unset) */
  port(): number | null;
  /** the first workspace folder, whose package.json names the service */
  workspaceFolder(): string | undefined;
}

export interface MetricsExportReporter {
  error(message: string): void;
}

/** `perfLens.metricsPort` as a port, or null: 0, unset or out of range is off. */
export function metricsPortFrom(get: (key: string) => unknown): number | null {
  const v = get('metricsPort');
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 65535 ? v : null;
}

/** The `service` label in the editor: the workspace's package.json name, else its folder name. */
export function serviceOf(folder: string | undefined): string {
  if (!folder) return 'unknown_service:node';
  try {
    const name = JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8')).name;
    if (typeof name === 'string' && name) return name;
  } catch {
    /* no package.json, or not JSON */
  }
  return path.basename(folder);
}

interface Serving {
  port: number;
  server: MetricsServer;
  metrics: FleetMetrics;
}

/**
 * `perfLens.metricsPort`: while the window's profiling session runs, /metrics on 127.0.0.1
 * serves what `perf-lens run --metrics-port` serves, for the processes reporting to this window
 * and the live findings. Started and stopped with the session, restarted when the port setting
 * changes; the core (FleetMetrics, the HTTP server) is loaded only then.
 */
export class MetricsExport {
  private serving: Serving | null = null;
  /** syncs run one after another: a start must finish before a stop or a restart looks */
  private queue: Promise<void> = Promise.resolve();
  private failedPort: number | null = null;
  private readonly subscriptions: { dispose(): void }[];

  constructor(
    private readonly session: ProfilingSession,
    private readonly settings: MetricsExportSettings,
    private readonly reporter: MetricsExportReporter,
  ) {
    this.subscriptions = [
      session.onDidChange(() => this.sync()),
      session.onDidChangeFindings((change) => this.serving?.metrics.setFindings(change.findings)),
    ];
    this.sync();
  }

  /** The /metrics URL while serving. */
  get url(): string | null {
    return this.serving?.server.url ?? null;
  }

  /** Brings the endpoint in line with the session and the setting; resolves when it is. */
  sync(): Promise<void> {
    this.queue = this.queue.then(() => this.apply()).catch((err: unknown) => this.reporter.error(err instanceof Error ? err.message : String(err)));
    return this.queue;
  }

  dispose(): Promise<void> {
    for (const s of this.subscriptions) s.dispose();
    this.queue = this.queue.then(() => this.stop());
    return this.queue;
  }

  private async apply(): Promise<void> {
    const port = this.session.running ? this.settings.port() : null;
    if (this.serving && this.serving.port === port) return;
    await this.stop();
    if (port === null) {
      this.failedPort = null;
      return;
    }
    // a port that failed is not retried on every process that connects, only when the setting changes
    if (port === this.failedPort) return;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { FleetMetrics } = require('../core/export/fleet-metrics') as typeof import('../core/export/fleet-metrics');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { startMetricsServer } = require('../core/export/metrics-http') as typeof import('../core/export/metrics-http');
    const metrics = new FleetMetrics(this.session.store, { service: serviceOf(this.settings.workspaceFolder()), instance: os.hostname(), attributes: {} });
    metrics.setFindings(this.session.findings);
    try {
      const server = await startMetricsServer({ port, snapshot: () => metrics.snapshot() });
      this.serving = { port, server, metrics };
      this.failedPort = null;
    } catch (err) {
      metrics.dispose();
      this.failedPort = port;
      throw new Error(`${(err as Error).message.replace(/\.$/, '')}: change perfLens.metricsPort.`);
    }
  }

  private async stop(): Promise<void> {
    const s = this.serving;
    if (!s) return;
    this.serving = null;
    s.metrics.dispose();
    await s.server.close();
  }
}
