/**
 * Wire protocol between the agent (inside the app) and the session server.
 * Every message the agent sends is one of `AgentMessage`; the recording (`--record`) holds
 * them one per line exactly as received after validation. Extend only with optional fields
 * or new types: users and outside checks read these shapes.
 */

export const PROTOCOL_VERSION = 1;

/** Largest frame the server reads; larger frames are dropped and counted. */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** Longest SQL text the agent sends; longer text is cut and marked `truncated`. */
export const MAX_SQL_CHARS = 4096;

export interface SourceLocation {
  file: string;
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
}

/** First frame of every connection. Never recorded: it carries the secret. */
export interface AuthFrame {
  type: 'auth';
  token: string;
  protocol: number;
}

/** Several messages in one frame; the agent flushes at least every 100 ms. */
export interface BatchFrame {
  type: 'batch';
  messages: AgentMessage[];
  /** the batch's http messages of one process, as rows (see HttpRow) */
  http?: HttpRows;
  /** the batch's query messages of one process, as rows with a table of their locations (see QueryWireRow) */
  queries?: QueryRows;
}

/**
 * One http message without its keys: [at, t, method, route, status, durationMs, scope, path?],
 * `at` being its index among all the messages of the batch (so the order is kept exactly) and
 * `path` left out when it equals the route. An app sends one per request, so on the wire they
 * go as rows: a third of the bytes, and half the agent's stringify time, of the same messages
 * as objects. The server turns them back into HttpMessages; nothing past decoding sees rows.
 */
export type HttpRow =
  | [number, number, string, string, number, number, string | null]
  | [number, number, string, string, number, number, string | null, string];

export interface HttpRows {
  pid: number;
  rows: HttpRow[];
}

/**
 * A batch's query messages of one process without their keys, their source locations in a
 * table of the batch: a query's call site and stack name the same few files over and over
 * (four full paths in a Redis GET's 457 bytes), and stringifying them was the agent's largest
 * cost per captured command. As rows, a batch of 100 such GETs takes 146 bytes and 1.3 µs per
 * query to build and stringify, against 457 bytes and 2.1 µs as objects (measured here). One row:
 *
 *   [at, t, durationMs, db, text, scopeId, scopeName, callsite, error, more?]
 *
 * `at` is the message's index among all the messages of the batch (as for http rows);
 * `scopeId`/`scopeName` are null for no scope; `callsite` is an index into `locs` or -1 for
 * none; `error` is 0 or 1; `more` holds the optional fields as QueryMessage names them, with
 * `stack` as indexes into `locs` and `library` as one index. A loc is [file index, line, column]
 * into `files`. Tables hold only what this batch uses: decoding needs no state of the connection.
 */
export type QueryWireRow =
  | [number, number, number, string, string, string | null, string | null, number, 0 | 1]
  | [number, number, number, string, string, string | null, string | null, number, 0 | 1, Record<string, unknown>];

export type LocRow = [number, number, number];

export interface QueryRows {
  pid: number;
  files: string[];
  locs: LocRow[];
  rows: QueryWireRow[];
}

export interface HelloMessage {
  type: 'hello';
  pid: number;
  t: number;
  protocol: number;
  nodeVersion: string;
  argv: string[];
  cwd: string;
  ppid?: number;
  execArgv?: string[];
  /** epoch ms when the process started (performance.timeOrigin) */
  startedAt?: number;
  /** 'launch' through NODE_OPTIONS, 'attach' when injected over the inspector */
  via?: 'launch' | 'attach';
  heapLimit?: number;
  isClusterWorker?: boolean;
}

export interface MemoryMessage {
  type: 'memory';
  pid: number;
  t: number;
  heapUsed: number;
  heapTotal: number;
  rss: number;
  external: number;
  arrayBuffers: number;
  heapLimit?: number;
}

export type GcKind = 'minor' | 'major' | 'incremental' | 'weakcb';

export interface GcMessage {
  type: 'gc';
  pid: number;
  t: number;
  kind: GcKind;
  durationMs: number;
  heapUsedAfter?: number;
}

