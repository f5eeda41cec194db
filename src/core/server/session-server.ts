import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import {
  decodeFrame,
  readAuthFrame,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  type AgentMessage,
  type CommandFrame,
  type ResultMessage,
} from '../../protocol';
import { newToken, tokensMatch } from './token';

export const CLOSE_UNAUTHORIZED = 4001;
export const CLOSE_PROTOCOL = 4002;
export const CLOSE_AUTH_TIMEOUT = 4003;

export interface SessionServerOptions {
  token?: string;
  /** 0 = a random free port */
  port?: number;
  /** how long a connection may wait before its auth frame (ms) */
  authTimeoutMs?: number;
  /** connections open at once; more are refused */
  maxConnections?: number;
  /** how long sendCommand waits for the agent's result (ms) */
  commandTimeoutMs?: number;
}

export interface ServerStats {
  messages: number;
  framesDropped: number;
  connectionsRefused: number;
  dropReasons: Record<string, number>;
}

/** One agent connection: one process. */
export class AgentConnection {
  pid: number | null = null;
  authenticated = false;
  framesDropped = 0;
  messages = 0;
  readonly connectedAt = Date.now();
  constructor(readonly socket: WebSocket) {}
}

interface PendingCommand {
  /** the connection the command went to: only its answer counts, and its close fails it */
  conn: AgentConnection;
  name: string;
  resolve(result: ResultMessage): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * The WebSocket server agents report to. Binds 127.0.0.1 only; every connection must send the
 * token in its first frame. Invalid frames are dropped and counted, never processed, and never
 * close an authenticated connection.
 */
export class SessionServer extends EventEmitter {
  readonly token: string;
  readonly stats: ServerStats = { messages: 0, framesDropped: 0, connectionsRefused: 0, dropReasons: {} };
  private wss: WebSocketServer | null = null;
  private readonly connections = new Set<AgentConnection>();
  private readonly pending = new Map<number, PendingCommand>();
  private nextCommandId = 1;
  private urlValue = '';

  constructor(private readonly options: SessionServerOptions = {}) {
    super();
    this.token = options.token ?? newToken();
  }

  get url(): string {
    return this.urlValue;
  }

  get port(): number {
    return (this.wss?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Starts listening on 127.0.0.1; resolves with the `ws://` URL for PERF_LENS_URL. */
  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      const wss = new WebSocketServer({
        host: '127.0.0.1',
        port: this.options.port ?? 0,
        // Frames over our own limit are dropped and counted in onFrame; ws closes the
        // connection only far past it, for a peer that is not an agent at all.
        maxPayload: MAX_FRAME_BYTES * 16,
        perMessageDeflate: false,
        clientTracking: false,
      });
      this.wss = wss;
      wss.once('error', reject);
      wss.on('listening', () => {
        wss.off('error', reject);
        wss.on('error', (err) => this.emit('serverError', err));
        this.urlValue = `ws://127.0.0.1:${this.port}/`;
        resolve(this.urlValue);
      });
      wss.on('connection', (socket) => this.accept(socket));
    });
  }

  private accept(socket: WebSocket): void {
    const max = this.options.maxConnections ?? 2048;
    if (this.connections.size >= max) {
      this.stats.connectionsRefused++;
      socket.close(CLOSE_PROTOCOL, 'perf-lens: too many connections');
      return;
    }
    const conn = new AgentConnection(socket);
    this.connections.add(conn);
    const authTimer = setTimeout(() => {
      if (!conn.authenticated) this.refuse(conn, CLOSE_AUTH_TIMEOUT, 'perf-lens: no auth frame in time');
    }, this.options.authTimeoutMs ?? 5000);
    authTimer.unref();

    socket.on('message', (data: RawData, isBinary: boolean) => {
      const frame = isBinary ? toBuffer(data) : toBuffer(data).toString('utf8');
      if (!conn.authenticated) {
        // Frames a refused peer had already sent still arrive while the socket closes:
        // they are ignored, never judged again (no second refusal, no late auth).
        if (socket.readyState !== socket.OPEN) return;
        clearTimeout(authTimer);
        const auth = readAuthFrame(frame);
        if (!auth || !tokensMatch(this.token, auth.token)) {
          this.refuse(conn, CLOSE_UNAUTHORIZED, 'perf-lens: missing or wrong token');
          return;
        }
        if (auth.protocol !== PROTOCOL_VERSION) {
          this.refuse(conn, CLOSE_PROTOCOL, `perf-lens: protocol ${auth.protocol} is not supported`);
          return;
        }
        conn.authenticated = true;
        this.emit('connection', conn);
        return;
      }
      this.onFrame(conn, frame);
    });
    socket.on('error', () => {
      /* a broken peer is a closed peer: handled in 'close' */
    });
    socket.on('close', () => {
      clearTimeout(authTimer);
      this.connections.delete(conn);
      this.failPending(conn);
      if (conn.authenticated) this.emit('disconnect', conn);
    });
  }

