import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsSnapshot } from './metrics-snapshot';
import { CONTENT_TYPES, formatForAccept, renderMetricsText } from './prometheus-text';

export interface MetricsServerOptions {
  port: number;
  /** default 127.0.0.1: nothing outside the machine reads the app's routes and queries unless asked */
  host?: string;
  snapshot: () => MetricsSnapshot;
}

export interface MetricsServer {
  /** `http://HOST:PORT/metrics` */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Why the server could not listen, in one sentence naming the address; `code` as Node gave it. */
export class MetricsListenError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number): MetricsListenError {
  const where = `${host}:${port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return new MetricsListenError(`The metrics port ${port} is already in use on ${host}.`, err.code);
    case 'EACCES':
      return new MetricsListenError(`The metrics port ${port} needs privileges this process does not have; choose a port above 1023.`, err.code);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new MetricsListenError(`The metrics address ${host} is not an address of this machine.`, err.code);
    default:
      return new MetricsListenError(`Metrics could not be served on ${where}: ${err.message}.`, err.code);
  }
}

function respond(req: http.IncomingMessage, res: http.ServerResponse, snapshot: () => MetricsSnapshot): void {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/metrics') {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: Perf Lens serves /metrics.\n');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Only GET and HEAD are served.\n');
    return;
  }
  const format = formatForAccept(req.headers.accept);
  let body: string;
  try {
    body = renderMetricsText(snapshot(), format);
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`The metrics could not be rendered: ${(err as Error).message}\n`);
    return;
  }
  res.writeHead(200, { 'content-type': CONTENT_TYPES[format], 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * Serves GET /metrics (Prometheus text 0.0.4, or OpenMetrics 1.0 when the Accept header asks)
 * from a snapshot taken at each scrape; 404 for any other path. Rejects with a
 * MetricsListenError when the port cannot be had.
 */
export function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const host = opts.host ?? '127.0.0.1';
  const server = http.createServer((req, res) => respond(req, res, opts.snapshot));
  // a scraper that opens a connection and sends nothing must not hold it forever
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, host, opts.port)));
    server.listen({ port: opts.port, host, exclusive: true }, () => {
      const port = (server.address() as AddressInfo).port;
      const shown = host.includes(':') ? `[${host}]` : host;
      let closing: Promise<void> | null = null;
      resolve({
        url: `http://${shown}:${port}/metrics`,
        port,
        close: () =>
          (closing ??= new Promise<void>((done) => {
            server.close(() => done());
            // keep-alive scrapers would hold close() open until their next scrape
            server.closeAllConnections();
          })),
      });
    });
  });
}
