import { AsyncResource } from 'node:async_hooks';
import type { Handoffs } from '../handoff';
import { connectionId, firstHandoff, markAcquired, poolLimit, takeAcquireWait } from '../pool-acquire';
import { followPool } from '../pool-gauges';
import type { Pending, QueryRecorder } from '../recorder';
import {
  callbackIndex,
  endOnEvents,
  endingCallback,
  endingPromise,
  isThenable,
  withCallback,
  wrapMethod,
} from '../wrap';

/**
 * node-postgres. `Client.prototype.query` sees every query: strings, `{ name, text, values }`
 * configs (named prepared statements), `Query` objects and other submittables (pg-cursor),
 * with a callback, a promise, or the submittable's own events. `Pool.prototype.query` (pg-pool)
 * gets its own wrapper: the pool runs the query later, on a client, out of the app's stack.
 */

interface QueryConfig {
  text?: unknown;
  values?: unknown;
  callback?: unknown;
  submit?: unknown;
  once?: unknown;
  on?: unknown;
}

function sqlOf(config: unknown): unknown {
  return typeof config === 'string' ? config : (config as QueryConfig | null)?.text;
}

function valuesOf(config: unknown, values: unknown): unknown {
  if (values !== undefined && typeof values !== 'function') return values;
  return typeof config === 'object' && config !== null ? (config as QueryConfig).values : undefined;
}

export function patchPgClient(Client: unknown, recorder: QueryRecorder, handoffs: Handoffs): boolean {
  if (typeof Client !== 'function') return false;
  return wrapMethod(Client.prototype, 'query', (original) =>
    function query(this: unknown, config: unknown, values: unknown) {
      let pending: Pending | null = null;
      try {
        const handed = handoffs.take(config, typeof values === 'function' ? undefined : values);
        if (handed !== null) {
          recorder.startHanded(handed, firstHandoff(this)); // from here on the database's time; before, the pool's queue
          pending = handed;
        } else if (config != null) {
          pending = recorder.begin('postgres', sqlOf(config), valuesOf(config, values), query);
          takeAcquireWait(this, pending);
        }
        if (pending !== null) pending.conn = connectionId(this);
      } catch {
        pending = null;
      }
      if (pending === null) return original.apply(this, arguments as unknown as unknown[]);
      return track(original, this, arguments, config as QueryConfig, recorder, pending);
    },
  );
}

function track(
  original: (...args: unknown[]) => unknown,
  self: unknown,
  args: IArguments,
  config: QueryConfig,
  recorder: QueryRecorder,
  pending: Pending,
): unknown {
  const submittable = typeof config.submit === 'function';
  let index = -1;
  let ownCallback: unknown;
  try {
    index = submittable ? -1 : callbackIndex(args);
    ownCallback = !submittable && index < 0 && typeof config === 'object' ? config.callback : undefined;
  } catch {
    index = -1;
  }
  let result: unknown;
  try {
    if (index >= 0) {
      result = withCallback(original, self, args, index, endingCallback(recorder, pending, args[index]));
    } else if (typeof ownCallback === 'function') {
      // `{ text, callback }`: pg copies the callback into its own Query during this call
      config.callback = endingCallback(recorder, pending, ownCallback as (...a: unknown[]) => unknown);
      try {
        result = original.apply(self, args as unknown as unknown[]);
      } finally {
        config.callback = ownCallback;
      }
    } else {
      result = original.apply(self, args as unknown as unknown[]);
    }
  } catch (err) {
    recorder.end(pending, true);
    throw err;
  }
  try {
    if (submittable) {
      const query = result as QueryConfig;
      if (typeof query.callback === 'function') {
        query.callback = endingCallback(recorder, pending, query.callback as (...a: unknown[]) => unknown);
      } else if (typeof query.once === 'function' && typeof query.on === 'function') {
        endOnEvents(recorder, pending, query as never);
      } else recorder.end(pending, false);
      return result;
    }
    if (index < 0 && typeof ownCallback !== 'function' && isThenable(result)) {
      return endingPromise(recorder, pending, result);
    }
  } catch {
    /* keep the app's result */
  }
  return result;
}

