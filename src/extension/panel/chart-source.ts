import type { Finding } from '../../core/findings/finding';
import type { SessionStore } from '../../core/session/session-store';

export interface Disposable {
  dispose(): void;
}

/**
 * What the charts panel needs of the profiling service: its sessions and its findings.
 * `store` is read again on every update, so a service that makes a new store per run works;
 * `findings` may be the list itself or a function returning it.
 */
export interface ChartSource {
  readonly store: SessionStore | null | undefined;
  readonly findings: readonly Finding[] | (() => readonly Finding[]);
  onDidChangeFindings(listener: () => void): Disposable;
}

export function currentFindings(source: ChartSource): readonly Finding[] {
  const f = source.findings;
  return (typeof f === 'function' ? f.call(source) : f) ?? [];
}
