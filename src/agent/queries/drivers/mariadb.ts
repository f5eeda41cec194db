import { AsyncResource } from 'node:async_hooks';
import { errorMonitor } from 'node:events';
import { Handoffs } from '../handoff';
import { connectionId, markAcquired, takeAcquireWait } from '../pool-acquire';
import { followPool, mariadbLimit } from '../pool-gauges';
import type { Pending, QueryRecorder } from '../recorder';
import { callbackIndex, endingPromise, isThenable, withCallback, wrapMethod } from '../wrap';

/**
 * mariadb (MariaDB Connector/Node.js 3.x). Every query passes through a method the app calls,
 * on its own stack: ConnectionPromise / ConnectionCallback (`createConnection`, a pool's
 * `getConnection()`) and PoolPromise / PoolCallback (`pool.query`, `execute`, `batch`). Each
 * such call is recorded once (`batch` is one command and one round trip, however many rows).
 * A pool runs the query later on a base Connection (lib/connection.js), out of the app's
 * stack: the pool's wrapper leaves its pending query in a handoff, and the base connection's
 * wrapper, taking it, restarts its clock, so pool queries are timed from when a connection
 * runs them, not from when they started waiting for one.
 *
 * Where the classes are: 3.4 (what Prisma 7's adapter pins) is CommonJS, one file per class
 * under lib/. 3.5 loads lib/ as ES modules under `import`, but `require` gets a minified
 * bundle (dist/promise.cjs, dist/callback.cjs) that exports no class, through getters that
 * cannot be redefined. That bundle's exports are replaced as it loads (`wrapBundle`) and each
 * class is patched the first time one of its instances shows: the base Connection through the
 * pool's 'acquire' event, which the pool emits with it right before running a query on it.
 */

type Fn = (this: unknown, ...args: unknown[]) => unknown;
type Flavor = 'promise' | 'callback';
type Settle = (failed: boolean) => void;

const FACTORIES = ['createConnection', 'createPool'] as const;

/** The text the driver sends: a string, or the `sql` of `{ sql, values, ...options }`. */
function sqlOf(sql: unknown): unknown {
  return sql !== null && typeof sql === 'object' ? (sql as { sql?: unknown }).sql : sql;
}

/** The values the driver binds: `{ sql, values }`'s own win over the second argument (as its paramSetter does). */
function valuesOf(sql: unknown, values: unknown): unknown {
  const own = sql !== null && typeof sql === 'object' ? (sql as { values?: unknown }).values : undefined;
  if (own) return own;
  return typeof values === 'function' ? undefined : values;
}

function isObject(value: unknown): value is Record<string | symbol, unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function');
}

/** `fn` as a listener or reaction of the agent's own: nothing it throws reaches the app. */
function quietly<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  return (...args) => {
    try {
      fn(...args);
    } catch {
      /* never into the app */
    }
  };
}

/** Calls `emitter[method](...args)` (on, once, removeListener) when the emitter has it. */
function listen(emitter: unknown, method: string, ...args: unknown[]): boolean {
  if (!isObject(emitter) || typeof emitter[method] !== 'function') return false;
  (emitter[method] as Fn).apply(emitter, args);
  return true;
}

/** A command of the driver's: 'end', with the error if it failed. */
function watchCommand(command: unknown, settle: Settle): boolean {
  return listen(command, 'once', 'end', (err: unknown) => settle(err !== undefined && err !== null));
}

/** A Readable of rows: ends, fails, or is closed early (recorded once: the recorder ignores later ends). */
function watchStream(stream: unknown, settle: Settle): boolean {
  return (
    listen(stream, 'once', 'end', () => settle(false)) &&
    listen(stream, 'once', 'close', () => settle(false)) &&
    listen(stream, 'on', errorMonitor, () => settle(true))
  );
}

const MAX_THREADS = 10_000;
/** Server thread ids of the connections pools have handed over (a checkout's object is new each time). */
const handedThreads = new Set<number>();

/**
 * True the first time a pool hands over the connection of this server thread: the pool opened
 * it for this request, so the time until then was the opening, not a queue (see pool-acquire.ts).
 */
function firstHandoff(connection: unknown): boolean {
  try {
    const id = isObject(connection) ? connection.threadId : undefined;
    if (typeof id !== 'number' || handedThreads.has(id)) return false;
    if (handedThreads.size >= MAX_THREADS) handedThreads.clear();
    handedThreads.add(id);
    return true;
  } catch {
    return false; // a connection whose threadId getter fails: its wait counts as measured
  }
}

export class MariadbCapture {
  /** > 0 while an app-facing connection method runs: the base connection's work is that query */
  private direct = 0;
  private readonly patched = new WeakSet<object>();
  private baseReached = false;
  private queryCommandReached = false;

