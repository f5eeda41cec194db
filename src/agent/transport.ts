import * as net from 'node:net';
import WebSocket from 'ws';
import type { AgentMessage, BatchFrame, CommandFrame, HttpRow } from '../protocol/messages';
import { MAX_FRAME_BYTES, PROTOCOL_VERSION } from '../protocol/messages';
import { QueryRowsWriter } from '../protocol/query-rows';

export interface TransportConfig {
  url: string;
  token: string;
  maxQueue: number;
  flushIntervalMs: number;
  /** Messages that open every connection, right after auth (the hello). */
  greeting(): AgentMessage[];
  /** A `dropped` message for `count` messages lost since the last report. */
  droppedMessage(count: number): AgentMessage;
  onCommand(frame: CommandFrame): void;
}

/** How often the exit drain looks at the socket's buffer. */
const DRAIN_POLL_MS = 10;
const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 5000;
/** Most messages in one frame, and frames in one flush: keeps each flush short for the loop. */
const BATCH_MESSAGES = 1000;
const BATCHES_PER_FLUSH = 5;
/** Bytes waiting in the socket above which the agent stops writing and lets the queue fill. */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;
/** Close code the session server uses for a wrong or missing token: retrying cannot help. */
const AUTH_REFUSED = 4001;

/** A socket that never keeps the app alive, from the TCP connect on. */
function unrefConnection(options: net.NetConnectOpts): net.Socket {
  const socket = net.connect(options);
  socket.unref();
  return socket;
}

/**
 * The agent's only link to the session server: a bounded queue flushed in batches, sent over
 * a WebSocket that reconnects with backoff. Nothing here throws or keeps the process alive;
 * what cannot be kept is counted and reported in a `dropped` message.
 */
export class Transport {
  private queue: AgentMessage[] = [];
  private unreported = 0;
  private ws: WebSocket | null = null;
  private open = false;
  private flushTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private graceTimer: NodeJS.Timeout | null = null;
  private drainTimer: NodeJS.Timeout | null = null;
  private retryMs = FIRST_RETRY_MS;
  private stopped = false;
  /** Total messages dropped over the life of the process. */
  dropped = 0;

  constructor(private readonly config: TransportConfig) {}

  get connected(): boolean {
    return this.open;
  }

  start(): void {
    this.connect();
  }

  /** Queues one message; drops (and counts) it when the queue is full. */
  emit(message: AgentMessage): void {
    if (this.stopped) return;
    if (this.queue.length >= this.config.maxQueue) {
      this.dropped++;
      this.unreported++;
      return;
    }
    this.queue.push(message);
    if (this.flushTimer === null && this.open) this.scheduleFlush(this.config.flushIntervalMs);
  }

  /** Sends what can be sent right now, synchronously as far as the socket allows (exit path). */
  flushNow(): void {
    try {
      this.flush(Infinity);
    } catch {
      /* never into the app */
    }
  }

  /**
   * Keeps the process alive for at most `maxMs` while a first connection is still being made,
   * so a short script's messages are not lost to an unfinished handshake. Called at beforeExit.
   */
  holdForConnection(maxMs: number): void {
    if (this.stopped || this.open || this.ws === null || this.graceTimer !== null) return;
    this.graceTimer = setTimeout(() => this.endGrace(), maxMs);
  }

  /**
   * At beforeExit: sends everything queued and keeps the process alive until the socket has
   * written it, up to `deadline` (epoch ms). The socket is unref'd, so without this a script
   * whose last tick queued megabytes of messages (a synchronous loop of queries) exits with
   * them, and its bye, still in the socket's buffer.
   */
  holdForDrain(deadline: number): void {
    const ws = this.ws;
    if (this.stopped || !this.open || ws === null || this.drainTimer !== null) return;
    this.flushNow();
    const check = () => {
      this.drainTimer = null;
      if (this.stopped || !this.open || Date.now() >= deadline) return;
      if (this.queue.length > 0) this.flushNow();
      if (ws.bufferedAmount > 0 || this.queue.length > 0) this.drainTimer = setTimeout(check, DRAIN_POLL_MS);
    };
    if (ws.bufferedAmount > 0 || this.queue.length > 0) this.drainTimer = setTimeout(check, DRAIN_POLL_MS);
  }

  private endGrace(): void {
    if (this.graceTimer !== null) clearTimeout(this.graceTimer);
    this.graceTimer = null;
  }

