import type { Session } from '../../core/session/session';

/**
 * The sessions behind a ProfilingSession, when it exposes its store (ProfilingService does);
 * undefined otherwise. Key figures and budgets are computed from them.
 */
export function sessionsOf(session: unknown): readonly Session[] | undefined {
  const store = (session as { store?: { sessions?: readonly Session[] } } | null)?.store;
  return Array.isArray(store?.sessions) ? store!.sessions : undefined;
}
