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
 * Scopes that never end in a request (bursts of work outside one) must not pile up: two
 * generations, the older dropped whole when the younger fills (O(1), no per-entry eviction).
 *
 * The latest scope's run of queries is counted in two fields and goes into `young` only when
 * another scope's query comes. A request's queries mostly come together and then its `http`
 * message, so most scopes never touch a Map: no string hashed, no entry made and deleted (in a
 * 5 000 req/s recording every one of 150 000 scopes was taken while still the run, ~120 ns less
 * per request with its queries). Which generation the run belongs to is decided when it starts,
 * as if it had gone in then, so what is counted and dropped is exactly as before.
 */
export class ScopeQueryCounts {
  private young = new Map<string, Count>();
  private old = new Map<string, Count>();
  /** the scope of the run, logically in `young` (undefined: none) */
  private runScope: string | undefined = undefined;
  private runCount = 0;

  add(scope: string): void {
    if (scope === this.runScope) {
      this.runCount++;
      return;
    }
    this.settleRun();
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
    this.runScope = scope;
    this.runCount = (before?.n ?? 0) + 1;
  }

  /** The scope's count (0 when it issued none), forgotten from now on. */
  take(scope: string): number {
    if (scope === this.runScope) {
      this.runScope = undefined;
      return this.runCount;
    }
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

  /** Puts the run into `young`, where its generation already counted it. */
  private settleRun(): void {
    if (this.runScope === undefined) return;
    this.young.set(this.runScope, { n: this.runCount });
    this.runScope = undefined;
  }
}
