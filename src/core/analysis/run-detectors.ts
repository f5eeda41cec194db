import type { DetectorOptions, SessionDetector } from '../detectors/detector';
import type { Finding } from '../findings/finding';
import type { Session } from '../session/session';
import { BUILTIN_DETECTORS } from './builtin';
import { sortFindings } from './findings-diff';

/** Runs the detectors over every session; findings sorted by severity, then place. */
export function runDetectors(
  sessions: readonly Session[],
  options: DetectorOptions = {},
  detectors: readonly SessionDetector[] = BUILTIN_DETECTORS,
): Finding[] {
  const out: Finding[] = [];
  for (const s of sessions) for (const d of detectors) out.push(...d(s, options));
  return sortFindings(out);
}
