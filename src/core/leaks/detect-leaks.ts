import type { DetectorOptions, SessionDetector } from '../detectors/detector';
import { IgnoreComments } from '../findings/ignore-comments';
import type { Finding } from '../findings/finding';
import type { Session } from '../session/session';
import { detectHeapTrend } from './heap-trend';
import { leakOptions } from './leak-options';
import { detectSiteLeaks } from './site-leaks';

const LEAK_KINDS: ReadonlySet<string> = new Set(['leak', 'heap-growth', 'heap-limit']);

/** Tier 1 (heap-growth, heap-limit) and tier 2 (leak on a line) for one session. */
export const detectLeaks: SessionDetector = (session: Session, options: DetectorOptions = {}): Finding[] => {
  const o = leakOptions(options);
  const findings = [...detectHeapTrend(session, o), ...detectSiteLeaks(session, o)];
  if (options.ignoreComments === false) return findings;
  const ignore = new IgnoreComments(LEAK_KINDS);
  // a directive on the storing line or on the allocating function's line both silence a leak
  const atFunction = (f: Finding) => {
    const fnLine = f.kind === 'leak' && f.location ? f.data.functionLine : undefined;
    return typeof fnLine === 'number' && fnLine !== f.location!.line && ignore.isIgnored({ ...f, location: { ...f.location!, line: fnLine } });
  };
  return findings.filter((f) => !f.location || !(ignore.isIgnored(f) || atFunction(f)));
};
