import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatLeakGroups, type LeakGroup, type SessionServer, type SessionStore } from '../core';
import { compareSnapshotFiles } from '../core/heap/compare-files';

export type SnapshotLabel = 'baseline' | 'target' | 'final';

/** What `--snapshots` found in one process: its three files and the leaked object groups. */
export interface SnapshotDiffResult {
  pid: number;
  files: Record<SnapshotLabel, string>;
  groups: LeakGroup[];
}

const LABELS: SnapshotLabel[] = ['baseline', 'target', 'final'];

/**
 * `perf-lens run --rounds N --snapshots`: heap snapshots after the last three rounds (baseline,
 * target, final), written by each agent straight to a .heapsnapshot file, then diffed: objects
 * allocated between baseline and target and still alive in the final snapshot.
 */
export class RoundSnapshots {
  private readonly taken = new Map<number, Partial<Record<SnapshotLabel, string>>>();
  readonly errors: string[] = [];

  constructor(readonly dir: string) {}

  /** The label of the snapshot after `round` of `rounds`, if one is due. */
  static labelAfter(round: number, rounds: number): SnapshotLabel | null {
    const i = round - (rounds - 2);
    return i >= 0 && i < 3 ? LABELS[i] : null;
  }

  async take(server: SessionServer, store: SessionStore, label: SnapshotLabel): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true });
    await Promise.all(
      store.liveSessions.map(async (s) => {
        const file = path.join(this.dir, `${s.pid}-${label}.heapsnapshot`);
        try {
          // Writing a snapshot blocks the app and takes about 1 s per 10 MB of heap.
          await server.sendCommand(s.pid, 'heapSnapshot', { path: file }, 10 * 60_000);
          this.taken.set(s.pid, { ...this.taken.get(s.pid), [label]: file });
        } catch (err) {
          this.errors.push(`The ${label} heap snapshot of process ${s.pid} failed: ${(err as Error).message}`);
        }
      }),
    );
  }

  /** Diffs every process that has all three snapshots; parse failures become errors, not crashes. */
  async diff(): Promise<SnapshotDiffResult[]> {
    const out: SnapshotDiffResult[] = [];
    for (const [pid, files] of this.taken) {
      if (!files.baseline || !files.target || !files.final) continue;
      try {
        const all = files as Record<SnapshotLabel, string>;
        out.push({ pid, files: all, groups: await compareSnapshotFiles(all) });
      } catch (err) {
        this.errors.push(`The heap snapshots of process ${pid} could not be compared: ${(err as Error).message}`);
      }
    }
    return out;
  }
}

/** The text printed after the summary. */
export function formatSnapshotDiffs(results: SnapshotDiffResult[], cwd: string): string {
  return results
    .map((r) => {
      const where = path.relative(cwd, path.dirname(r.files.final)) || '.';
      const head = `Leaked objects in pid ${r.pid} (allocated between the baseline and target snapshots, alive in the final one; files in ${where}):`;
      return r.groups.length ? `${head}\n${formatLeakGroups(r.groups, { top: 10 })}` : `${head}\n  none.\n`;
    })
    .join('');
}