  constructor(
    private readonly recorder: QueryRecorder,
    /** its own: no other driver's pool query must be taken by a mariadb connection */
    private readonly handoffs = new Handoffs(),
  ) {}

  /** A class of lib/ (CommonJS in 3.4, ES modules in 3.5), known by its name. */
  patchClass(Class: unknown): boolean {
    if (typeof Class !== 'function') return false;
    const proto = Class.prototype as unknown;
    const flavor: Flavor = Class.name.endsWith('Callback') ? 'callback' : 'promise';
    if (Class.name === 'Connection') return this.patchBaseConnection(proto);
    if (Class.name === 'ConnectionPromise' || Class.name === 'ConnectionCallback') return this.patchConnection(proto, flavor);
    if (Class.name === 'PoolPromise' || Class.name === 'PoolCallback') return this.patchPool(proto, flavor);
    return false;
  }

  /**
   * The exports of 3.5's CommonJS bundle, `createConnection` and `createPool` (also under
   * `default`) replaced by wrappers that patch the classes of what they return.
   */
  wrapBundle(exports: unknown, flavor: Flavor): unknown {
    if (!isObject(exports) || typeof exports.createPool !== 'function') return exports;
    const descriptors = Object.getOwnPropertyDescriptors(exports);
    // the same shape: enumerable getters that cannot be redefined, `__esModule` as it was
    const constant = (name: string, value: unknown) => {
      descriptors[name] = { enumerable: descriptors[name]?.enumerable ?? true, configurable: false, get: () => value };
    };
    const wrapped: Record<string, Fn> = {};
    for (const name of FACTORIES) {
      if (typeof exports[name] === 'function') constant(name, (wrapped[name] = this.factory(exports[name] as Fn, flavor)));
    }
    const fallback = exports.default;
    if (isObject(fallback) && typeof fallback !== 'function') constant('default', { ...fallback, ...wrapped });
    return Object.defineProperties({}, descriptors);
  }

  private factory(original: Fn, flavor: Flavor): Fn {
    const reached = quietly((made: unknown) => this.reached(made, flavor));
    return function (this: unknown) {
      const made = original.apply(this, arguments as unknown as unknown[]);
      // createConnection's promise: this reaction runs before the app's, registered later
      if (isThenable(made)) quietly(() => made.then(reached, () => {}))();
      else reached(made);
      return made;
    };
  }

  /** Patches the class of a pool or connection the bundle gave the app. */
  private reached(instance: unknown, flavor: Flavor): void {
    if (!isObject(instance)) return;
    const proto = Object.getPrototypeOf(instance) as unknown;
    if (typeof instance.getConnection !== 'function') {
      this.patchConnection(proto, flavor);
      return;
    }
    this.patchPool(proto, flavor);
    if (!this.baseReached) {
      const onAcquire = quietly((conn: unknown) => {
        listen(instance, 'removeListener', 'acquire', onAcquire);
        if (isObject(conn)) this.patchBaseConnection(Object.getPrototypeOf(conn));
      });
      listen(instance, 'on', 'acquire', onAcquire);
    }
    // the callback pool's `query` goes through ConnectionCallback._QUERY_CMD, not the base query
    if (flavor === 'callback' && !this.queryCommandReached) {
      listen(instance, 'once', 'connection', quietly((conn: unknown) => isObject(conn) && this.patchConnection(Object.getPrototypeOf(conn), flavor)));
    }
  }

  /** The base Connection's query, prepareExecute and batch: where a pool's query starts running. */
  private patchBaseConnection(proto: unknown): boolean {
    if (!this.firstTime(proto)) return false;
    this.baseReached = true;
    let any = false;
    for (const name of ['query', 'prepareExecute', 'batch']) {
      any = wrapMethod(proto, name, (original) => this.runsHandedQuery(original, 'resolvers')) || any;
    }
    return any;
  }

