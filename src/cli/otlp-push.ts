import type { Finding } from '../core/findings/finding';
import { TOOL_VERSION } from '../core/report/build-report';
import type { MetricsSnapshot } from '../core/export/metrics-snapshot';
import { CodeFunctionNames } from '../core/export/otlp-code-function';
import type { OtlpResource } from '../core/export/otlp-common';
import { OtlpConfigError, resolveOtlpConfig } from '../core/export/otlp-config';
import { OtlpExporter } from '../core/export/otlp-exporter';
import { readSourceFromDisk } from '../core/util/source-text';
import { UsageError } from './usage-error';

export interface OtlpPushOptions {
  /** --otlp or OTEL_EXPORTER_OTLP_ENDPOINT: the base URL; /v1/metrics and /v1/logs are appended */
  baseUrl?: string;
  /** read for OTEL_EXPORTER_OTLP_{METRICS,LOGS}_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS, timeouts */
  env: NodeJS.ProcessEnv;
  intervalMs: number;
  snapshot: () => MetricsSnapshot;
  log: (msg: string) => void;
}

/**
 * `perf-lens run --otlp`: the core's OtlpExporter with what the command line adds — a bad
 * endpoint is bad usage (exit 2), the settings it ignored and where it pushes are said once
 * at start, `code.function` is read from the files on disk, and close() ends with a summary.
 */
export class OtlpPusher {
  private readonly exporter: OtlpExporter;
  private readonly notes: string[];

  constructor(readonly options: OtlpPushOptions) {
    let config;
    try {
      config = resolveOtlpConfig(options.baseUrl, options.env);
    } catch (err) {
      if (err instanceof OtlpConfigError) throw new UsageError(err.message);
      throw err;
    }
    this.notes = config.notes;
    const functions = new CodeFunctionNames(readSourceFromDisk);
    this.exporter = new OtlpExporter({
      config,
      intervalMs: options.intervalMs,
      snapshot: options.snapshot,
      scope: { name: 'perf-lens', version: TOOL_VERSION },
      log: options.log,
      codeFunction: (location) => functions.at(location),
    });
  }

  start(): void {
    for (const note of this.notes) this.options.log(`OTLP: ${note}`);
    this.options.log(this.exporter.describe());
    this.exporter.start();
  }

  /** identity: the run's FleetIdentity (service, instance, attributes), the logs' resource */
  addFindings(findings: readonly Finding[], identity: OtlpResource): void {
    this.exporter.addFindings(findings, identity);
  }

  /** the final push (at most 5 s) and the summary line */
  async close(): Promise<void> {
    await this.exporter.close();
  }
}
