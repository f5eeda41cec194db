import type { AgentMessage, AuthFrame } from './messages';
import { MAX_FRAME_BYTES } from './messages';
import { readQueryRows } from './query-rows';

/**
 * Validation of every frame the server receives. A frame that fails is dropped whole with a
 * reason; nothing from it reaches a session. Checks are a table per message type so a new
 * type is one entry, and the cost per message stays a handful of typeof checks.
 */

type FieldKind =
  | 'number'
  | 'int'
  | 'count'
  | 'nonNegative'
  | 'string'
  | 'boolean'
  | 'string[]'
  | 'location'
  | 'location[]'
  | 'scope'
  | 'heapSite[]'
  | 'summaryRoute[]'
  | 'gcPauses[]'
  | 'poolStats[]'
  | 'any';

interface FieldSpec {
  kind: FieldKind;
  optional?: boolean;
  nullable?: boolean;
  oneOf?: readonly string[];
}

const num: FieldSpec = { kind: 'number' };
const int: FieldSpec = { kind: 'int' };
/** a non-negative integer */
const count: FieldSpec = { kind: 'count' };
const str: FieldSpec = { kind: 'string' };
const opt = (spec: FieldSpec): FieldSpec => ({ ...spec, optional: true });
const nullable = (spec: FieldSpec): FieldSpec => ({ ...spec, nullable: true });

const base = { pid: int, t: num };

/** A non-negative integer: a count, an id. */
const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;

const SCHEMAS: Record<AgentMessage['type'], Record<string, FieldSpec>> = {
  hello: {
    ...base,
    protocol: int,
    nodeVersion: str,
    argv: { kind: 'string[]' },
    cwd: str,
    ppid: opt(int),
    execArgv: opt({ kind: 'string[]' }),
    startedAt: opt(num),
    via: opt({ kind: 'string', oneOf: ['launch', 'attach'] }),
    heapLimit: opt(num),
    isClusterWorker: opt({ kind: 'boolean' }),
  },
  memory: {
    ...base,
    heapUsed: num,
    heapTotal: num,
    rss: num,
    external: num,
    arrayBuffers: num,
    heapLimit: opt(num),
  },
  gc: {
    ...base,
    kind: { kind: 'string', oneOf: ['minor', 'major', 'incremental', 'weakcb'] },
    durationMs: num,
    heapUsedAfter: opt(num),
  },
  eventLoop: { ...base, p50Ms: num, p99Ms: num, maxMs: num, meanMs: opt(num), utilization: num },
  cpu: { ...base, userMs: num, systemMs: num, percent: num },
  http: {
    ...base,
    method: str,
    route: str,
    status: int,
    durationMs: num,
    scope: nullable(str),
    path: opt(str),
  },
  httpSummary: { ...base, fromT: num, routes: { kind: 'summaryRoute[]' } },
  gcSummary: { ...base, fromT: num, pauses: { kind: 'gcPauses[]' } },
  query: {
    ...base,
    durationMs: num,
    db: { kind: 'string', oneOf: ['postgres', 'mysql', 'sqlite', 'mongodb', 'redis', 'other'] },
    text: str,
    scope: nullable({ kind: 'scope' }),
    callsite: nullable({ kind: 'location' }),
    error: { kind: 'boolean' },
    params: opt({ kind: 'string[]' }),
    stack: opt({ kind: 'location[]' }),
    library: opt({ kind: 'location' }),
    orm: opt(str),
    callerLibrary: opt(str),
    truncated: opt({ kind: 'boolean' }),
    cacheHits: opt(count),
    cacheMisses: opt(count),
    poolWaitMs: opt({ kind: 'nonNegative' }),
    poolMax: opt(count),
    conn: opt(count),
  },
  pools: { ...base, pools: { kind: 'poolStats[]' } },
  listen: { ...base, port: int, address: str },
  dropped: { ...base, count: int },
  bye: { ...base, exitCode: opt(int) },
  heapMeasure: { ...base, round: int, heapUsed: num, heapTotal: num, rss: num, external: num, arrayBuffers: num },
  heapSites: {
    ...base,
    intervalBytes: num,
    totalBytes: num,
    sites: { kind: 'heapSite[]' },
    round: opt(int),
    durationMs: opt(num),
  },
  result: { ...base, id: int, ok: { kind: 'boolean' }, error: opt(str), data: opt({ kind: 'any' }) },
};

