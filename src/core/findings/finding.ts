import { createHash } from 'node:crypto';
import type { SourceLocation } from '../../protocol';

export type FindingKind =
  | 'n-plus-one'
  | 'slow-query'
  | 'duplicate-query'
  | 'leak'
  | 'heap-growth'
  | 'gc-pressure'
  | 'event-loop-block'
  | 'heap-limit'
  | 'pool-wait'
  | 'held-connection';

/** Every kind, as `--fail-on` and the settings name them. */
export const FINDING_KINDS: readonly FindingKind[] = [
  'n-plus-one', 'slow-query', 'duplicate-query', 'pool-wait', 'held-connection', 'leak', 'heap-growth', 'gc-pressure', 'event-loop-block', 'heap-limit',
];

export type Severity = 'error' | 'warning' | 'info';

export interface RelatedInformation {
  message: string;
  location: SourceLocation | null;
}

/** One thing a developer should act on; the shape of `findings[]` in docs/report.md. */
export interface Finding {
  id: string;
  kind: FindingKind;
  severity: Severity;
  message: string;
  pid: number;
  location: SourceLocation | null;
  related: RelatedInformation[];
  data: Record<string, unknown>;
}

/** Stable across runs: the same problem at the same place keeps its id (for baselines and diffs). */
export function findingId(kind: string, location: SourceLocation | null, fingerprint = ''): string {
  const where = location ? `${location.file}:${location.line}:${location.column}` : '-';
  return createHash('sha1').update(`${kind}\0${where}\0${fingerprint}`).digest('hex').slice(0, 16);
}