/**
 * Collections the agent folded into one message instead of a `gc` message each: minor GCs
 * (scavenges), a hundred a second in a busy app, whose pauses matter only in sum. Per kind,
 * durations in classes 2.2 % apart over [fromT, t], each the mean of its collections; no heap
 * size after (the post-GC heap trend reads major GCs). Readers expand it into `gc` messages
 * spread evenly over the window.
 */
export interface GcSummaryMessage {
  type: 'gcSummary';
  pid: number;
  /** end of the window (epoch ms) */
  t: number;
  /** start of the window (epoch ms) */
  fromT: number;
  pauses: GcSummaryPauses[];
}

export interface GcSummaryPauses {
  kind: GcKind;
  /** one duration (ms) per class: the mean of the class's collections */
  durationsMs: number[];
  /** collections per class, parallel to durationsMs */
  counts: number[];
}

export interface EventLoopMessage {
  type: 'eventLoop';
  pid: number;
  t: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs?: number;
  /** 0..1, share of the interval the loop was busy */
  utilization: number;
}

export interface CpuMessage {
  type: 'cpu';
  pid: number;
  t: number;
  userMs: number;
  systemMs: number;
  /** user+system over wall time, 0..100 per core */
  percent: number;
}

export interface HttpMessage {
  type: 'http';
  pid: number;
  t: number;
  method: string;
  route: string;
  status: number;
  durationMs: number;
  scope: string | null;
  path?: string;
}

/**
 * Requests the agent folded into one message instead of an `http` message each: those whose
 * scope issued no query, which nothing needs one by one. One entry per status, method and
 * route over [fromT, t]; each request's duration is its class's mean (classes 2.2 % apart).
 * Readers expand it into `http` messages with `scope: null`, spread evenly over the window.
 */
export interface HttpSummaryMessage {
  type: 'httpSummary';
  pid: number;
  /** end of the window (epoch ms) */
  t: number;
  /** start of the window (epoch ms) */
  fromT: number;
  routes: HttpSummaryRoute[];
}

export interface HttpSummaryRoute {
  method: string;
  route: string;
  status: number;
  /** one duration (ms) per class: the mean of the class's requests */
  durationsMs: number[];
  /** requests per class, parallel to durationsMs */
  counts: number[];
}

export type DbKind = 'postgres' | 'mysql' | 'sqlite' | 'mongodb' | 'redis' | 'other';

export interface QueryScope {
  id: string;
  name: string;
}

export interface QueryMessage {
  type: 'query';
  pid: number;
  t: number;
  durationMs: number;
  db: DbKind;
  text: string;
  scope: QueryScope | null;
  callsite: SourceLocation | null;
  error: boolean;
  /** bound parameters as short strings, for duplicate detection */
  params?: string[];
  /** further application frames above the call site (its caller, the loop, the handler) */
  stack?: SourceLocation[];
  /** with no callsite: the innermost library frame that issued the query */
  library?: SourceLocation;
  /** the npm package the app called to issue it (`knex`, `sequelize`, `@prisma/client`), when not the driver */
  orm?: string;
  /** the npm package whose code called the app's frames (`graphql` for a resolver) */
  callerLibrary?: string;
  truncated?: boolean;
  /**
   * A cache read (Redis GET, MGET, HGET, HGETALL, …; a pipeline's reads summed): the keys it
   * found a value for, and those it found none (nil, an empty hash).
   */
  cacheHits?: number;
  cacheMisses?: number;
  /**
   * ms the query (or the checkout it is the first query of) waited in a pool (pg-pool, mysql2,
   * mariadb, knex, Sequelize) for a free connection; 0 when the pool opened one for it or had room
   */
  poolWaitMs?: number;
  /** that pool's size limit (its max / connectionLimit), when known */
  poolMax?: number;
  /** the agent's number for the connection (pg, mysql2) or checkout (mariadb) it ran on: a transaction's queries share it */
  conn?: number;
}

