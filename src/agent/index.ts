/**
 * Entry of dist/agent.js, preloaded into the app with `--require` (NODE_OPTIONS). Without
 * PERF_LENS_URL it does nothing at all: no module loaded, no handler, no timer. In worker
 * threads it does nothing either, and a second load in one process is a no-op.
 * For attach, the injector may call `start({ url, token, options, via: 'attach' })`.
 */
import type { AgentOptions } from './context';

const INSTALLED = Symbol.for('perf-lens.agent');

export interface StartConfig {
  url: string;
  token?: string;
  /** PERF_LENS_OPTIONS-style JSON, or options already parsed */
  options?: string | Partial<AgentOptions>;
  via?: 'launch' | 'attach';
}

/** Starts the agent once per process; returns false when it did not (already running, worker thread, error). */
export function start(config: StartConfig): boolean {
  const g = globalThis as Record<symbol, unknown>;
  try {
    if (g[INSTALLED]) return false;
    if (!config || typeof config.url !== 'string' || config.url === '') return false;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { isMainThread } = require('node:worker_threads') as typeof import('node:worker_threads');
    if (!isMainThread) return false;
    g[INSTALLED] = true;
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { parseOptions } = require('./options') as typeof import('./options');
    const { startAgent } = require('./agent') as typeof import('./agent');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const options =
      typeof config.options === 'object' && config.options !== null
        ? parseOptions(JSON.stringify(config.options))
        : parseOptions(config.options);
    startAgent({ url: config.url, token: config.token ?? '', options, via: config.via ?? 'launch' });
    return true;
  } catch {
    return false; // the app runs on as if the agent were not there
  }
}

if (process.env.PERF_LENS_URL) {
  start({
    url: process.env.PERF_LENS_URL,
    token: process.env.PERF_LENS_TOKEN,
    options: process.env.PERF_LENS_OPTIONS,
    via: 'launch',
  });
}
