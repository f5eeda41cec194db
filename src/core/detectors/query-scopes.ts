import type { HttpMessage, QueryMessage, SourceLocation } from '../../protocol';
import { analyzeSql, type QueryShape } from '../queries/fingerprint';

/** One query with what the tokenizer learned about it; `index` is its arrival position. */
export interface AnalyzedQuery {
  q: QueryMessage;
  shape: QueryShape;
  index: number;
  scope: QueryScopeGroup;
}

/** The queries of one HTTP request, or of one burst of work outside any request. */
export interface QueryScopeGroup {
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

/** What the requests' http messages say of the scopes. */
export interface ScopeRequests {
  /** an http message named the scope (an agent's burst with one is a request) */
  has(id: string): boolean;
  /** names the request scopes after their routes and sets their durations */
  describe(requests: ReadonlyMap<string, QueryScopeGroup>): void;
}

/** The options' maps (a caller's own) as ScopeRequests. */
export function requestsFromMaps(names?: ReadonlyMap<string, string>, durations?: ReadonlyMap<string, number>): ScopeRequests {
  return {
    has: (id) => names?.has(id) ?? false,
    describe(requests) {
      for (const [id, g] of requests) {
        const name = names?.get(id);
        if (name !== undefined) g.name = name;
        const d = durations?.get(id);
        if (d !== undefined) g.durationMs = d;
      }
    },
  };
}

type HttpFields = Pick<HttpMessage, 'scope' | 'method' | 'route' | 'durationMs'>;

/**
 * The http messages as ScopeRequests: a scope is named by its last message (as
 * scopeNamesFromHttp) and lasts its last finite duration. One pass that looks up the scopes
 * that ran queries, where two 200 000-entry Maps and a name per message took 7 % of an analysis.
 */
export function requestsFromHttp(http: readonly HttpFields[]): ScopeRequests {
  /** built when first asked: only the agent's bursts ask */
  let named: Set<string> | undefined;
  return {
    has(id) {
      if (!named) {
        named = new Set();
        for (const h of http) if (h.scope) named.add(h.scope);
      }
      return named.has(id);
    },
    describe(requests) {
      // one string per route: names are Map keys downstream, where a fresh one is hashed anew
      const names = new Map<string, { method: string; name: string }>();
      for (const h of http) {
        const g = h.scope ? requests.get(h.scope) : undefined;
        if (g === undefined) continue;
        let n = names.get(h.route);
        if (n === undefined || n.method !== h.method) names.set(h.route, (n = { method: h.method, name: `${h.method} ${h.route}` }));
        g.name = n.name;
        if (Number.isFinite(h.durationMs)) g.durationMs = h.durationMs;
      }
    },
  };
}

/**
 * Analyses each query and groups the queries by scope id. Queries without a scope are split
 * into bursts: a new burst starts when no query ran for `burstGapMs` (measured from the end of
 * the latest one).
 */
export function groupByScope(queries: readonly QueryMessage[], burstGapMs: number, requests?: ScopeRequests): QueryScopeGroup[] {
  const groups: QueryScopeGroup[] = [];
  // opened with its first query: an empty array's first push reserves 17 slots, and most
  // requests run one query (8 MB less to collect per analysis of the 200 000-query recording)
  const open = (first: AnalyzedQuery, name: string, isRequest: boolean): QueryScopeGroup => {
    const g: QueryScopeGroup = { name, queries: [first], isRequest };
    first.scope = g;
    groups.push(g);
    return g;
  };
  // Looked up by the raw id (the previous query's scope first: a request's queries often arrive
  // together), and each AnalyzedQuery built once: a `s:${id}` key and a spread copy per query
  // took 28 % of an analysis of 200 000 queries (CPU profile, plus GC).
  const byId = new Map<string, QueryScopeGroup>();
  const agentBursts = new Map<string, QueryScopeGroup>();
  const unscoped: AnalyzedQuery[] = [];
  let prev: QueryMessage['scope'] = null;
  let g: QueryScopeGroup | undefined;
  for (let index = 0; index < queries.length; index++) {
    const q = queries[index];
    if (!q || typeof q.text !== 'string') continue;
    const s = q.scope;
    const item: AnalyzedQuery = { q, shape: analyzeSql(q.text, q.db), index, scope: undefined as unknown as QueryScopeGroup };
    if (!s || typeof s.id !== 'string') {
      unscoped.push(item);
      continue;
    }
    if (!(prev && s.id === prev.id && s.name === prev.name)) {
      prev = s;
      // the agent's own bursts (work outside any request, grouped in the app) are no request
      const burst = s.name === AGENT_BURST_NAME && !requests?.has(s.id);
      const map = burst ? agentBursts : byId;
      g = map.get(s.id);
      if (!g) {
        map.set(s.id, (g = open(item, burst ? NO_SCOPE_NAME : s.name || s.id, !burst)));
        continue;
      }
    }
    item.scope = g!;
    g!.queries.push(item);
  }
  requests?.describe(byId);
  unscoped.sort((a, b) => a.q.t - b.q.t || a.index - b.index);
  let lastEnd = -Infinity;
  g = undefined;
  for (const item of unscoped) {
    if (item.q.t - lastEnd > burstGapMs) g = undefined;
    lastEnd = Math.max(lastEnd, item.q.t + Math.max(0, item.q.durationMs || 0));
    if (!g) g = open(item, NO_SCOPE_NAME, false);
    else {
      item.scope = g;
      g.queries.push(item);
    }
  }
  return groups;
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

/** `file:line`: one place to fix, whatever column (two calls on one line are one finding). */
export function lineKey(c: SourceLocation | null): string {
  return c ? `${c.file}:${c.line}` : '-';
}

/** The last siteKey: a loop's queries come one after another, and a Map hashes each new string anew. */
let lastSite: { shape: QueryShape; db: string; callsite: boolean; file: string; line: number; key: string } | null = null;

/**
 * `file:line\0db\0fingerprint`: one statement at one place to fix. The same string for a run
 * of queries from one site: a fresh key per query, hashed anew by each Map lookup, was a third
 * of the N+1 detector's time on sessions full of N+1s.
 */
export function siteKey(a: AnalyzedQuery): string {
  const { callsite, db } = a.q;
  const file = callsite ? callsite.file : '';
  const line = callsite ? callsite.line : 0;
  const l = lastSite;
  if (l && l.shape === a.shape && l.db === db && l.callsite === !!callsite && l.file === file && l.line === line) return l.key;
  const key = `${lineKey(callsite)}\0${db}\0${a.shape.fingerprint}`;
  lastSite = { shape: a.shape, db, callsite: !!callsite, file, line, key };
  return key;
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
    if (a.q.params.some((p) => p.charCodeAt(0) === 91 /* [ */ && OPAQUE_PARAM.test(p))) return null;
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
