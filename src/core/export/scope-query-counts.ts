/** Scopes followed at once before the oldest generation is let go. */
const GENERATION = 10_000;

interface Count {
  n: number;
}

/**
 * Queries per open scope, until the request that owns the scope ends: the live form of how the
 * report counts queries per request (a request's queries are those whose scope is its own;
 * see requestsOf in report/figures.ts). The agent sends a request's `http` message when the
 * response finishes, after the queries it awaited, so `take` at that moment gives the count.
 *
 * A scope's count is a small object bumped in place: a query costs one Map read (its first, a
 * write too). Scopes that never end in a request (bursts of work outside one) must not pile
 * up: two generations, the older dropped whole when the younger fills (O(1), no per-entry
 * eviction).
 */
export class ScopeQueryCounts {
  private young = new Map<string, Count>();
  private old = new Map<string, Count>();

  add(scope: string): void {
    const c = this.young.get(scope);
    if (c !== undefined) {
      c.n++;
      return;
    }
    const before = this.old.get(scope);
    if (before !== undefined) this.old.delete(scope);
    if (this.young.size >= GENERATION) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(scope, { n: (before?.n ?? 0) + 1 });
  }

  /** The scope's count (0 when it issued none), forgotten from now on. */
  take(scope: string): number {
    const c = this.young.get(scope);
    if (c !== undefined) {
      this.young.delete(scope);
      return c.n;
    }
    const m = this.old.get(scope);
    if (m === undefined) return 0;
    this.old.delete(scope);
    return m.n;
  }
}
