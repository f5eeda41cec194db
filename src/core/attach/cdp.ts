import * as http from 'node:http';
import WebSocket from 'ws';
import { isLoopbackHost } from './inspector-flags';

/** One entry of the inspector's GET /json/list. */
export interface InspectorTarget {
  id: string;
  type: string;
  title: string;
  url: string;
  webSocketDebuggerUrl: string;
}

/** GET http://host:port/json/list; rejects on any network error, a non-200 or non-JSON answer. */
export function fetchTargets(host: string, port: number, timeoutMs = 1000): Promise<InspectorTarget[]> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host, port, path: '/json/list', timeout: timeoutMs, family: host.includes(':') ? 6 : 4, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => {
          try {
            const list = JSON.parse(body) as unknown;
            if (res.statusCode !== 200 || !Array.isArray(list)) throw new Error('not an inspector');
            resolve(list.filter((t): t is InspectorTarget => typeof t?.webSocketDebuggerUrl === 'string'));
          } catch (err) {
            reject(err);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

interface CdpReply {
  id: number;
  result?: Record<string, unknown>;
  error?: { message: string };
}

/** A minimal Chrome DevTools Protocol client: send a method, await its reply. */
export class CdpClient {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(r: CdpReply): void; reject(e: Error): void }>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      let msg: CdpReply;
      try {
        msg = JSON.parse(String(data)) as CdpReply;
      } catch {
        return;
      }
      const p = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
      if (!p) return; // events: not asked for
      this.pending.delete(msg.id);
      p.resolve(msg);
    });
    ws.on('close', () => this.failAll(new Error('the inspector closed the connection')));
    ws.on('error', (err) => this.failAll(err));
  }

  /** Connects to a loopback webSocketDebuggerUrl; refuses any other host. */
  static connect(wsUrl: string, timeoutMs: number): Promise<CdpClient> {
    const host = new URL(wsUrl).hostname;
    if (!isLoopbackHost(host)) {
      return Promise.reject(new Error(`the inspector offered ${wsUrl}, which is not on this machine's loopback`));
    }
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { handshakeTimeout: timeoutMs, perMessageDeflate: false });
      ws.once('open', () => resolve(new CdpClient(ws)));
      ws.once('error', reject);
    });
  }

  send(method: string, params: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (r) => {
          clearTimeout(timer);
          if (r.error) reject(new Error(`${method}: ${r.error.message}`));
          else resolve(r.result ?? {});
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, 1000);
      this.ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.ws.close();
    });
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