export const MESSAGE_TYPES = Object.keys(SCHEMAS) as AgentMessage['type'][];

/** Longest array of strings (argv, params) and stack a message may carry. */
const MAX_LIST = 256;

function isLocation(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  const l = v as Record<string, unknown>;
  return (
    typeof l.file === 'string' &&
    Number.isInteger(l.line) &&
    Number.isInteger(l.column) &&
    (l.line as number) >= 0 &&
    (l.column as number) >= 0
  );
}

/** Sites per heapSites message and calling frames per site: bounded, so one frame stays small. */
const MAX_HEAP_SITES = 200;
const MAX_HEAP_CALLERS = 32;

function isHeapFrame(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  const f = v as Record<string, unknown>;
  return (
    typeof f.name === 'string' &&
    typeof f.url === 'string' &&
    Number.isSafeInteger(f.line) &&
    Number.isSafeInteger(f.column)
  );
}

function isHeapSite(v: unknown): boolean {
  if (!isHeapFrame(v)) return false;
  const s = v as Record<string, unknown>;
  return (
    typeof s.bytes === 'number' &&
    Number.isFinite(s.bytes) &&
    Number.isSafeInteger(s.count) &&
    (s.callers === undefined ||
      (Array.isArray(s.callers) && s.callers.length <= MAX_HEAP_CALLERS && s.callers.every(isHeapFrame))) &&
    (s.allocatedBy === undefined || isHeapFrame(s.allocatedBy)) &&
    (s.library === undefined || isHeapFrame(s.library))
  );
}

/**
 * Bounds of an httpSummary (and of a gcSummary's classes): routes, duration classes per route (a class is 2.2 % wide, so
 * 1 µs to an hour spans ~1 000) and requests in all, so one message cannot expand into more
 * than a second of a very busy server.
 */
const MAX_SUMMARY_ROUTES = 5000;
const MAX_SUMMARY_CLASSES = 2000;
const MAX_SUMMARY_TOTAL = 1_000_000;

const GC_KINDS: readonly string[] = ['minor', 'major', 'incremental', 'weakcb'];

/** Members of one entry's paired duration classes, or -1 when they are malformed. */
function classMembers(e: Record<string, unknown>): number {
  const { durationsMs, counts } = e;
  if (!Array.isArray(durationsMs) || !Array.isArray(counts) || durationsMs.length !== counts.length || counts.length > MAX_SUMMARY_CLASSES) return -1;
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    const d = durationsMs[i];
    const n = counts[i];
    if (typeof d !== 'number' || !Number.isFinite(d) || d < 0 || !Number.isSafeInteger(n) || n < 1) return -1;
    total += n;
  }
  return total;
}

/** Entries of a summary, each with its own fields (`head`) and paired duration classes. */
function isSummaryList(value: unknown, maxEntries: number, head: (e: Record<string, unknown>) => boolean): boolean {
  if (!Array.isArray(value) || value.length > maxEntries) return false;
  let total = 0;
  for (const r of value as unknown[]) {
    if (r === null || typeof r !== 'object') return false;
    const e = r as Record<string, unknown>;
    if (!head(e)) return false;
    const n = classMembers(e);
    if (n < 0) return false;
    total += n;
  }
  return total <= MAX_SUMMARY_TOTAL;
}

const isRouteHead = (e: Record<string, unknown>) => typeof e.method === 'string' && typeof e.route === 'string' && Number.isSafeInteger(e.status);
const isGcHead = (e: Record<string, unknown>) => typeof e.kind === 'string' && GC_KINDS.includes(e.kind);