  /**
   * Where a pool runs a handed query: `(cmdParam, resolve, reject)` on the base connection, or
   * `(conn, cmdParam)` for ConnectionCallback._QUERY_CMD, whose `cmdParam.callback` the pool
   * set. The clock restarts here, and the query ends as the connection has its result, before
   * the pool releases the connection to the next query in its queue.
   */
  private runsHandedQuery(original: Fn, shape: 'resolvers' | 'callback'): Fn {
    const { recorder, handoffs } = this;
    const self = this;
    return function (this: unknown) {
      const cmdParam = arguments[shape === 'resolvers' ? 0 : 1] as unknown;
      let handed: Pending | null = null;
      try {
        if (self.direct === 0 && isObject(cmdParam)) handed = handoffs.take(cmdParam.sql, cmdParam.values);
      } catch {
        handed = null;
      }
      if (handed === null || !isObject(cmdParam)) return original.apply(this, arguments as unknown as unknown[]);
      const pending = handed;
      const connection = shape === 'resolvers' ? this : arguments[0];
      recorder.startHanded(pending, firstHandoff(connection)); // from here on the database's time; before, the pool's queue
      const ending = (then: unknown, failed: (err: unknown) => boolean) =>
        typeof then !== 'function'
          ? then
          : function (this: unknown, err?: unknown) {
              recorder.end(pending, failed(err));
              return (then as Fn).apply(this, arguments as unknown as unknown[]);
            };
      if (shape === 'callback') {
        cmdParam.callback = ending(cmdParam.callback, (err) => err !== undefined && err !== null);
        return original.apply(this, arguments as unknown as unknown[]);
      }
      const args = Array.prototype.slice.call(arguments) as unknown[];
      args[1] = ending(args[1], () => false);
      args[2] = ending(args[2], () => true);
      return original.apply(this, args);
    };
  }

  /** What the app calls on a connection (its own or one of a pool's). */
  private patchConnection(proto: unknown, flavor: Flavor): boolean {
    if (!this.firstTime(proto)) return false;
    let any = false;
    const wrap = (name: string, fixedSql?: string) => {
      any = wrapMethod(proto, name, (original) => this.connectionMethod(original, flavor, name, fixedSql)) || any;
    };
    wrap('query');
    wrap('execute');
    wrap('batch');
    // the callback API's beginTransaction runs its own (wrapped) query
    if (flavor === 'promise') wrap('beginTransaction', 'START TRANSACTION');
    wrap('commit', 'COMMIT');
    wrap('rollback', 'ROLLBACK');
    wrap('queryStream');
    const Class = (proto as { constructor?: unknown }).constructor;
    if (flavor === 'callback' && isObject(Class) && wrapMethod(Class, '_QUERY_CMD', (original) => this.runsHandedQuery(original, 'callback'))) {
      this.queryCommandReached = true;
    }
    return any;
  }

  private connectionMethod(original: Fn, flavor: Flavor, name: string, fixedSql: string | undefined): Fn {
    const { recorder } = this;
    const self = this;
    return function method(this: unknown, sql: unknown, values: unknown) {
      let pending: Pending | null = null;
      try {
        if (fixedSql !== undefined) pending = recorder.begin('mysql', fixedSql, undefined, method);
        else if (sql != null && typeof sql !== 'function') pending = recorder.begin('mysql', sqlOf(sql), valuesOf(sql, values), method);
        if (pending !== null) {
          // a connection the app checked out of a pool: its first query carries the wait
          takeAcquireWait(this, pending);
          pending.conn = connectionId(this);
        }
      } catch {
        pending = null;
      }
      if (pending === null) return original.apply(this, arguments as unknown as unknown[]);
      const started = pending;
      const settle: Settle = (failed) => recorder.end(started, failed);
      self.direct++;
      try {
        // a stream runs on the connection until it ends, fails or closes
        if (name === 'queryStream') return self.endWithEmitter(original, this, arguments, settle, watchStream);
        if (flavor === 'promise') return self.endWithPromise(original, this, arguments, started);
        // commit(callback?) and rollback(callback?)
        if (fixedSql !== undefined) return self.callWithCallback(original, this, arguments, 0, settle);
        const index = callbackIndex(arguments);
        // without a callback, query returns its command, which emits 'end' (with its error)
        if (index < 0 && name === 'query') return self.endWithEmitter(original, this, arguments, settle, watchCommand);
        return self.callWithCallback(original, this, arguments, index < 0 ? 2 : index, settle);
      } finally {
        self.direct--;
      }
    };
  }

  /** What the app calls on a pool: begun here, timed while a connection runs it (see runsHandedQuery). */
  private patchPool(proto: unknown, flavor: Flavor): boolean {
    if (!this.firstTime(proto)) return false;
    let any = false;
    for (const name of ['query', 'execute', 'batch']) {
      any = wrapMethod(proto, name, (original) => this.poolMethod(original, flavor)) || any;
    }
    // in the bundle, a pool's connections are where their class first shows
    any = wrapMethod(proto, 'getConnection', (original) => this.getConnectionMethod(original, flavor)) || any;
    return any;
  }

