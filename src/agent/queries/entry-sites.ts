import { AsyncResource, executionAsyncId } from 'node:async_hooks';
import { contextStorage, type ContextFrame } from '../async-context';
import type { Capture } from './callsite';
import { frames, pick } from './callsite';
import { wrapMethod } from './wrap';

/**
 * Where the app entered an ORM or query builder. Between the app's `await article.load()` and
 * the driver lie promise chains the app's frames do not survive: Bluebird callbacks, lazy
 * builders whose `then` runs from a microtask, ES5 `__awaiter` generators with no async frames.
 * So the ORM's public methods are wrapped: the first call from application code captures the
 * app's frame (and the app frames above it) and runs the ORM's work inside an async context
 * holding it, which the driver probe reads.
 *
 * Lazy thenables (query builders) an ORM call returns start their work when something calls
 * their `then`, and that something may run in another request's async context: Bluebird
 * assimilates a thenable a callback returned after the callback's bound context is gone,
 * a queue drained by one request runs another's work. So each one keeps the async context it
 * was built in (every store: the request's scope and the entry's site) and its `then` runs
 * there.
 *
 * Cost: one stack capture per ORM call the app makes (3.5–5 µs in an app's stack on Node 20,
 * whatever the frame limit: the fixed part dominates). Calls chained on the object an entry
 * returned, in the same synchronous run (`User.where({ id }).fetch()`), reuse its site. Calls
 * the ORM makes to itself are skipped: synchronously nested ones by a depth count (free), ones
 * from its own promise chains (a site is active and no synchronous app frame called) after the
 * capture.
 */
const ENTRY_FRAMES = 16;

type Fn = (this: unknown, ...args: unknown[]) => unknown;

const kContext = Symbol('perf-lens.built-in');
/** On an entry's result: its site and the async id of the synchronous run that made it. */
const kChain = Symbol('perf-lens.entry-chain');

interface Chain {
  site: Capture;
  run: number;
}
const nativeThen = Promise.prototype.then;

export class EntrySites {
  private readonly storage = contextStorage();
  /** ORM calls on the stack right now: calls nested in one are the ORM's own. */
  private depth = 0;
  private readonly thenOwners = new WeakSet<object>();

  /** The site of the ORM call whose work is running, if any. */
  current(): Capture | null {
    return this.storage.getStore()?.site ?? null;
  }

  /** The current context (the request's scope kept) with `site` as the entry site. */
  private frame(site: Capture): ContextFrame {
    return { scope: this.storage.getStore()?.scope ?? null, site };
  }

  /**
   * Wraps the named methods found on `target` (a prototype, or a class for its statics); `orm`
   * names the package they belong to, so findings can speak its words.
   */
  wrap(target: unknown, names: readonly string[], orm: string): void {
    if (target === null || (typeof target !== 'object' && typeof target !== 'function')) return;
    for (const name of names) wrapMethod(target as object, name, (original) => this.entry(original, orm));
  }

  /**
   * Runs `original` inside `site` (the request's scope kept): for libraries that capture the
   * app's stack at the app's call themselves and run the query later (Prisma).
   */
  runInSite(site: Capture, original: Fn, self: unknown, args: IArguments): unknown {
    return this.storage.run(this.frame(site), Reflect.apply, original, self, args);
  }

  /** Wraps methods that make new lazy thenables out of old ones (a builder's `clone`): no site, the context kept. */
  keep(target: unknown, names: readonly string[]): void {
    if (target === null || (typeof target !== 'object' && typeof target !== 'function')) return;
    const sites = this;
    for (const name of names) {
      wrapMethod(target as object, name, (original) =>
        function keeping(this: unknown) {
          return sites.keepContext(original.apply(this, arguments as unknown as unknown[]));
        },
      );
    }
  }

  /** The app's site for an ORM call made from `above`, or null when the ORM is calling itself. */
  private capture(above: Function): Capture | null {
    const capture = pick(frames(ENTRY_FRAMES, above));
    // inside an ORM call's work only the app's code calling (a hook, a callback) starts anew;
    // an async frame of the app only awaits that work
    if (capture !== null && capture.async === true && this.current() !== null) return null;
    return capture;
  }

  private entry(original: Fn, orm: string): Fn {
    const sites = this;
    return function ormEntry(this: unknown) {
      if (sites.depth > 0) return sites.keepContext(original.apply(this, arguments as unknown as unknown[]));
      let site: Capture | null = null;
      let run = 0;
      try {
        run = executionAsyncId();
        const chain =
          this !== null && typeof this === 'object' ? ((this as Record<PropertyKey, unknown>)[kChain] as Chain | undefined) : undefined;
        site = chain !== undefined && chain.run === run ? chain.site : sites.capture(ormEntry);
        if (site !== null) site.orm ??= orm;
      } catch {
        site = null;
      }
      sites.depth++;
      try {
        if (site === null) return sites.keepContext(original.apply(this, arguments as unknown as unknown[]));
        const result = sites.storage.run(sites.frame(site), sites.callKeeping, sites, original, this, arguments);
        chainOn(result, site, run);
        return result;
      } finally {
        sites.depth--;
      }
    };
  }

  /** Runs the ORM call inside the entry's site, so the thenable it returns keeps that too. */
  private callKeeping(this: void, sites: EntrySites, original: Fn, self: unknown, args: IArguments): unknown {
    return sites.keepContext(original.apply(self, args as unknown as unknown[]));
  }

  /**
   * A lazy thenable keeps the async context it was built in, and its `then` runs there.
   * Native and Bluebird promises are eager (their work is under way already): left alone.
   */
  private keepContext(result: unknown): unknown {
    try {
      if (result === null || (typeof result !== 'object' && typeof result !== 'function')) return result;
      const target = result as Record<PropertyKey, unknown>;
      const then = target.then;
      if (typeof then !== 'function' || then === nativeThen || typeof target._bitField === 'number') return result;
      let owner: object | null = target;
      while (owner !== null && !Object.prototype.hasOwnProperty.call(owner, 'then')) owner = Object.getPrototypeOf(owner) as object | null;
      if (owner === null) return result;
      if (!this.thenOwners.has(owner)) {
        this.thenOwners.add(owner);
        wrapMethod(owner, 'then', thenInBuiltContext);
      }
      const resource = new AsyncResource('perf-lens.builder');
      target[kContext] = resource;
    } catch {
      /* a frozen or exotic object keeps no context */
    }
    return result;
  }
}

function thenInBuiltContext(original: Fn): Fn {
  return function then(this: unknown) {
    const resource =
      this !== null && typeof this === 'object' ? ((this as Record<PropertyKey, unknown>)[kContext] as AsyncResource | undefined) : undefined;
    if (resource === undefined) return original.apply(this, arguments as unknown as unknown[]);
    return resource.runInAsyncScope(original, this, ...(arguments as unknown as unknown[]));
  };
}

/** Marks an entry's result (a model, a builder) so that a call chained on it in the same run reuses the site. */
function chainOn(result: unknown, site: Capture, run: number): void {
  if (result === null || typeof result !== 'object' || result instanceof Promise) return;
  try {
    (result as Record<PropertyKey, unknown>)[kChain] = { site, run } satisfies Chain;
  } catch {
    /* frozen: no chain */
  }
}