/** > 0 while pg-pool's own `query` runs: the checkout it makes is measured by its query (handoff). */
let insidePoolQuery = 0;

export function patchPgPool(Pool: unknown, recorder: QueryRecorder, handoffs: Handoffs): boolean {
  if (typeof Pool !== 'function') return false;
  // The app's own checkouts (`await pool.connect()`, `pool.connect((err, client, release) => …)`,
  // TypeORM's, Prisma's transactions): the wait until the pool hands a client over goes into the
  // first query run on that client (see pool-acquire.ts).
  wrapMethod(Pool.prototype, 'connect', (original) =>
    function connect(this: unknown, callback: unknown) {
      if (insidePoolQuery > 0) return original.apply(this, arguments as unknown as unknown[]);
      const room = followPool(this, 'pg-pool');
      const pool = this;
      const started = recorder.now();
      const max = poolLimit((this as { options?: { max?: unknown } } | null)?.options?.max);
      const handed = (client: unknown) => {
        markAcquired(client, started, recorder.now(), max, undefined, room);
        followPool(pool, 'pg-pool'); // in use now, for the gauges' peaks
      };
      if (typeof callback === 'function') {
        // pg-pool calls a queued checkout's callback from the release of another request's
        // client, in that request's async context: bound, it runs (and queries) in the app's own
        return withCallback(original, this, arguments, 0, AsyncResource.bind(function (this: unknown, err: unknown, client: unknown) {
          if (err == null) handed(client);
          return (callback as (...a: unknown[]) => unknown).apply(this, arguments as unknown as unknown[]);
        }));
      }
      const result = original.apply(this, arguments as unknown as unknown[]);
      try {
        // registered before the app's own reaction: the client is marked before its first query
        if (isThenable(result)) result.then(handed, () => undefined);
      } catch {
        /* keep the app's result */
      }
      return result;
    },
  );
  return wrapMethod(Pool.prototype, 'query', (original) =>
    function query(this: unknown, text: unknown, values: unknown) {
      const room = followPool(this, 'pg-pool');
      let pending: Pending | null = null;
      let token: ReturnType<Handoffs['put']> = null;
      const handedValues = typeof values === 'function' ? undefined : values;
      try {
        if (text != null && typeof text !== 'function') {
          pending = recorder.begin('postgres', sqlOf(text), valuesOf(text, values), query);
          const max = (this as { options?: { max?: unknown } } | null)?.options?.max;
          if (typeof max === 'number' && Number.isSafeInteger(max) && max > 0) pending.poolMax = max;
          if (room === true) pending.poolRoom = true;
          pending.pool = this as object;
          token = handoffs.put(text, handedValues, pending);
        }
      } catch {
        pending = null;
      }
      if (pending === null) return callOwnQuery(original, this, arguments);
      const started = pending;
      // The client records the query; the pool records it only when it never reached one.
      const settle = (failed: boolean) => {
        try {
          handoffs.cancel(text, token);
          if (failed && !started.done) recorder.end(started, true);
        } catch {
          /* never into the app */
        }
      };
      const index = callbackIndex(arguments);
      if (index >= 0) {
        const callback = arguments[index] as (...a: unknown[]) => unknown;
        insidePoolQuery++;
        try {
          return withCallback(original, this, arguments, index, function (this: unknown, err?: unknown) {
            settle(err != null);
            return callback.apply(this, arguments as unknown as unknown[]);
          });
        } finally {
          insidePoolQuery--;
        }
      }
      let result: unknown;
      try {
        result = callOwnQuery(original, this, arguments);
      } catch (err) {
        settle(true);
        throw err;
      }
      if (!isThenable(result)) return result;
      return result.then(
        (value) => {
          settle(false);
          return value;
        },
        (reason: unknown) => {
          settle(true);
          throw reason;
        },
      );
    },
  );
}

/** pg-pool's `query`, its inner `this.connect(…)` (called synchronously) left unmeasured. */
function callOwnQuery(original: (...args: unknown[]) => unknown, self: unknown, args: IArguments): unknown {
  insidePoolQuery++;
  try {
    return original.apply(self, args as unknown as unknown[]);
  } finally {
    insidePoolQuery--;
  }
}
