import type { AgentOptions } from './context';

/** Defaults used for every field PERF_LENS_OPTIONS leaves out (or when it is not valid JSON). */
export function defaultOptions(): AgentOptions {
  return {
    sampleIntervalMs: 1000,
    flushIntervalMs: 50,
    maxQueue: 10000,
    summaryIntervalMs: 100,
    probes: { memory: true, gc: true, eventLoop: true, cpu: true, http: true, queries: true },
  };
}

function positive(value: unknown, fallback: number, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.floor(value)));
}

/**
 * Reads PERF_LENS_OPTIONS. Anything malformed falls back to the default silently: the agent
 * lives in someone else's process and must not print or throw because of its own settings.
 */
export function parseOptions(raw: string | undefined): AgentOptions {
  const options = defaultOptions();
  if (!raw) return options;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return options;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return options;
  const p = parsed as Record<string, unknown>;
  options.sampleIntervalMs = positive(p.sampleIntervalMs, options.sampleIntervalMs, 50, 60_000);
  // The protocol promises a flush at least every 100 ms.
  options.flushIntervalMs = positive(p.flushIntervalMs, options.flushIntervalMs, 1, 100);
  options.maxQueue = positive(p.maxQueue, options.maxQueue, 1, 1_000_000);
  // never under 100 ms: the live charts promise an event on the chart within 250 ms
  options.summaryIntervalMs = positive(p.summaryIntervalMs, options.summaryIntervalMs, 100, 60_000);
  const probes = p.probes;
  if (probes !== null && typeof probes === 'object' && !Array.isArray(probes)) {
    const given = probes as Record<string, unknown>;
    for (const name of Object.keys(options.probes) as (keyof AgentOptions['probes'])[]) {
      if (typeof given[name] === 'boolean') options.probes[name] = given[name] as boolean;
    }
  }
  return options;
}