  private poolMethod(original: Fn, flavor: Flavor): Fn {
    const { recorder, handoffs } = this;
    const self = this;
    return function method(this: unknown, sql: unknown, values: unknown) {
      let pending: Pending | null = null;
      let token: ReturnType<Handoffs['put']> = null;
      const key = sqlOf(sql);
      const room = followPool(this, 'mariadb');
      try {
        if (key != null && typeof sql !== 'function') {
          const bound = valuesOf(sql, values);
          pending = recorder.begin('mysql', key, bound, method);
          pending.poolMax = mariadbLimit(this);
          if (room === true) pending.poolRoom = true;
          pending.pool = this as object;
          // before the call: an idle connection may run it synchronously, inside it
          token = handoffs.put(key, bound, pending);
        }
      } catch {
        pending = null;
      }
      if (pending === null) return original.apply(this, arguments as unknown as unknown[]);
      const started = pending;
      // the connection ends the query; here it ends one that never reached one (the pool failed)
      const cleanup = quietly(() => handoffs.cancel(key, token));
      if (flavor === 'promise') return self.endWithPromise(original, this, arguments, started, cleanup);
      const settle: Settle = (failed) => {
        cleanup();
        recorder.end(started, failed);
      };
      const index = callbackIndex(arguments);
      return self.callWithCallback(original, this, arguments, index < 0 ? 2 : index, settle);
    };
  }

  /**
   * A pool's `getConnection`: patches the class of the connection before the app gets it, and
   * leaves on it the time the app waited for it, for its first query (see pool-acquire.ts).
   */
  private getConnectionMethod(original: Fn, flavor: Flavor): Fn {
    const { recorder } = this;
    const reached = quietly((conn: unknown) => this.reached(conn, flavor));
    return function getConnection(this: unknown, callback: unknown) {
      const room = followPool(this, 'mariadb');
      const started = recorder.now();
      const max = mariadbLimit(this);
      const pool = this;
      const handed = (conn: unknown) => {
        reached(conn);
        markAcquired(conn, started, recorder.now(), max, firstHandoff(conn), room);
        followPool(pool, 'mariadb'); // in use now, for the gauges' peaks
      };
      let result: unknown;
      if (flavor === 'callback') {
        if (typeof callback !== 'function') return original.apply(this, arguments as unknown as unknown[]);
        // a queued checkout's callback runs from another request's release, in that request's
        // async context: bound, it runs (and queries) in the app's own
        result = withCallback(original, this, arguments, 0, AsyncResource.bind(function (this: unknown, err: unknown, conn: unknown) {
          if (err == null) handed(conn);
          return (callback as Fn).apply(this, arguments as unknown as unknown[]);
        }));
      } else {
        result = original.apply(this, arguments as unknown as unknown[]);
        // registered before the app's reactions: the class is patched and the connection marked before the app has it
        if (isThenable(result)) quietly(() => (result as PromiseLike<unknown>).then(handed, () => {}))();
      }
      return result;
    };
  }

  /**
   * The promise API: the app gets a promise that settles like the driver's, the query ended
   * first; `cleanup` runs too (on a branch of its own that swallows nothing the app sees).
   */
  private endWithPromise(original: Fn, self: unknown, args: IArguments, pending: Pending, cleanup?: () => void): unknown {
    let result: unknown;
    try {
      result = original.apply(self, args as unknown as unknown[]);
    } catch (err) {
      cleanup?.();
      this.recorder.end(pending, true);
      throw err;
    }
    try {
      if (isThenable(result)) {
        if (cleanup !== undefined) result.then(cleanup, cleanup);
        return endingPromise(this.recorder, pending, result);
      }
      cleanup?.();
      this.recorder.end(pending, false);
    } catch {
      /* keep the app's result */
    }
    return result;
  }

  /** Calls `original`, then ends the query by the events of the emitter it returns (`watch`). */
  private endWithEmitter(original: Fn, self: unknown, args: IArguments, settle: Settle, watch: (emitter: unknown, settle: Settle) => boolean): unknown {
    let emitter: unknown;
    try {
      emitter = original.apply(self, args as unknown as unknown[]);
    } catch (err) {
      settle(true);
      throw err;
    }
    try {
      if (!watch(emitter, settle)) settle(false);
    } catch {
      /* keep the app's result */
    }
    return emitter;
  }

  /**
   * Calls `original` with the callback at `index` ending the query first: the app's, or, when
   * it gave none, one that only ends it (the driver calls a callback only when there is one,
   * and drops the error without it: the same with ours).
   */
  private callWithCallback(original: Fn, self: unknown, args: IArguments, index: number, settle: Settle): unknown {
    const callback = args[index] as unknown;
    const ending = function (this: unknown, err?: unknown) {
      settle(err !== undefined && err !== null);
      if (typeof callback === 'function') return (callback as Fn).apply(this, arguments as unknown as unknown[]);
      return undefined;
    };
    try {
      return withCallback(original, self, args, index, ending);
    } catch (err) {
      settle(true);
      throw err;
    }
  }

  /** True once per prototype (the bundle's classes are reached again with each instance). */
  private firstTime(proto: unknown): proto is object {
    if (!isObject(proto) || this.patched.has(proto)) return false;
    this.patched.add(proto);
    return true;
  }
}
