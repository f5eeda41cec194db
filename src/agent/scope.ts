import type { AsyncLocalStorage } from 'node:async_hooks';
import type { QueryScope } from '../protocol/messages';
import { contextStorage, type ContextFrame } from './async-context';

/** Set on a request's scope once a query ran in it: the request is then sent on its own. */
const kQueried = Symbol('perfLens.queried');

type RequestScope = QueryScope & { [kQueried]?: true };

/** Did a query run in this request's scope? (A symbol key: the scope's JSON stays `{id, name}`.) */
export function wasQueried(scope: QueryScope): boolean {
  return (scope as RequestScope)[kQueried] === true;
}

/** A burst closes when no query (no currentScope() call) arrived for this long. */
export const BURST_QUIET_MS = 100;

/**
 * Scopes group queries for the N+1 detector. Inside an HTTP request the scope is the request
 * (entered by the http probe); outside one, work is grouped into *bursts*: a burst starts at
 * the first currentScope() call outside a request and ends after BURST_QUIET_MS without a
 * call, so a cron tick or a script's loop of queries becomes one scope. Bursts need no timer:
 * the quiet gap is checked on the next call.
 */
export class Scopes {
  /**
   * Created only once a database driver is patched: AsyncLocalStorage costs every async
   * operation of the app something (async_hooks on Node 20/22), which an app without queries
   * should not pay.
   */
  private storage: AsyncLocalStorage<ContextFrame> | null = null;
  private counter = 0;
  private burst: QueryScope | null = null;
  private burstLast = 0;
  private readonly prefix: string;

  constructor(
    pid: number,
    private readonly clock: () => number,
  ) {
    this.prefix = `${pid}:`;
  }

  get active(): boolean {
    return this.storage !== null;
  }

  /** Starts tracking request scopes (idempotent). */
  activate(): void {
    this.storage ??= contextStorage();
  }

  /**
   * A new request scope, entered for the rest of the current async context; null while
   * inactive (no driver, so no query can need it).
   */
  enterRequest(name: string): QueryScope | null {
    if (this.storage === null) return null;
    const scope: QueryScope = { id: this.prefix + ++this.counter, name };
    this.storage.enterWith({ scope, site: null });
    return scope;
  }

  /** The scope a query starting now belongs to (the query recorder's call: it marks the request queried). */
  current(): QueryScope | null {
    const scope = this.storage?.getStore()?.scope;
    if (scope) {
      (scope as RequestScope)[kQueried] = true;
      return scope;
    }
    const t = this.clock();
    if (this.burst === null || t - this.burstLast > BURST_QUIET_MS) {
      this.burst = { id: this.prefix + ++this.counter, name: 'burst' };
    }
    this.burstLast = t;
    return this.burst;
  }
}
