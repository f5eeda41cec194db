/**
 * `perfLens.*` settings → what the core and the agent take. Pure: `get` reads one setting
 * (vscode's WorkspaceConfiguration.get in the extension, a plain object in tests).
 */

export type SettingReader = (key: string) => unknown;

/**
 * Detector thresholds: every `perfLens.detectors.<option>` whose value is a finite number or a
 * boolean, passed as is (the core knows each option's name; package.json declares them with
 * the core's defaults, and a test keeps the two in step).
 */
export function detectorOptionsFrom(detectors: unknown): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {};
  if (!detectors || typeof detectors !== 'object') return out;
  for (const [k, v] of Object.entries(detectors as Record<string, unknown>)) {
    if (typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v) && v >= 0)) out[k] = v;
  }
  return out;
}

/** PERF_LENS_OPTIONS for processes started from now on: the agent's sampling settings. */
export function agentOptionsFrom(get: SettingReader): string {
  const num = (key: string): number | undefined => {
    const v = get(key);
    return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
  };
  const options: Record<string, unknown> = {};
  const sample = num('agent.sampleIntervalMs');
  if (sample !== undefined) options.sampleIntervalMs = sample;
  const heapSampling: Record<string, number> = {};
  const intervalBytes = num('agent.heapSamplingIntervalBytes');
  const periodMs = num('agent.heapSamplingPeriodMs');
  if (intervalBytes !== undefined) heapSampling.intervalBytes = intervalBytes;
  if (periodMs !== undefined) heapSampling.periodMs = periodMs;
  // In the editor the sampling heap profiler starts when the heap first grows (or on Watch for
  // Leaks Now), so leaks land on their lines live (it costs the app CPU while it runs:
  // perfLens.agent.heapSampling turns it off).
  if (get('agent.heapSampling') === false) options.heapSampling = false;
  else options.heapSampling = Object.keys(heapSampling).length ? heapSampling : true;
  return JSON.stringify(options);
}

/** The live re-analysis interval, kept between 250 ms and 30 s. */
export function analysisIntervalFrom(get: SettingReader): number {
  const v = get('liveAnalysisIntervalMs');
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(30_000, Math.max(250, v)) : 1000;
}

/**
 * What the editor keeps of each process (ring buffers): fewer requests and queries than the
 * CLI, which writes a report of the whole run; the editor shows the live picture, and its
 * memory under heavy load is the user's editor memory. Settings raise or lower them.
 */
export const EDITOR_SESSION_LIMITS = Object.freeze({ requestsPerProcess: 20_000, queriesPerProcess: 20_000 });

/** The editor's ring-buffer caps from `perfLens.limits.*` (whole numbers ≥ 1 000, else the default). */
export function sessionLimitsFrom(get: SettingReader): { http: number; queries: number } {
  const cap = (key: keyof typeof EDITOR_SESSION_LIMITS): number => {
    const v = get(`limits.${key}`);
    return typeof v === 'number' && Number.isFinite(v) && v >= 1000 ? Math.floor(v) : EDITOR_SESSION_LIMITS[key];
  };
  return { http: cap('requestsPerProcess'), queries: cap('queriesPerProcess') };
}

export function booleanSetting(get: SettingReader, key: string, fallback: boolean): boolean {
  const v = get(key);
  return typeof v === 'boolean' ? v : fallback;
}