function checkField(value: unknown, spec: FieldSpec): boolean {
  if (value === undefined) return !!spec.optional;
  // 'any' (a command's result data) may be null like any other JSON value
  if (value === null) return !!spec.nullable || spec.kind === 'any';
  switch (spec.kind) {
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'int':
      return Number.isSafeInteger(value);
    case 'count':
      return isCount(value);
    case 'nonNegative':
      return typeof value === 'number' && Number.isFinite(value) && value >= 0;
    case 'string':
      return typeof value === 'string' && (!spec.oneOf || spec.oneOf.includes(value));
    case 'boolean':
      return typeof value === 'boolean';
    case 'string[]':
      return (
        Array.isArray(value) && value.length <= MAX_LIST && value.every((s) => typeof s === 'string')
      );
    case 'location':
      return isLocation(value);
    case 'location[]':
      return Array.isArray(value) && value.length <= MAX_LIST && value.every(isLocation);
    case 'scope': {
      if (typeof value !== 'object') return false;
      const s = value as Record<string, unknown>;
      return typeof s.id === 'string' && typeof s.name === 'string';
    }
    case 'heapSite[]':
      return Array.isArray(value) && value.length <= MAX_HEAP_SITES && value.every(isHeapSite);
    case 'summaryRoute[]':
      return isSummaryList(value, MAX_SUMMARY_ROUTES, isRouteHead);
    case 'gcPauses[]':
      return isSummaryList(value, GC_KINDS.length, isGcHead);
    case 'poolStats[]':
      return Array.isArray(value) && value.length <= MAX_POOLS && value.every(isPoolStat);
    case 'any':
      return true;
  }
}

/** Pools one message may describe: an app has a few; the agent tracks at most this many. */
const MAX_POOLS = 64;

function isPoolStat(p: unknown): boolean {
  if (p === null || typeof p !== 'object') return false;
  const s = p as Record<string, unknown>;
  return (
    isCount(s.id) &&
    typeof s.driver === 'string' &&
    s.driver.length <= 32 &&
    (s.max === null || (isCount(s.max) && (s.max as number) > 0)) &&
    isCount(s.size) &&
    isCount(s.inUse) &&
    isCount(s.waiting)
  );
}

export type Validated<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Checks one message object; returns a reason a developer can read when it is not valid. */
export function validateMessage(value: unknown): Validated<AgentMessage> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reason: 'message is not an object' };
  }
  const msg = value as Record<string, unknown>;
  const type = msg.type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(SCHEMAS, type)) {
    return { ok: false, reason: `unknown message type ${JSON.stringify(String(type).slice(0, 40))}` };
  }
  const schema = SCHEMAS[type as AgentMessage['type']];
  for (const field in schema) {
    if (!checkField(msg[field], schema[field])) {
      return { ok: false, reason: `${type}.${field} is missing or has the wrong type` };
    }
  }
  return { ok: true, value: msg as unknown as AgentMessage };
}

/** A decoded frame: either the messages it carried, or why it was dropped. */
export type DecodedFrame =
  | { ok: true; messages: AgentMessage[] }
  | { ok: false; reason: string };

/**
 * Decodes one data frame (a single message or a batch). A batch with any invalid message is
 * dropped whole: a sender that breaks the protocol once is not trusted for the rest of it.
 */
