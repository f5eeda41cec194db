import { AsyncResource } from 'node:async_hooks';
import * as dc from 'node:diagnostics_channel';
import type { Handoffs } from '../handoff';
import { connectionId, firstHandoff, markAcquired, takeAcquireWait } from '../pool-acquire';
import { followPool } from '../pool-gauges';
import type { Pending, QueryRecorder } from '../recorder';
import { callbackIndex, endOnEvents, endingCallback, withCallback, wrapMethod } from '../wrap';

/**
 * mysql2. Connections' `query` and `execute` capture the call site (the app's frame is on the
 * stack there, also under the promise API, which calls them synchronously). Where mysql2
 * publishes its TracingChannels (`mysql2:query`, `mysql2:execute`, from 3.20) they time the
 * query and tell errors: the wrapper hands its pending query to the channel's `start`, which
 * runs synchronously inside the call, so each query is recorded once. Older copies are timed
 * by wrapping the callback or watching the command's events. Pools get their own wrappers:
 * they run the query later on a pooled connection, out of the app's stack.
 */

type Fn = (this: unknown, ...args: unknown[]) => unknown;

interface MysqlContext {
  query?: unknown;
  values?: unknown;
  error?: unknown;
}

function sqlOf(sql: unknown): unknown {
  return typeof sql === 'string' ? sql : (sql as { sql?: unknown } | null)?.sql;
}

function valuesOf(sql: unknown, values: unknown): unknown {
  if (values !== undefined && typeof values !== 'function') return values;
  return typeof sql === 'object' && sql !== null ? (sql as { values?: unknown }).values : undefined;
}

/** A mysql2 pool's connectionLimit, when it has one. */
function poolLimit(pool: unknown): number | undefined {
  const limit = (pool as { config?: { connectionLimit?: unknown } } | null)?.config?.connectionLimit;
  return typeof limit === 'number' && Number.isSafeInteger(limit) && limit > 0 ? limit : undefined;
}

export class Mysql2Capture {
  /** the query a wrapper is running right now, for the channel's synchronous `start` */
  private current: Pending | null = null;
  /** > 0 while the pool's own query/execute runs: the checkout it makes is measured by its query */
  private insidePool = 0;
  private readonly inFlight = new WeakMap<object, Pending>();
  private subscribed = false;

  constructor(
    private readonly recorder: QueryRecorder,
    private readonly handoffs: Handoffs,
  ) {}

  /** Subscribes once to mysql2's TracingChannels; false when this Node has none. */
  subscribe(): boolean {
    if (this.subscribed) return true;
    if (typeof dc.tracingChannel !== 'function') return false;
    const finish = (ctx: MysqlContext, failed: boolean) => {
      const pending = this.inFlight.get(ctx);
      if (pending === undefined) return;
      this.inFlight.delete(ctx);
      this.recorder.end(pending, failed);
    };
    const start = (message: unknown) => {
      try {
        const ctx = message as MysqlContext;
        let pending = this.current;
        this.current = null;
        pending ??= this.recorder.begin('mysql', ctx.query, ctx.values, start);
        this.inFlight.set(ctx, pending);
      } catch {
        /* never into the app */
      }
    };
    const handlers = {
      start,
      // `end` is synchronous: an error by then was thrown by the call itself
      end: (message: unknown) => {
        const ctx = message as MysqlContext;
        if (ctx.error !== undefined) finish(ctx, true);
      },
      // results (or the error) are in: time the query without the app's callback
      asyncStart: (message: unknown) => {
        const ctx = message as MysqlContext;
        finish(ctx, ctx.error !== undefined && ctx.error !== null);
      },
      asyncEnd: () => {},
      error: () => {},
    };
    dc.tracingChannel('mysql2:query').subscribe(handlers as never);
    dc.tracingChannel('mysql2:execute').subscribe(handlers as never);
    this.subscribed = true;
    return true;
  }

  /** `query` and `execute` of BaseConnection (or of Connection in copies before lib/base). */
  patchConnection(Connection: unknown, channels: boolean): boolean {
    if (typeof Connection !== 'function') return false;
    const useChannels = channels && this.subscribe();
    const a = wrapMethod(Connection.prototype, 'query', (original) => this.connectionMethod(original, useChannels));
    const b = wrapMethod(Connection.prototype, 'execute', (original) => this.connectionMethod(original, useChannels));
    return a || b;
  }

  private connectionMethod(original: Fn, useChannels: boolean): Fn {
    const { recorder, handoffs } = this;
    const self = this;
    return function method(this: unknown, sql: unknown, values: unknown) {
      let pending: Pending | null = null;
      try {
        const handed = handoffs.take(sql, typeof values === 'function' ? undefined : values);
        if (handed !== null) {
          recorder.startHanded(handed, firstHandoff(this));
          pending = handed;
        } else if (sql != null) {
          pending = recorder.begin('mysql', sqlOf(sql), valuesOf(sql, values), method);
          takeAcquireWait(this, pending);
        }
        if (pending !== null) pending.conn = connectionId(this);
      } catch {
        pending = null;
      }
      if (pending === null) return original.apply(this, arguments as unknown as unknown[]);
      if (useChannels) {
        const previous = self.current;
        self.current = pending;
        try {
          return original.apply(this, arguments as unknown as unknown[]);
        } finally {
          self.current = previous;
        }
      }
      return self.trackWithoutChannels(original, this, arguments, pending);
    };
  }