  private scheduleFlush(ms: number): void {
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      // Bounded: stops at the high-water mark, so a server that stops reading fills the
      // (capped, counted) queue instead of the socket's unbounded buffer.
      try {
        this.flush(BATCHES_PER_FLUSH);
      } catch {
        /* never into the app */
      }
    }, ms);
    this.flushTimer.unref();
  }

  private flush(maxBatches: number): void {
    const ws = this.ws;
    if (!this.open || ws === null) return;
    if (this.unreported > 0) {
      this.queue.unshift(this.config.droppedMessage(this.unreported));
      this.unreported = 0;
    }
    let batches = 0;
    while (this.queue.length > 0 && batches < maxBatches) {
      if (maxBatches !== Infinity && ws.bufferedAmount > HIGH_WATER_BYTES) break;
      const chunk = this.queue.splice(0, BATCH_MESSAGES);
      this.sendChunk(ws, chunk);
      batches++;
      if (maxBatches === Infinity) continue;
      if (batches >= BATCHES_PER_FLUSH) break;
    }
    if (this.queue.length > 0 && this.flushTimer === null && maxBatches !== Infinity) {
      this.scheduleFlush(this.config.flushIntervalMs);
    }
  }

  /** One frame per chunk, halved until it fits the server's frame limit. */
  private sendChunk(ws: WebSocket, chunk: AgentMessage[]): void {
    const text = chunk.length === 1 ? JSON.stringify(chunk[0]) : JSON.stringify(batchFrame(chunk));
    const fits = text.length * 3 < MAX_FRAME_BYTES || Buffer.byteLength(text) < MAX_FRAME_BYTES - 64;
    if (fits) {
      ws.send(text);
      return;
    }
    if (chunk.length === 1) {
      this.dropped++;
      this.unreported++;
      return;
    }
    const half = chunk.length >> 1;
    this.sendChunk(ws, chunk.slice(0, half));
    this.sendChunk(ws, chunk.slice(half));
  }

  private connect(): void {
    if (this.stopped) return;
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.config.url, {
        perMessageDeflate: false, // compression would make sends asynchronous, and the exit path needs them synchronous
        handshakeTimeout: 5000,
        createConnection: unrefConnection,
        // Masking guards browsers' frames against proxies; on a loopback link it is only a
        // byte-by-byte XOR of every batch in JavaScript. A zero mask lets ws skip it.
        generateMask: (mask: Buffer) => mask.fill(0),
      } as unknown as WebSocket.ClientOptions);
    } catch {
      this.stopped = true; // a URL ws cannot even parse will not get better
      this.queue = [];
      return;
    }
    this.ws = ws;
    ws.on('error', () => {
      /* 'close' follows; handled there */
    });
    ws.on('open', () => {
      try {
        this.onOpen(ws);
      } catch {
        /* never into the app */
      }
    });
    ws.on('message', (data: WebSocket.RawData) => {
      try {
        this.onFrame(data);
      } catch {
        /* a bad frame from the server is ignored */
      }
    });
    ws.on('close', (code: number) => {
      try {
        this.onClose(ws, code);
      } catch {
        /* never into the app */
      }
    });
  }

  private onOpen(ws: WebSocket): void {
    const socket = (ws as unknown as { _socket?: net.Socket })._socket;
    socket?.unref();
    this.open = true;
    this.retryMs = FIRST_RETRY_MS;
    ws.send(JSON.stringify({ type: 'auth', token: this.config.token, protocol: PROTOCOL_VERSION }));
    // hello first, then what was lost while nobody listened, then the backlog.
    if (this.unreported > 0) {
      this.queue.unshift(this.config.droppedMessage(this.unreported));
      this.unreported = 0;
    }
    this.queue.unshift(...this.config.greeting());
    this.flush(BATCHES_PER_FLUSH);
    this.endGrace();
  }

  private onFrame(data: WebSocket.RawData): void {
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString();
    const frame = JSON.parse(text) as CommandFrame;
    if (frame && frame.type === 'command' && Number.isSafeInteger(frame.id) && typeof frame.name === 'string') {
      this.config.onCommand(frame);
    }
  }

  private onClose(ws: WebSocket, code: number): void {
    if (this.ws !== ws) return;
    this.ws = null;
    this.open = false;
    this.endGrace();
    if (this.flushTimer !== null) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    if (code === AUTH_REFUSED) {
      // The server will not take this token; stay silent for the rest of the process.
      this.stopped = true;
      this.queue = [];
      return;
    }
    const delay = Math.min(this.retryMs, LAST_RETRY_MS) * (0.75 + Math.random() * 0.5);
    this.retryMs = Math.min(this.retryMs * 2, LAST_RETRY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
    this.retryTimer.unref();
  }
}

/** A batch frame, with this process's http and query messages as rows in their places (see HttpRow, QueryWireRow). */
export function batchFrame(chunk: AgentMessage[]): BatchFrame {
  const messages: AgentMessage[] = [];
  const rows: HttpRow[] = [];
  let queries: QueryRowsWriter | null = null;
  let pid = -1;
  for (let at = 0; at < chunk.length; at++) {
    const m = chunk[at];
    if ((m.type === 'http' || m.type === 'query') && pid === -1) pid = m.pid;
    if (m.type === 'http' && m.pid === pid) {
      rows.push(m.path === undefined || m.path === m.route ? [at, m.t, m.method, m.route, m.status, m.durationMs, m.scope] : [at, m.t, m.method, m.route, m.status, m.durationMs, m.scope, m.path]);
    } else if (m.type === 'query' && m.pid === pid) {
      (queries ??= new QueryRowsWriter(pid)).add(at, m);
    } else {
      messages.push(m);
    }
  }
  const frame: BatchFrame = { type: 'batch', messages };
  if (rows.length > 0) frame.http = { pid, rows };
  if (queries !== null) frame.queries = queries.finish();
  return frame;
}
