import type { Finding } from '../findings/finding';

/** What changed between two analyses; `findings` is the whole new set. */
export interface FindingsChange {
  findings: readonly Finding[];
  added: Finding[];
  /** findings that went away (ignored, cleared, their process ended, thresholds raised) */
  removed: Finding[];
  /** same id, different severity, message, numbers or related places */
  changed: Finding[];
}

/**
 * A finding's identity while live: its id (kind, place, fingerprint) in its process. Two
 * cluster workers with the same N+1 are two findings.
 */
export function findingKey(f: Pick<Finding, 'id' | 'pid'>): string {
  return `${f.pid}:${f.id}`;
}

/** The same key is the same finding; anything else differing is a change. */
export function diffFindings(before: readonly Finding[], after: readonly Finding[]): FindingsChange {
  const old = new Map(before.map((f) => [findingKey(f), f]));
  const added: Finding[] = [];
  const changed: Finding[] = [];
  for (const f of after) {
    const key = findingKey(f);
    const prev = old.get(key);
    if (!prev) added.push(f);
    else if (signature(prev) !== signature(f)) changed.push(f);
    old.delete(key);
  }
  return { findings: after, added, removed: [...old.values()], changed };
}

function signature(f: Finding): string {
  return JSON.stringify([f.severity, f.message, f.location, f.related, f.data]);
}

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

/** Most severe first, then by place: the order of runDetectors, across processes. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      (a.location?.file ?? '').localeCompare(b.location?.file ?? '') ||
      (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
      a.id.localeCompare(b.id) ||
      a.pid - b.pid,
  );
}
