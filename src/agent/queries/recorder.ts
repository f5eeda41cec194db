import type { DbKind, QueryMessage, QueryScope, SourceLocation } from '../../protocol/messages';
import { MAX_SQL_CHARS } from '../../protocol/messages';
import { micro } from '../clock';
import type { AgentContext } from '../context';
import { captureCallsite } from './callsite';
import type { Capture } from './callsite';
import { formatParams } from './params';
import { readPoolAgain } from './pool-gauges';

/** One query between its start and its end. */
export interface Pending {
  t: number;
  db: DbKind;
  text: string;
  truncated: boolean;
  params: string[] | undefined;
  scope: QueryScope | null;
  callsite: SourceLocation | null;
  stack: SourceLocation[] | undefined;
  /** with no callsite: the innermost library frame */
  library: SourceLocation | undefined;
  /** the ORM or query builder the app spoke (see Capture.orm) */
  orm: string | undefined;
  /** the package that called the app's frames (graphql, express) */
  callerLibrary: string | undefined;
  done: boolean;
  /** a cache read's keys found and not found, set before it ends */
  cacheHits?: number;
  cacheMisses?: number;
  /** ms it waited in a pool for a connection (see startHanded) */
  poolWaitMs?: number;
  /** the pool had room when the query was asked (see followPool): whatever it waited was not a queue */
  poolRoom?: boolean;
  /** the size limit of the pool it went through, when the pool says */
  poolMax?: number;
  /** the pool it was asked of: read again when a connection takes it (see startHanded) */
  pool?: object;
  /** the agent's number for the connection it ran on */
  conn?: number;
}

/**
 * Lazy call sites. A stack capture costs 5–25 µs, more than most SQLite queries. Per scope
 * name and SQL text, once TRUST captures in a row found the same call site, later queries
 * reuse it and only one in RESAMPLE captures again; a sample that disagrees sends that text
 * back to capturing every time. N+1 loops (the same text from one line, over and over) thus
 * cost a stack capture once in RESAMPLE queries.
 */
const TRUST = 16;
const RESAMPLE = 32;
const MAX_SITES = 4096;

interface SiteStat {
  capture: Capture;
  agreeing: number;
  calls: number;
  /** the shallow capture found no application frame for this text */
  deep: boolean;
}

function sameLocation(a: SourceLocation | null, b: SourceLocation | null): boolean {
  return a === b || (a !== null && b !== null && a.line === b.line && a.column === b.column && a.file === b.file);
}

export class QueryRecorder {
  private readonly sites = new Map<string, Map<string, SiteStat>>();
  private siteCount = 0;

  /** Where the app entered the ORM whose work is running (see entry-sites.ts). */
  entry: (() => Capture | null) | null = null;
  /** Where to look when nothing else named an application frame (query builders' own sites). */
  fallback: (() => Capture | null) | null = null;

  constructor(private readonly ctx: AgentContext) {}

  now(): number {
    return this.ctx.now();
  }

  /**
   * Starts a query issued by the app through `entry` (the driver method the app called).
   * `siteKey` names the text for the call-site cache when the text itself varies per call
   * (a Redis command carries its key). Throws only if the agent is broken; callers wrap it.
   */
  begin(db: DbKind, sql: unknown, values: unknown, entry: Function, siteKey?: string): Pending {
    const t = this.ctx.now();
    let text = typeof sql === 'string' ? sql : sql == null ? '' : String(sql);
    let truncated = false;
    if (text.length > MAX_SQL_CHARS) {
      text = text.slice(0, MAX_SQL_CHARS);
      truncated = true;
    }
    const scope = this.ctx.currentScope();
    const site = this.entry === null ? null : this.entry();
    let capture = this.callsite(scope === null ? '' : scope.name, siteKey ?? text, entry, site);
    if (capture.callsite === null && this.fallback !== null) capture = this.fallback() ?? capture;
    const library = capture.callsite === null ? capture.library : undefined;
    // the ORM entry the app called (outermost) names the ORM better than the library frame
    // under an async app frame, which may be the query builder the ORM runs on (knex under Objection)
    const orm = site?.orm ?? capture.orm;
    return {
      t,
      db,
      text,
      truncated,
      params: formatParams(values),
      scope,
      callsite: capture.callsite,
      stack: capture.stack,
      library,
      orm,
      callerLibrary: capture.callerLibrary,
      done: false,
    };
  }

  /**
   * A query a pool queued starts on a connection: the time since the app's call was the wait
   * for a free connection, and its duration counts from here (the database's time). On a
   * connection the pool has just `opened` for it, that time was the opening, not a queue: 0.
   */
  startHanded(pending: Pending, opened = false): void {
    const now = this.ctx.now();
    pending.poolWaitMs = opened || pending.poolRoom === true ? 0 : micro(Math.max(0, now - pending.t));
    pending.t = now;
    const pool = pending.pool;
    if (pool !== undefined) {
      pending.pool = undefined;
      readPoolAgain(pool);
    }
  }

  /** Ends a query once (later calls are ignored) and emits it. Never throws. */
  end(pending: Pending, failed: boolean): void {
    try {
      if (pending.done) return;
      pending.done = true;
      const message: QueryMessage = {
        type: 'query',
        pid: this.ctx.pid,
        t: pending.t,
        durationMs: micro(this.ctx.now() - pending.t),
        db: pending.db,
        text: pending.text,
        scope: pending.scope,
        callsite: pending.callsite,
        error: failed,
      };
      if (pending.params !== undefined) message.params = pending.params;
      if (pending.stack !== undefined) message.stack = pending.stack;
      if (pending.library !== undefined) message.library = pending.library;
      if (pending.orm !== undefined) message.orm = pending.orm;
      if (pending.callerLibrary !== undefined) message.callerLibrary = pending.callerLibrary;
      if (pending.truncated) message.truncated = true;
      if (pending.cacheHits !== undefined) message.cacheHits = pending.cacheHits;
      if (pending.cacheMisses !== undefined) message.cacheMisses = pending.cacheMisses;
      if (pending.poolWaitMs !== undefined) message.poolWaitMs = pending.poolWaitMs;
      if (pending.poolMax !== undefined) message.poolMax = pending.poolMax;
      if (pending.conn !== undefined) message.conn = pending.conn;
      this.ctx.emit(message);
    } catch {
      /* never into the app */
    }
  }

  /** `site`: where the app entered the ORM whose work is running, if any. */
  private callsite(scopeName: string, text: string, entry: Function, site: Capture | null): Capture {
    let byText = this.sites.get(scopeName);
    const stat = byText?.get(text);
    // The app called an ORM and the driver's own stack is known to hold no app frame: the
    // ORM entry's site is the answer, at no capture.
    if (stat !== undefined && stat.deep && site !== null) return site;
    if (stat !== undefined && stat.agreeing >= TRUST && ++stat.calls % RESAMPLE !== 0) return stat.capture;
    const capture = captureCallsite(entry, stat?.deep ?? false, site);
    const deep = capture.deep || capture === site;
    if (stat !== undefined) {
      if (sameLocation(stat.capture.callsite, capture.callsite)) stat.agreeing++;
      else stat.agreeing = 1;
      stat.capture = capture;
      stat.deep = deep;
      return capture;
    }
    if (this.siteCount >= MAX_SITES) {
      this.sites.clear();
      this.siteCount = 0;
      byText = undefined;
    }
    if (byText === undefined) this.sites.set(scopeName, (byText = new Map()));
    byText.set(text, { capture, agreeing: 1, calls: 0, deep });
    this.siteCount++;
    return capture;
  }
}
