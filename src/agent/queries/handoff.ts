import type { Pending } from './recorder';

/**
 * Pools (pg-pool, mysql2) queue a query and run it later on a client, in a callback where
 * no frame (and no async context) of the app is left. The pool's wrapper captures call site
 * and scope at `pool.query` and leaves them here; the client's wrapper takes them back when
 * the pool hands it the very same arguments. Objects (config objects, mysql2 Query commands)
 * are matched by identity; SQL strings by equality plus the identity of their values array,
 * first in first out like the pools' own queues.
 */
const MAX_WAITING = 1024;

interface Waiting {
  sql: unknown;
  values: unknown;
  pending: Pending;
}

function isEmpty(values: unknown): boolean {
  return values === undefined || values === null || (Array.isArray(values) && values.length === 0);
}

export class Handoffs {
  private readonly byObject = new WeakMap<object, Pending>();
  private readonly waiting: Waiting[] = [];

  /** Returns a token for `cancel`. */
  put(sql: unknown, values: unknown, pending: Pending): Waiting | null {
    if (sql !== null && typeof sql === 'object') {
      this.byObject.set(sql, pending);
      return null;
    }
    if (this.waiting.length >= MAX_WAITING) this.waiting.shift(); // a pool that never ran them
    const entry = { sql, values, pending };
    this.waiting.push(entry);
    return entry;
  }

  take(sql: unknown, values: unknown): Pending | null {
    if (sql !== null && typeof sql === 'object') {
      const pending = this.byObject.get(sql);
      if (pending === undefined) return null;
      this.byObject.delete(sql);
      return pending;
    }
    const list = this.waiting;
    for (let i = 0; i < list.length; i++) {
      const w = list[i];
      // mysql2's pool.execute(sql, cb) hands the connection a fresh `[]`
      if (w.sql === sql && (w.values === values || (isEmpty(w.values) && isEmpty(values)))) {
        list.splice(i, 1);
        return w.pending;
      }
    }
    return null;
  }

  /** The pool finished without handing the query on (e.g. it could not connect). */
  cancel(sql: unknown, token: Waiting | null): void {
    if (token === null) {
      if (sql !== null && typeof sql === 'object') this.byObject.delete(sql);
      return;
    }
    const i = this.waiting.indexOf(token);
    if (i >= 0) this.waiting.splice(i, 1);
  }
}
