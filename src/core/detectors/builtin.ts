import { registerLeakDetectors } from '../leaks';
import { aggregateQueries, initFingerprints } from '../queries';
import { setQueryAggregator } from '../analysis';
import { detectQueryFindings, type QueryDetectorOptions } from './query-detectors';
import { scopeNamesFromHttp } from './query-scopes';
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
  detectQueryFindings(session.pid, session.queries.toArray(), {
    ...pick<QueryDetectorOptions>(options, QUERY_OPTION_KEYS),
    scopeNames: scopeNamesFromHttp(session.http.toArray()),
  });

// The built-in detectors are there as soon as the core is loaded: runDetectors works at once.
registerDetector(queryDetector);
registerLeakDetectors();
setQueryAggregator((s) => aggregateQueries(s.queries.toArray()));

let ready: Promise<void> | null = null;

/**
 * Loads what the detectors need beyond the core (libpg-query's WASM parser, for PostgreSQL
 * fingerprints). Call once before analysing; later calls return the same promise.
 */
export function initDetectors(): Promise<void> {
  if (!ready) {
    ready = initFingerprints().then(
      () => undefined,
      () => undefined,
    );
  }
  return ready;
}
