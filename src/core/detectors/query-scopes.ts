import type { QueryMessage, SourceLocation } from '../../protocol';
import type { QueryShape } from '../queries/fingerprint';

/** One query with what the tokenizer learned about it; `index` is its arrival position. */
export interface AnalyzedQuery {
  q: QueryMessage;
  shape: QueryShape;
  index: number;
  scope: QueryScopeGroup;
}

/** The queries of one HTTP request, or of one burst of work outside any request. */
export interface QueryScopeGroup {
  key: string;
  name: string;
  queries: AnalyzedQuery[];
  /** an HTTP request (not a burst of work outside any) */
  isRequest: boolean;
  /** the request's duration (ms) from its http message; undefined when unknown */
  durationMs?: number;
}

/** Shown as the scope of queries issued outside any request. */
export const NO_SCOPE_NAME = 'outside any request';
/** The name the agent gives the scope of a burst of work outside any request (agent/scope.ts). */
const AGENT_BURST_NAME = 'burst';

/**
 * Groups queries by scope id. Queries without a scope are split into bursts: a new burst
 * starts when no query ran for `burstGapMs` (measured from the end of the latest one).
 */
export function groupByScope(
  items: Array<Omit<AnalyzedQuery, 'scope'>>,
  burstGapMs: number,
  names?: ReadonlyMap<string, string>,
  durations?: ReadonlyMap<string, number>,
): QueryScopeGroup[] {
  const groups = new Map<string, QueryScopeGroup>();
  const add = (key: string, name: string, item: Omit<AnalyzedQuery, 'scope'>, requestId?: string) => {
    let g = groups.get(key);
    if (!g) {
      g = { key, name, queries: [], isRequest: requestId !== undefined };
      const d = requestId === undefined ? undefined : durations?.get(requestId);
      if (d !== undefined) g.durationMs = d;
      groups.set(key, g);
    }
    g.queries.push({ ...item, scope: g });
  };
  const unscoped: Array<Omit<AnalyzedQuery, 'scope'>> = [];
  for (const item of items) {
    const s = item.q.scope;
    if (s && typeof s.id === 'string') {
      // the agent's own bursts (work outside any request, grouped in the app) are no request
      if (s.name === AGENT_BURST_NAME && !names?.has(s.id)) add(`a:${s.id}`, NO_SCOPE_NAME, item);
      else add(`s:${s.id}`, names?.get(s.id) ?? (s.name || s.id), item, s.id);
    } else unscoped.push(item);
  }
  unscoped.sort((a, b) => a.q.t - b.q.t || a.index - b.index);
  let burst = 0;
  let lastEnd = -Infinity;
  for (const item of unscoped) {
    if (item.q.t - lastEnd > burstGapMs) burst++;
    lastEnd = Math.max(lastEnd, item.q.t + Math.max(0, item.q.durationMs || 0));
    add(`b:${burst}`, NO_SCOPE_NAME, item);
  }
  return [...groups.values()];
}

/**
 * Request scope id → `METHOD /route` from the requests' http messages. The agent names a scope
 * when the request starts, from its raw path; the framework's route template is known only
 * once a router matched it, and the http message carries that. One name everywhere.
 */
export function scopeNamesFromHttp(http: Iterable<{ scope: string | null; method: string; route: string }>): Map<string, string> {
  const names = new Map<string, string>();
  for (const h of http) if (h.scope) names.set(h.scope, `${h.method} ${h.route}`);
  return names;
}

/** Request scope id → the request's duration (ms), from its http message: what an N+1's share is of. */
export function requestDurationsFromHttp(http: Iterable<{ scope: string | null; durationMs: number }>): Map<string, number> {
  const durations = new Map<string, number>();
  for (const h of http) if (h.scope && Number.isFinite(h.durationMs)) durations.set(h.scope, h.durationMs);
  return durations;
}

/** `file:line`: one place to fix, whatever column (two calls on one line are one finding). */
export function lineKey(c: SourceLocation | null): string {
  return c ? `${c.file}:${c.line}` : '-';
}

export function locationKey(c: SourceLocation | null): string {
  return c ? `${c.file}:${c.line}:${c.column}` : '-';
}

/** Quoted SQL for a message, shortened so the sentence stays readable. */
export function quoteSql(text: string, max = 120): string {
  const oneLine = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return `"${oneLine}"`;
}

export function formatMs(ms: number): string {
  if (ms >= 100) return `${Math.round(ms)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** How the agent names a value it does not copy (params.ts): `[object]`, `[array 40]`, `[function]`. */
const OPAQUE_PARAM = /^\[(?:object|array(?: \d+)?|function|symbol)\]$/;

/** Same text with the same params: a repeat that a cache would have saved. */
export function valueKey(a: AnalyzedQuery): string | null {
  if (a.q.params) {
    // an object or a long array the agent could only name is no known value
    if (a.q.params.some((p) => OPAQUE_PARAM.test(p))) return null;
    return `${a.q.text}\0${a.q.params.join('\0')}`;
  }
  return a.shape.hasPlaceholders ? null : a.q.text;
}

const SQL_WRITES = new Set(['insert', 'update', 'delete', 'replace', 'merge', 'upsert', 'call', 'exec', 'execute', 'do']);
const REDIS_READS = new Set(['get', 'mget', 'hget', 'hmget', 'hgetall', 'exists', 'smembers', 'sismember', 'scard', 'zrange',
  'zrangebyscore', 'zscore', 'zcard', 'lrange', 'llen', 'ttl', 'pttl', 'type', 'strlen', 'keys', 'scan', 'hkeys', 'hvals', 'hexists']);

/**
 * Only reads can be duplicates: a repeated identical write (`UPDATE … SET n = n + 1`, INCR)
 * may be exactly what the code means, and "reuse the first result" makes no sense for it.
 */
export function isRead(a: AnalyzedQuery): boolean {
  const { db } = a.q;
  if (db === 'redis') return REDIS_READS.has(a.shape.verb);
  if (db === 'mongodb') {
    const t = a.shape.text;
    return !/insert|update|delete|replace|bulkwrite|findoneand/.test(t);
  }
  return !SQL_WRITES.has(a.shape.verb);
}
