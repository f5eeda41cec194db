import type { Pending } from './recorder';
import { followPool, type PoolDriver } from './pool-gauges';
import { isThenable, wrapMethod } from './wrap';

/**
 * Pools that hand the app (or its ORM) a connection rather than run a query: knex's tarn pool
 * (knex, Objection, Bookshelf) and Sequelize's. Their query then goes straight to the driver
 * on that connection, so the wait is measured where the connection is acquired and left on
 * the connection object; the driver's wrapper (pg, mysql2) takes it into the first query that
 * runs on it. A connection kept for a transaction waited once: its later queries carry nothing.
 */
const kWait = Symbol('perfLens.acquireWait');

interface Acquired {
  waitMs: number;
  max: number | undefined;
}

type Clock = () => number;

function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/** Wraps `name` (a method returning a promise of a connection) to mark the connection with its wait. */
function markOnResolve(proto: unknown, name: string, now: Clock, maxOf: (self: unknown) => number | undefined, driver: PoolDriver): boolean {
  return wrapMethod(proto as object, name, (original) =>
    function acquire(this: unknown) {
      const started = now();
      try {
        followPool((this as { pool?: unknown } | null)?.pool, driver);
      } catch {
        /* a client without a pool yet */
      }
      const result = original.apply(this, arguments as unknown as unknown[]);
      try {
        if (isThenable(result)) {
          const self = this;
          result.then(
            (connection: unknown) => {
              try {
                if (connection !== null && typeof connection === 'object') {
                  (connection as Record<symbol, Acquired>)[kWait] = { waitMs: Math.max(0, now() - started), max: maxOf(self) };
                }
              } catch {
                /* a frozen connection object: no wait for it */
              }
            },
            () => undefined,
          );
        }
      } catch {
        /* keep the app's result */
      }
      return result;
    },
  );
}

/** knex's Client (lib/client.js): `acquireConnection()` waits for the tarn pool. */
export function patchKnexClient(Client: unknown, now: Clock): boolean {
  if (typeof Client !== 'function') return false;
  return markOnResolve(Client.prototype, 'acquireConnection', now, (self) => positiveInt((self as { pool?: { max?: unknown } } | null)?.pool?.max), 'knex');
}

/** Sequelize's ConnectionManager (dialects/abstract): `getConnection()` waits for its pool. */
export function patchSequelizeConnectionManager(exports: unknown, now: Clock): boolean {
  const Manager = (exports as { ConnectionManager?: unknown } | null)?.ConnectionManager ?? exports;
  if (typeof Manager !== 'function') return false;
  return markOnResolve(
    Manager.prototype,
    'getConnection',
    now,
    (self) => positiveInt((self as { config?: { pool?: { max?: unknown } } } | null)?.config?.pool?.max),
    'sequelize',
  );
}

const connIds = new WeakMap<object, number>();
let nextConnId = 1;

/**
 * The agent's number for a database connection (a pg Client, a mysql2 Connection): the core
 * follows a transaction's queries on one connection with it.
 */
export function connectionId(connection: unknown): number | undefined {
  if (connection === null || typeof connection !== 'object') return undefined;
  let id = connIds.get(connection);
  if (id === undefined) connIds.set(connection, (id = nextConnId++));
  return id;
}

/** Moves the wait left on `connection` by its acquisition into the query about to run on it. */
export function takeAcquireWait(connection: unknown, pending: Pending): void {
  if (connection === null || typeof connection !== 'object') return;
  const acquired = (connection as Record<symbol, Acquired | undefined>)[kWait];
  if (acquired === undefined) return;
  (connection as Record<symbol, Acquired | undefined>)[kWait] = undefined;
  if (pending.poolWaitMs !== undefined) return; // a pool of the driver's own measured it already
  pending.poolWaitMs = Math.round(acquired.waitMs * 1000) / 1000;
  if (acquired.max !== undefined) pending.poolMax = acquired.max;
}
