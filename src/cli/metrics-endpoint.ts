import { MetricsListenError, startMetricsServer } from '../core/export/metrics-http';
import type { MetricsSnapshot } from '../core/export/metrics-snapshot';
import { StartError } from './usage-error';

export interface MetricsEndpoint {
  url: string;
  close(): Promise<void>;
}

/**
 * `--metrics-port`: /metrics served for the whole run. A port that cannot be had stops the run
 * before the app starts (StartError, exit 3) with the reason in one sentence.
 */
export async function startMetricsEndpoint(opts: { port: number; host: string; snapshot: () => MetricsSnapshot }): Promise<MetricsEndpoint> {
  try {
    return await startMetricsServer(opts);
  } catch (err) {
    if (err instanceof MetricsListenError) {
      const hint = err.code === 'EADDRINUSE' ? '; choose another with --metrics-port' : err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' ? '; check --metrics-host' : '';
      throw new StartError(err.message.replace(/\.$/, `${hint}.`));
    }
    throw err;
  }
}
