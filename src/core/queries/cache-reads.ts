import type { QueryMessage } from '../../protocol';

/** A cache read's [hits, misses] (Redis GET, MGET keys, …), or null for a query that is none. */
export function cacheOf(q: QueryMessage): [number, number] | null {
  return q.cacheHits === undefined && q.cacheMisses === undefined ? null : [q.cacheHits ?? 0, q.cacheMisses ?? 0];
}
