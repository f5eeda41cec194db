import type { PoolStat, PoolsMessage } from '../../protocol/messages';
import type { AgentContext } from '../context';

/**
 * The app's database pools over time: each pool the query wrappers meet is followed with a
 * reader of its own counters. Each query the app sends through a pool reads them again and
 * keeps the peaks, so a burst shorter than a second still shows; once a second (and before the
 * bye) the agent sends every pool's peaks since the last message (`pools`) when any changed.
 * No timer runs before the first pool; a pool the app let go is dropped (WeakRef).
 */

export type PoolDriver = 'pg-pool' | 'mysql2' | 'mariadb' | 'knex' | 'sequelize';

type Reading = Omit<PoolStat, 'id' | 'driver'>;

const PERIOD_MS = 1000;
/** Pools followed at most (an app that makes one per request is not followed further). */
const MAX_POOLS = 64;

const count = (v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0);
const limit = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : null);
const lengthOf = (v: unknown): number => count((v as { length?: unknown } | null)?.length);
const call = (pool: Record<string, unknown>, name: string): number => (typeof pool[name] === 'function' ? count((pool[name] as () => unknown).call(pool)) : 0);

const mariadbLimits = new WeakMap<object, number | null>();

/**
 * A mariadb pool's connectionLimit. The pool keeps its options private; its toString() says
 * `poolPromise(active=0 idle=2 limit=2)`. Read once per pool: the limit does not change.
 */
export function mariadbLimit(pool: unknown): number | undefined {
  if (pool === null || typeof pool !== 'object') return undefined;
  let max = mariadbLimits.get(pool);
  if (max === undefined) {
    max = null;
    try {
      const m = /\blimit=(\d+)/.exec(String((pool as { toString(): unknown }).toString()));
      if (m) max = limit(Number(m[1]));
    } catch {
      /* a pool without the usual toString */
    }
    mariadbLimits.set(pool, max);
  }
  return max ?? undefined;
}

/** Each library's counters, read without side effects. */
const READERS: Record<PoolDriver, (pool: Record<string, unknown>) => Reading> = {
  'pg-pool': (p) => {
    const size = count(p.totalCount);
    return { max: limit((p.options as { max?: unknown } | undefined)?.max), size, inUse: Math.max(0, size - count(p.idleCount)), waiting: count(p.waitingCount) };
  },
  mysql2: (p) => ({
    max: limit((p.config as { connectionLimit?: unknown } | undefined)?.connectionLimit),
    size: lengthOf(p._allConnections),
    inUse: Math.max(0, lengthOf(p._allConnections) - lengthOf(p._freeConnections)),
    waiting: lengthOf(p._connectionQueue),
  }),
  // mariadb's PoolPromise / PoolCallback: counters behind methods, the limit only in toString()
  mariadb: (p) => ({ max: mariadbLimit(p) ?? null, size: call(p, 'totalConnections'), inUse: call(p, 'activeConnections'), waiting: call(p, 'taskQueueSize') }),
  // tarn, knex's pool
  knex: (p) => {
    const inUse = call(p, 'numUsed');
    return { max: limit(p.max), size: inUse + call(p, 'numFree'), inUse, waiting: call(p, 'numPendingAcquires') };
  },
  // sequelize-pool
  sequelize: (p) => ({ max: limit(p.maxSize), size: count(p.size), inUse: count(p.using), waiting: count(p.waiting) }),
};

interface Followed {
  id: number;
  driver: PoolDriver;
  ref: WeakRef<object>;
  /** the highest counters since the last message, or null when none was read */
  peak: Reading | null;
}

function raise(f: Followed, r: Reading): void {
  const p = f.peak;
  if (p === null) f.peak = r;
  else {
    p.max = r.max ?? p.max;
    if (r.size > p.size) p.size = r.size;
    if (r.inUse > p.inUse) p.inUse = r.inUse;
    if (r.waiting > p.waiting) p.waiting = r.waiting;
  }
}

/** Pools by object, for the peak reads of known pools. */
const byPool = new WeakMap<object, Followed>();

let ctx: AgentContext | null = null;
const followed: Followed[] = [];
const seen = new WeakSet<object>();
let nextId = 1;
let timer: NodeJS.Timeout | null = null;
let last = '';

/** Where the gauges send their messages; until called, pools are only remembered. */
export function startPoolGauges(context: AgentContext): void {
  ctx = context;
  if (followed.length > 0) arm();
}

/**
 * Could the pool serve a checkout asked now without queueing: a connection idle or room to
 * open one, and nobody waiting. Undefined when its limit is unknown.
 */
function hasRoom(r: Reading): boolean | undefined {
  return r.max === null ? undefined : r.waiting === 0 && r.inUse < r.max;
}

/**
 * A pool a query wrapper met: followed from now on, its counters read into the peaks. Returns
 * whether it had room for a checkout asked now (see hasRoom): a checkout that did not queue
 * waited for nothing but the event loop (a GC pause, a busy tick), which no pool setting cures,
 * so the wrappers record no pool wait for it.
 */
export function followPool(pool: unknown, driver: PoolDriver): boolean | undefined {
  if (pool === null || typeof pool !== 'object') return undefined;
  try {
    const known = byPool.get(pool);
    if (known !== undefined) {
      const r = READERS[known.driver](pool as Record<string, unknown>);
      const room = hasRoom(r); // before raise(), which may keep r as the peak and raise it later
      raise(known, r);
      return room;
    }
    const r = READERS[driver](pool as Record<string, unknown>);
    if (seen.has(pool)) return hasRoom(r);
    seen.add(pool);
    if (followed.length >= MAX_POOLS || typeof WeakRef !== 'function') return hasRoom(r);
    const f: Followed = { id: nextId++, driver, ref: new WeakRef(pool), peak: null };
    followed.push(f);
    byPool.set(pool, f);
    const room = hasRoom(r);
    raise(f, r);
    if (ctx) arm();
    return room;
  } catch {
    return undefined; // never into the app
  }
}

/**
 * Reads a followed pool's counters into its peaks again: a query it was asked to run reached a
 * connection, which the counters now count in use. Without this, an app that runs one query at
 * a time would show the pool idle when asked, and in use only if the once-a-second sample fell
 * inside a query. Never throws.
 */
export function readPoolAgain(pool: object): void {
  try {
    const known = byPool.get(pool);
    if (known !== undefined) raise(known, READERS[known.driver](pool as Record<string, unknown>));
  } catch {
    /* never into the app */
  }
}

function arm(): void {
  if (timer) return;
  timer = setInterval(sample, PERIOD_MS);
  timer.unref();
}

/** Reads every live pool; sends their peaks when anything changed since the last message (also before the bye). */
export function sample(): PoolsMessage | null {
  try {
    const pools: PoolStat[] = [];
    for (let i = followed.length - 1; i >= 0; i--) {
      const f = followed[i];
      const pool = f.ref.deref();
      if (pool === undefined) {
        followed.splice(i, 1);
        continue;
      }
      raise(f, READERS[f.driver](pool as Record<string, unknown>));
      pools.push({ id: f.id, driver: f.driver, ...f.peak! });
      f.peak = null;
    }
    if (followed.length === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
    pools.sort((a, b) => a.id - b.id);
    const key = JSON.stringify(pools);
    if (key === last || !ctx) return null;
    last = key;
    const msg: PoolsMessage = { type: 'pools', pid: ctx.pid, t: ctx.now(), pools };
    ctx.emit(msg);
    return msg;
  } catch {
    return null; // never into the app
  }
}
