import { registerLeakDetectors } from '../leaks';
import { aggregateQueries, initFingerprints } from '../queries';
import { setQueryAggregator } from '../analysis';
import { detectQueryFindings, type QueryDetectorOptions } from './query-detectors';
import { registerDetector, type DetectorOptions, type SessionDetector } from './run-detectors';

/** Only the options a detector knows are passed on: flags and settings share one flat map. */
function pick<T extends object>(options: DetectorOptions, keys: readonly (keyof T)[]): Partial<T> {
  const out: Partial<T> = {};
  for (const k of keys) if (options[k as string] !== undefined) (out as Record<string, unknown>)[k as string] = options[k as string];
  return out;
}

const QUERY_OPTION_KEYS: (keyof QueryDetectorOptions)[] = [
  'nPlusOneMinCount', 'nPlusOneErrorMs', 'nPlusOneErrorCount', 'slowQueryMs', 'slowQueryErrorMs',
  'duplicateMinCount', 'duplicateWarningCount', 'burstGapMs', 'ignoreComments',
];

export const queryDetector: SessionDetector = (session, options) =>
  detectQueryFindings(session.pid, session.queries.toArray(), pick<QueryDetectorOptions>(options, QUERY_OPTION_KEYS));

let ready: Promise<void> | null = null;

/**
 * Registers the built-in detectors and loads what they need (libpg-query's WASM parser).
 * Call once before analysing; later calls return the same promise.
 */
export function initDetectors(): Promise<void> {
  if (!ready) {
    registerDetector(queryDetector);
    registerLeakDetectors();
    setQueryAggregator((s) => aggregateQueries(s.queries.toArray()));
    ready = initFingerprints().then(
      () => undefined,
      () => undefined,
    );
  }
  return ready;
}
