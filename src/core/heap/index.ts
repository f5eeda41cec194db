// Heap snapshots: streaming parser, graph, dominators, retainer paths and the three-snapshot diff.
export { HeapSnapshotError } from './errors';
export type { HeapGraphData } from './graph-data';
export { HeapGraph } from './heap-graph';
export { SnapshotReader } from './snapshot-reader';
export { parseSnapshotFile, defaultWorkerScript, type ParseOptions } from './parse-file';
export { readSnapshotInThread } from './read-snapshot';
export { constructorStats, type ConstructorStat } from './constructor-stats';
export { computeDominators, type DominatorTree } from './dominators';
export { shortestPaths, retainerPath, type RetainerStep, type ShortestPaths } from './retainers';
export { diffSnapshots, type DiffOptions, type IdSet, type LeakGroup, type SourceLocation as HeapSourceLocation } from './diff';
export { formatLeakGroups, formatBytes } from './format';
export { formatRetainerPath } from './retainers';
export { compareSnapshotFiles, type SnapshotFiles, type SnapshotStep } from './compare-files';