/** One database pool of the app at a moment: its connections and the queries waiting for one. */
export interface PoolStat {
  /** the agent's number for the pool, stable for the process's life */
  id: number;
  /** the pool's library: pg-pool, mysql2, mariadb, knex (tarn), sequelize */
  driver: string;
  /** its size limit, when it says */
  max: number | null;
  /** connections open */
  size: number;
  /** connections checked out */
  inUse: number;
  /** acquisitions waiting for a connection */
  waiting: number;
}

/** The app's pools, sent once a second while any of them changed (never while none exists). */
export interface PoolsMessage {
  type: 'pools';
  pid: number;
  t: number;
  pools: PoolStat[];
}

export interface ListenMessage {
  type: 'listen';
  pid: number;
  t: number;
  port: number;
  address: string;
}

/** The agent's own count of messages it could not keep (queue full while disconnected). */
export interface DroppedMessage {
  type: 'dropped';
  pid: number;
  t: number;
  count: number;
}

export interface ByeMessage {
  type: 'bye';
  pid: number;
  t: number;
  exitCode?: number;
}

/** Heap after a forced GC, taken on request (between `--rounds`, or by the extension). */
export interface HeapMeasureMessage {
  type: 'heapMeasure';
  pid: number;
  t: number;
  /** the load round this closes (0 = baseline before the first) */
  round: number;
  heapUsed: number;
  heapTotal: number;
  rss: number;
  external: number;
  arrayBuffers: number;
}

/** One frame of JavaScript as V8's sampling heap profiler names it (1-based line and column). */
export interface HeapFrame {
  /** function name; '' for anonymous functions */
  name: string;
  /** script URL as V8 reports it: an absolute path (CommonJS), file:// (ESM), node:… */
  url: string;
  /** 1-based line of the function's start (the profiler does not give the statement) */
  line: number;
  /** 1-based column of the function's start */
  column: number;
}

/** Live bytes the sampling heap profiler attributes to one allocation site. */
export interface HeapSite extends HeapFrame {
  /** estimated live bytes (the profiler's scaled size of live samples) */
  bytes: number;
  /** live samples behind the estimate */
  count: number;
  /** calling frames of the heaviest path into this site, nearest caller first (bounded) */
  callers?: HeapFrame[];
  /** the frame that allocated when it is not application code (builtin, node:, node_modules) */
  allocatedBy?: HeapFrame;
  /** the innermost node_modules frame between the site and the allocation: the library that keeps it */
  library?: HeapFrame;
}

/**
 * Per-allocation-site live bytes from the sampling heap profiler, top sites only. Sent every
 * few seconds, and with `round` after the forced GC that closes a `--rounds` load round.
 */
export interface HeapSitesMessage {
  type: 'heapSites';
  pid: number;
  t: number;
  /** the profiler's sampling interval in bytes */
  intervalBytes: number;
  /** live bytes of all samples, application code or not */
  totalBytes: number;
  /** the top sites by live bytes, heaviest first */
  sites: HeapSite[];
  /** set when taken after the forced GC that closed this load round */
  round?: number;
  /** how long the app was blocked reading the profile */
  durationMs?: number;
}

/** Answer to a server command. */
export interface ResultMessage {
  type: 'result';
  pid: number;
  t: number;
  id: number;
  ok: boolean;
  error?: string;
  data?: unknown;
}

export type AgentMessage =
  | HelloMessage
  | MemoryMessage
  | GcMessage
  | EventLoopMessage
  | CpuMessage
  | HttpMessage
  | HttpSummaryMessage
  | GcSummaryMessage
  | QueryMessage
  | PoolsMessage
  | ListenMessage
  | DroppedMessage
  | ByeMessage
  | HeapMeasureMessage
  | HeapSitesMessage
  | ResultMessage;

export type AgentMessageType = AgentMessage['type'];

/** Server → agent. Unknown command names are answered with ok:false and otherwise ignored. */
export interface CommandFrame {
  type: 'command';
  id: number;
  name: string;
  args?: Record<string, unknown>;
}
