import type { DetectorOptions, SessionDetector } from '../detectors/detector';
import type { Finding } from '../findings/finding';
import { aggregateQueries } from '../queries';
import { buildReport } from '../report/build-report';
import type { Report } from '../report/types';
import type { Session } from '../session/session';
import { BUILTIN_DETECTORS } from './builtin';
import { runDetectors } from './run-detectors';

/** Detectors + report over a set of sessions: the one path `run`, `analyze` and the extension share. */
export function analyzeSessions(
  sessions: readonly Session[],
  detectorOptions: DetectorOptions = {},
  detectors: readonly SessionDetector[] = BUILTIN_DETECTORS,
): Report {
  return reportOf(sessions, runDetectors(sessions, detectorOptions, detectors));
}

/** The report of `sessions` with findings already found (the live analyzer's). */
export function reportOf(sessions: readonly Session[], findings: Finding[]): Report {
  return buildReport({ sessions, findings, aggregateQueries: (s) => aggregateQueries(s.queries.toArray()) });
}
