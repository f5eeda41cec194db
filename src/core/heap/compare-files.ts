import { diffSnapshots, type DiffOptions, type LeakGroup } from './diff';
import { parseSnapshotFile, type ParseOptions } from './parse-file';

export interface SnapshotFiles {
  baseline: string;
  target: string;
  final: string;
}

export type SnapshotStep = keyof SnapshotFiles | 'diff';

/**
 * The three-snapshot comparison of one process's files: objects allocated between baseline
 * and target that are still alive in final. Only the ids of the first two are kept, so at most
 * one whole graph is in memory. Parsing runs in the heap worker when its script is there;
 * `onStep` tells a progress display what comes next. Throws HeapSnapshotError for a bad file.
 */
export async function compareSnapshotFiles(
  files: SnapshotFiles,
  opts: ParseOptions & DiffOptions & { onStep?: (step: SnapshotStep) => void } = {},
): Promise<LeakGroup[]> {
  opts.onStep?.('baseline');
  const baseline = (await parseSnapshotFile(files.baseline, opts)).sortedIds();
  opts.onStep?.('target');
  const target = (await parseSnapshotFile(files.target, opts)).sortedIds();
  opts.onStep?.('final');
  const final = await parseSnapshotFile(files.final, opts);
  opts.onStep?.('diff');
  return diffSnapshots(baseline, target, final, opts);
}