export function decodeFrame(data: string | Buffer): DecodedFrame {
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  if (size > MAX_FRAME_BYTES) return { ok: false, reason: `frame of ${size} bytes is over the limit` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch {
    return { ok: false, reason: 'frame is not valid JSON' };
  }
  if (parsed !== null && typeof parsed === 'object' && (parsed as { type?: unknown }).type === 'batch') {
    const list = (parsed as { messages?: unknown }).messages;
    if (!Array.isArray(list)) return { ok: false, reason: 'batch.messages is not an array' };
    const out: AgentMessage[] = [];
    for (const item of list) {
      const v = validateMessage(item);
      if (!v.ok) return v;
      out.push(v.value);
    }
    const { http, queries } = parsed as { http?: unknown; queries?: unknown };
    if (http === undefined && queries === undefined) return { ok: true, messages: out };
    const all = withRows(out, http, queries);
    return all.ok ? { ok: true, messages: all.value } : all;
  }
  const v = validateMessage(parsed);
  return v.ok ? { ok: true, messages: [v.value] } : v;
}

/** A batch's http rows as [at, message] pairs (not yet validated). */
function readHttpRows(value: unknown): Validated<Array<[number, Record<string, unknown>]>> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: 'batch.http is not an object' };
  const { pid, rows } = value as { pid?: unknown; rows?: unknown };
  if (!Array.isArray(rows)) return { ok: false, reason: 'batch.http.rows is not an array' };
  const out: Array<[number, Record<string, unknown>]> = [];
  for (const row of rows) {
    if (!Array.isArray(row) || (row.length !== 7 && row.length !== 8)) return { ok: false, reason: 'batch.http row is not an array of 7 or 8 fields' };
    out.push([row[0], { type: 'http', pid, t: row[1], method: row[2], route: row[3], status: row[4], durationMs: row[5], scope: row[6], path: row.length === 8 ? row[7] : row[3] }]);
  }
  return { ok: true, value: out };
}

/**
 * The batch's messages with its http and query rows put back as the messages they stand for,
 * at their places. Each kind's rows must name strictly increasing places that, with the other
 * messages, fill the batch exactly, no place named twice.
 */
function withRows(messages: AgentMessage[], http: unknown, queries: unknown): Validated<AgentMessage[]> {
  const kinds: Array<{ name: string; rows: Array<[number, Record<string, unknown>]>; next: number }> = [];
  if (http !== undefined) {
    const r = readHttpRows(http);
    if (!r.ok) return r;
    kinds.push({ name: 'http', rows: r.value, next: 0 });
  }
  if (queries !== undefined) {
    const r = readQueryRows(queries);
    if (!r.ok) return r;
    kinds.push({ name: 'queries', rows: r.value, next: 0 });
  }
  const total = kinds.reduce((n, k) => n + k.rows.length, messages.length);
  for (const k of kinds) {
    let last = -1;
    for (const [at] of k.rows) {
      if (!Number.isInteger(at) || at <= last || at >= total) return { ok: false, reason: `batch.${k.name} row has no valid place in the batch` };
      last = at;
    }
  }
  const out: AgentMessage[] = [];
  let next = 0; // next of `messages` to place
  while (out.length < total) {
    const at = out.length;
    let placed: Record<string, unknown> | null = null;
    for (const k of kinds) {
      const row = k.rows[k.next];
      if (row === undefined || row[0] !== at) continue;
      if (placed !== null) return { ok: false, reason: `batch.${k.name} row has no valid place in the batch` };
      placed = row[1];
      k.next++;
    }
    if (placed === null) {
      if (next >= messages.length) return { ok: false, reason: `batch.${kinds[0].name} row has no valid place in the batch` };
      out.push(messages[next++]);
      continue;
    }
    const v = validateMessage(placed);
    if (!v.ok) return v;
    out.push(v.value);
  }
  return { ok: true, value: out };
}

/** Checks the first frame of a connection; returns the token it carries or null. */
export function readAuthFrame(data: string | Buffer): AuthFrame | null {
  const size = typeof data === 'string' ? data.length : data.length;
  if (size > 4096) return null;
  try {
    const parsed = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
    if (parsed && parsed.type === 'auth' && typeof parsed.token === 'string' && Number.isInteger(parsed.protocol)) {
      return parsed as AuthFrame;
    }
  } catch {
    /* not JSON: not an auth frame */
  }
  return null;
}
