import { runDetectors, type DetectorOptions } from './detectors/run-detectors';
import type { Finding } from './findings/finding';
import { buildReport, type QueryAggregator } from './report/build-report';
import type { Report } from './report/report-types';
import type { Session } from './session/session';

let queryAggregator: QueryAggregator | undefined;

/** The query layer plugs in the report's per-fingerprint query table. */
export function setQueryAggregator(aggregate: QueryAggregator): void {
  queryAggregator = aggregate;
}

/** Detectors + report over a set of sessions: the one path `run`, `analyze` and the extension share. */
export function analyzeSessions(sessions: readonly Session[], detectorOptions: DetectorOptions = {}): Report {
  return reportOf(sessions, runDetectors(sessions, detectorOptions));
}

/** The report of `sessions` with findings already found (the live analyzer's). */
export function reportOf(sessions: readonly Session[], findings: Finding[]): Report {
  return buildReport({ sessions, findings, aggregateQueries: queryAggregator });
}
