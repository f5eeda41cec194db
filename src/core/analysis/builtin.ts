import type { SessionDetector } from '../detectors/detector';
import { queryDetector } from '../detectors/query-detectors';
import { detectLeaks } from '../leaks/detect-leaks';
import { initFingerprints } from '../queries';

/** The detectors every analysis runs unless it is given its own list. */
export const BUILTIN_DETECTORS: readonly SessionDetector[] = Object.freeze([queryDetector, detectLeaks]);

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
