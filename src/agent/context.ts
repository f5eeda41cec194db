import type { AgentMessage, QueryScope } from '../protocol';

/** What a probe gets from the agent: a way to send, a clock and the current scope. */
export interface AgentContext {
  readonly pid: number;
  /** Queue a message; never throws, never blocks (bounded queue, drops counted). */
  emit(message: AgentMessage): void;
  /** Epoch milliseconds with sub-millisecond precision. */
  now(): number;
  /** The HTTP request (or burst of work outside one) the current async context belongs to. */
  currentScope(): QueryScope | null;
  /** Starts request scoping; the query probes call it when they patch a driver. */
  activateScopes?(): void;
  readonly options: AgentOptions;
  /**
   * Answers the server's `command` frames named `name` (heap snapshot, CPU profile, …). The
   * handler's value (or promise) becomes the `result`'s data; a throw becomes ok:false.
   */
  onCommand?(name: string, handler: CommandHandler): void;
}

export type CommandHandler = (args: Record<string, unknown>) => unknown;

/** Parsed from PERF_LENS_OPTIONS (JSON); every field optional. */
export interface AgentOptions {
  /** ms between memory / event-loop / cpu samples (default 1000) */
  sampleIntervalMs: number;
  /** ms between flushes of the send queue (default 50, at most 100) */
  flushIntervalMs: number;
  /** messages kept while disconnected before dropping (default 10000) */
  maxQueue: number;
  /** ms from a folded request to its httpSummary message (default 100, 100 – 60 000) */
  summaryIntervalMs: number;
  probes: {
    memory: boolean;
    gc: boolean;
    eventLoop: boolean;
    cpu: boolean;
    http: boolean;
    queries: boolean;
  };
}