  private trackWithoutChannels(original: Fn, self: unknown, args: IArguments, pending: Pending): unknown {
    const index = callbackIndex(args);
    let result: unknown;
    try {
      result =
        index >= 0
          ? withCallback(original, self, args, index, endingCallback(this.recorder, pending, args[index] as Fn))
          : original.apply(self, args as unknown as unknown[]);
    } catch (err) {
      this.recorder.end(pending, true);
      throw err;
    }
    try {
      const command = result as { once?: unknown; on?: unknown } | null;
      if (index < 0 && command && typeof command.once === 'function' && typeof command.on === 'function') {
        endOnEvents(this.recorder, pending, command as never);
      }
    } catch {
      /* keep the app's result */
    }
    return result;
  }

  /** BasePool's `query` (hands its Query command on) and `execute` (hands sql and values on). */
  patchPool(Pool: unknown): boolean {
    if (typeof Pool !== 'function') return false;
    const { recorder, handoffs } = this;
    const capture = this;
    // The app's own checkouts (`pool.getConnection(cb)`, mysql2/promise's, TypeORM's): the wait
    // until the pool hands a connection over goes into the first query run on it (pool-acquire.ts).
    // mysql2/promise's pool calls this one with a callback, and its connection's queries reach
    // the core connection the callback gets.
    wrapMethod(Pool.prototype, 'getConnection', (original) =>
      function getConnection(this: unknown, callback: unknown) {
        const room = followPool(this, 'mysql2');
        if (capture.insidePool > 0 || typeof callback !== 'function') return original.apply(this, arguments as unknown as unknown[]);
        const started = recorder.now();
        const pool = this;
        // a queued checkout's callback runs from another request's release, in that request's
        // async context: bound, it runs (and queries) in the app's own
        return withCallback(original, this, arguments, 0, AsyncResource.bind(function (this: unknown, err: unknown, connection: unknown) {
          if (err == null) {
            markAcquired(connection, started, recorder.now(), poolLimit(pool), undefined, room);
            followPool(pool, 'mysql2'); // in use now, for the gauges' peaks
          }
          return (callback as Fn).apply(this, arguments as unknown as unknown[]);
        }));
      },
    );
    const a = wrapMethod(Pool.prototype, 'query', (original) =>
      function query(this: unknown, sql: unknown, values: unknown) {
        const room = followPool(this, 'mysql2');
        let pending: Pending | null = null;
        try {
          if (sql != null) {
            pending = recorder.begin('mysql', sqlOf(sql), valuesOf(sql, values), query);
            pending.poolMax = poolLimit(this);
            if (room === true) pending.poolRoom = true;
            pending.pool = this as object;
          }
        } catch {
          pending = null;
        }
        const command = capture.ownCall(original, this, arguments);
        try {
          // the pool always reaches a connection asynchronously, after this returns
          if (pending !== null && command !== null && typeof command === 'object') handoffs.put(command, undefined, pending);
        } catch {
          /* never into the app */
        }
        return command;
      },
    );
    const b = wrapMethod(Pool.prototype, 'execute', (original) =>
      function execute(this: unknown, sql: unknown, values: unknown) {
        const room = followPool(this, 'mysql2');
        let pending: Pending | null = null;
        let token: ReturnType<Handoffs['put']> = null;
        try {
          if (sql != null) {
            pending = recorder.begin('mysql', sqlOf(sql), valuesOf(sql, values), execute);
            pending.poolMax = poolLimit(this);
            if (room === true) pending.poolRoom = true;
            pending.pool = this as object;
            token = handoffs.put(sql, typeof values === 'function' ? undefined : values, pending);
          }
        } catch {
          pending = null;
        }
        const index = callbackIndex(arguments);
        if (pending === null || index < 0) return capture.ownCall(original, this, arguments);
        const started = pending;
        const callback = arguments[index] as Fn;
        capture.insidePool++;
        try {
          return withCallback(original, this, arguments, index, function (this: unknown, err?: unknown) {
            try {
              handoffs.cancel(sql, token);
              // the connection records the query; the pool only one that never reached it
              if (err != null && !started.done) recorder.end(started, true);
            } catch {
              /* never into the app */
            }
            return callback.apply(this, arguments as unknown as unknown[]);
          });
        } finally {
          capture.insidePool--;
        }
      },
    );
    return a || b;
  }

  /** The pool's own query/execute: its inner `this.getConnection(cb)` (synchronous) left unmeasured. */
  private ownCall(original: Fn, self: unknown, args: IArguments): unknown {
    this.insidePool++;
    try {
      return original.apply(self, args as unknown as unknown[]);
    } finally {
      this.insidePool--;
    }
  }
}
