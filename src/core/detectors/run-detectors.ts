import type { Finding } from '../findings/finding';
import type { Session } from '../session/session';

/** Options of every detector, flat so CLI flags and settings map onto them one to one. */
export interface DetectorOptions {
  [key: string]: number | boolean | undefined;
}

/** A detector looks at one session and returns what it finds. Pure. */
export type SessionDetector = (session: Session, options: DetectorOptions) => Finding[];

const detectors: SessionDetector[] = [];

/** Detectors register themselves here (query, leak, runtime health). */
export function registerDetector(detector: SessionDetector): void {
  if (!detectors.includes(detector)) detectors.push(detector);
}

/** Runs every detector over every session; findings sorted by severity, then place. */
export function runDetectors(sessions: readonly Session[], options: DetectorOptions = {}): Finding[] {
  const out: Finding[] = [];
  for (const s of sessions) for (const d of detectors) out.push(...d(s, options));
  const order = { error: 0, warning: 1, info: 2 };
  return out.sort(
    (a, b) =>
      order[a.severity] - order[b.severity] ||
      (a.location?.file ?? '').localeCompare(b.location?.file ?? '') ||
      (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
      a.id.localeCompare(b.id),
  );
}
