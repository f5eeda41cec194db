import type { Pending } from './recorder';
import { followPool, type PoolDriver } from './pool-gauges';
import { isThenable, wrapMethod } from './wrap';

/**
 * Checkouts: a pool hands the app (or its ORM) a connection rather than running a query. knex's
 * tarn pool (knex, Objection, Bookshelf) and Sequelize's always do; node-postgres's
 * `pool.connect()`, mysql2's and mariadb's `pool.getConnection()` do when the app asks (a
 * transaction, TypeORM). The query then goes straight to the driver on that connection, so the
 * wait is measured where the connection is acquired and left on the connection object; the
 * driver's wrapper (pg, mysql2, mariadb) takes it into the first query that runs on it, so a
 * pool-wait finding sits on that query's line. A connection kept for a transaction waited
 * once: its later queries carry nothing.
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

/** Connections a pool has handed over at least once. */
const handedBefore = new WeakSet<object>();

/**
 * True the first time a pool hands `connection` over: the pool opened it for this request, and
 * the time until then was the opening (TCP, TLS, authentication), not a queue for a connection
 * in use — a cold start, which no larger pool would shorten, so it counts as no wait.
 */
export function firstHandoff(connection: unknown): boolean {
  if (connection === null || typeof connection !== 'object' || handedBefore.has(connection)) return false;
  handedBefore.add(connection);
  return true;
}

/**
 * Leaves on `connection` the wait of the checkout that handed it over (`started`: when the app
 * asked), for the first query that runs on it; none (0) when the pool had just `opened` it or
 * had `room` for the checkout when it was asked (see followPool). Never throws.
 */
export function markAcquired(connection: unknown, started: number, now: number, max: number | undefined, opened?: boolean, room?: boolean): void {
  try {
    if (connection !== null && typeof connection === 'object') {
      const fresh = opened ?? firstHandoff(connection);
      (connection as Record<symbol, Acquired>)[kWait] = { waitMs: fresh || room === true ? 0 : Math.max(0, now - started), max };
    }
  } catch {
    /* a frozen connection object: no wait for it */
  }
}

/** A pool's size limit when it is a positive integer. */
export function poolLimit(value: unknown): number | undefined {
  return positiveInt(value);
}

/**
 * Follows a pool, or both of Sequelize's replication pools (`{ read, write, … }`); whether it
 * had room for a checkout asked now (unknown for a replication pair: which one serves is the
 * ORM's choice).
 */
function followPools(pool: unknown, driver: PoolDriver): boolean | undefined {
  try {
    const p = pool as { read?: unknown; write?: unknown; acquire?: unknown } | null;
    if (p != null && p.read != null && p.write != null && typeof p.acquire === 'function') {
      followPool(p.read, driver);
      followPool(p.write, driver);
      return undefined;
    }
    return followPool(pool, driver);
  } catch {
    return undefined; // never into the app
  }
}

/**
 * Wraps `name` (a method returning a promise of a connection) to mark the connection with its
 * wait. `asksAtOnce`: the method asks the pool synchronously (knex), so the pool's room read at
 * the call is the room its request met; Sequelize first awaits work of its own (the server
 * version), during which the pool may fill.
 */
function markOnResolve(proto: unknown, name: string, now: Clock, maxOf: (self: unknown) => number | undefined, driver: PoolDriver, asksAtOnce: boolean): boolean {
  return wrapMethod(proto as object, name, (original) =>
    function acquire(this: unknown) {
      const started = now();
      const pool = (this as { pool?: unknown } | null)?.pool;
      const roomNow = followPools(pool, driver);
      const room = asksAtOnce ? roomNow : undefined;
      const result = original.apply(this, arguments as unknown as unknown[]);
      try {
        if (isThenable(result)) {
          const self = this;
          result.then(
            (connection: unknown) => {
              markAcquired(connection, started, now(), maxOf(self), undefined, room);
              followPools(pool, driver); // in use now, for the gauges' peaks
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
  return markOnResolve(Client.prototype, 'acquireConnection', now, (self) => positiveInt((self as { pool?: { max?: unknown } } | null)?.pool?.max), 'knex', true);
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
    false,
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
