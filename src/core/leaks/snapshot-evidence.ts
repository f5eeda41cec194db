import type { Finding } from '../findings/finding';
import type { LeakGroup } from '../heap/diff';
import { formatBytes } from '../util/units';

/** One process's snapshot diff, as `perf-lens run --snapshots` made it. */
export interface ProcessSnapshotDiff {
  pid: number;
  groups: LeakGroup[];
}

/**
 * Backs a leak held by a library structure (`data.holder` = `MemoryStore.sessions`) with what
 * the heap snapshots saw: the leaked group whose retainer path runs through that class and
 * property. The sampling profile says where the memory is made; the snapshot says what keeps
 * it. Adds a related line and `data.snapshotGroup`; findings without a match are left alone.
 */
export function addSnapshotEvidence(findings: Finding[], diffs: readonly ProcessSnapshotDiff[]): void {
  for (const f of findings) {
    if (f.kind !== 'leak' || typeof f.data.holder !== 'string') continue;
    const m = /^([A-Za-z_$][\w$]*)\.([A-Za-z_$][\w$]*)$/.exec(f.data.holder);
    if (!m) continue;
    const through = new RegExp(`(^|→ )${escape(m[1])} '[^']*' → [^→]*'${escape(m[2])}'( |$)`);
    const groups = diffs.find((d) => d.pid === f.pid)?.groups ?? [];
    const group = groups.find((g) => through.test(g.retainerPathText));
    if (!group) continue;
    f.related.push({
      message: `heap snapshots: ${group.count} ${group.name} object${group.count === 1 ? '' : 's'} (${formatBytes(group.retainedSize)} retained) leaked through ${group.retainerPathText}`,
      location: null,
    });
    f.data.snapshotGroup = { name: group.name, count: group.count, retainedSize: group.retainedSize, retainerPath: group.retainerPathText };
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