  private refuse(conn: AgentConnection, code: number, reason: string): void {
    this.stats.connectionsRefused++;
    conn.socket.close(code, reason);
    // A peer that ignores the close handshake is cut off.
    setTimeout(() => conn.socket.terminate(), 1000).unref();
  }

  private onFrame(conn: AgentConnection, frame: string | Buffer): void {
    const decoded = decodeFrame(frame);
    if (!decoded.ok) {
      conn.framesDropped++;
      this.stats.framesDropped++;
      const key = reasonKey(decoded.reason);
      this.stats.dropReasons[key] = (this.stats.dropReasons[key] ?? 0) + 1;
      this.emit('frameDropped', decoded.reason, conn);
      return;
    }
    for (const msg of decoded.messages) {
      if (conn.pid === null && msg.type === 'hello') conn.pid = msg.pid;
      conn.messages++;
      this.stats.messages++;
      if (msg.type === 'result') this.settleCommand(msg, conn);
      this.emit('message', msg, conn);
    }
  }

  private settleCommand(msg: ResultMessage, conn: AgentConnection): void {
    const p = this.pending.get(msg.id);
    if (!p || p.conn !== conn) return;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    p.resolve(msg);
  }

  /** The agent of `conn` is gone: its pending commands will never be answered. */
  private failPending(conn: AgentConnection): void {
    for (const [id, p] of this.pending) {
      if (p.conn !== conn) continue;
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(new Error(`Process ${conn.pid} disconnected before it answered the command "${p.name}".`));
    }
  }

  /** Connected, authenticated agents. */
  get agents(): AgentConnection[] {
    return [...this.connections].filter((c) => c.authenticated);
  }

  /** Sends a command to the agent of `pid`; resolves with its `result` message. */
  sendCommand(pid: number, name: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<ResultMessage> {
    const conn = this.agents.find((c) => c.pid === pid);
    if (!conn) return Promise.reject(new Error(`No agent is connected for process ${pid}.`));
    const id = this.nextCommandId++;
    const frame: CommandFrame = { type: 'command', id, name, args };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`Process ${pid} did not answer the command "${name}" in time.`));
      }, timeoutMs ?? this.options.commandTimeoutMs ?? 120_000);
      timer.unref();
      this.pending.set(id, { conn, name, resolve, reject, timer });
      conn.socket.send(JSON.stringify(frame), (err) => {
        if (err) {
          clearTimeout(timer);
          this.pending.delete(id);
          reject(new Error(`Could not send the command "${name}" to process ${pid}: ${err.message}`));
        }
      });
    });
  }

  /** Closes every connection and the listening socket; resolves after their 'disconnect' events. */
  close(): Promise<void> {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('The session server closed.'));
    }
    this.pending.clear();
    const closed = [...this.connections].map((c) => new Promise<void>((resolve) => c.socket.once('close', () => resolve())));
    for (const c of this.connections) c.socket.terminate();
    const wss = this.wss;
    this.wss = null;
    if (wss) closed.push(new Promise((resolve) => wss.close(() => resolve())));
    return Promise.all(closed).then(() => undefined);
  }
}

/** Groups drop reasons: what the peer sent (a quoted type, a frame size) is not part of the key. */
function reasonKey(reason: string): string {
  return reason.replace(/".*/s, '…').replace(/\b\d+\b/g, 'N').slice(0, 80);
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data as ArrayBuffer);
}

export type { AgentMessage };
