import { AsyncLocalStorage } from 'node:async_hooks';
import type { Capture } from '../callsite';
import { captureCallsite } from '../callsite';
import { wrapMethod } from '../wrap';

/**
 * drizzle-orm's query builders are thenables: `await db.select()…` makes V8 call their
 * `then` from a microtask, and from there the query reaches the driver synchronously, so
 * no frame of the app (not even an `async` one) is on the driver's stack. The app's frame
 * exists only while it builds the query: the entries of `db` (select, insert, update,
 * delete, execute, …) and of `db.query.<table>` (findMany, findFirst) capture it and keep
 * the latest one in the async context, which the `then` microtask inherits. A driver call
 * without an application frame then uses it. Queries built together and awaited together
 * (`Promise.all([db.select()…, db.select()…])`) are all attributed to the last one built.
 */
const DB_ENTRIES = ['select', 'selectDistinct', 'selectDistinctOn', 'insert', 'update', 'delete', 'execute', '$count', 'with', 'refreshMaterializedView', 'run', 'all', 'get', 'values'];
const RELATIONAL_ENTRIES = ['findMany', 'findFirst'];
/** A site older than this was not built for the query now running. */
const MAX_AGE_MS = 30_000;

interface Built {
  capture: Capture;
  t: number;
}

type Fn = (this: unknown, ...args: unknown[]) => unknown;

export class BuilderSites {
  private readonly storage = new AsyncLocalStorage<Built>();

  constructor(private readonly clock: () => number) {}

  /** The site of the query built last in this async context, if recent. */
  latest(): Capture | null {
    const built = this.storage.getStore();
    if (built === undefined || this.clock() - built.t > MAX_AGE_MS) return null;
    return built.capture;
  }

  /** Wraps the query-building entries found on the classes `exports` holds. */
  patchExports(exports: unknown): void {
    if (exports === null || typeof exports !== 'object') return;
    for (const value of Object.values(exports as Record<string, unknown>)) {
      if (typeof value !== 'function' || !value.prototype) continue;
      const proto = value.prototype as Record<string, unknown>;
      const entries = typeof proto.findMany === 'function' ? RELATIONAL_ENTRIES : typeof proto.select === 'function' ? DB_ENTRIES : [];
      for (const name of entries) wrapMethod(proto, name, (original) => this.entry(original));
    }
  }

  private entry(original: Fn): Fn {
    const storage = this.storage;
    const clock = this.clock;
    return function build(this: unknown) {
      try {
        const capture = captureCallsite(build);
        if (capture.callsite !== null) {
          capture.orm ??= 'drizzle-orm';
          storage.enterWith({ capture, t: clock() });
        }
      } catch {
        /* never into the app */
      }
      return original.apply(this, arguments as unknown as unknown[]);
    };
  }
}
