export * from './leak-options';
export { detectLeaks } from './detect-leaks';
export { detectHeapTrend, postGcPoints } from './heap-trend';
export { detectSiteLeaks, heapSiteHistoryOf } from './site-leaks';
export { findRetainingLine, type RetainingLine, type RetainingStatement } from './retaining-line';
export { retainerOf, type SiteRetainer } from './site-retainer';
export { addSnapshotEvidence, type ProcessSnapshotDiff } from './snapshot-evidence';
