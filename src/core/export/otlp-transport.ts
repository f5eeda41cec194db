import * as http from 'node:http';
import * as https from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { OtlpSignalConfig } from './otlp-config';
import { readFields } from './otlp-protobuf';
import { parseRetryAfter, RETRYABLE_STATUSES } from './otlp-retry';

/**
 * One OTLP/HTTP request (POST, application/x-protobuf) and what came of it. Keep-alive agents
 * so a push every few seconds reuses one connection; a deadline per request; the answer's
 * body read up to MAX_RESPONSE_BYTES for partial_success or the collector's error message.
 */

export type OtlpOutcome =
  | { ok: true; status: number; /** items the collector rejected (partial_success) */ rejected: number; message?: string }
  | { ok: false; retryable: boolean; status?: number; /** Retry-After, ms */ retryAfterMs?: number; reason: string };

const MAX_RESPONSE_BYTES = 64 * 1024;

const gzipAsync = promisify(gzip);

/** partial_success of an Export*ServiceResponse: { rejected count (field 1), error_message (2) } */
function partialSuccess(body: Buffer): { rejected: number; message?: string } {
  try {
    const outer = readFields(body).find((f) => f.field === 1 && f.value instanceof Uint8Array);
    if (!outer) return { rejected: 0 };
    let rejected = 0;
    let message: string | undefined;
    for (const f of readFields(outer.value as Uint8Array)) {
      if (f.field === 1 && typeof f.value === 'number') rejected = f.value;
      if (f.field === 2 && f.value instanceof Uint8Array) message = Buffer.from(f.value).toString('utf8');
    }
    return { rejected, message: message || undefined };
  } catch {
    return { rejected: 0 };
  }
}

/** The message of a failed request's body: google.rpc.Status.message (field 2), or plain text. */
function failureMessage(body: Buffer, contentType: string | undefined): string | undefined {
  if (body.length === 0) return undefined;
  if (contentType?.includes('protobuf')) {
    try {
      const msg = readFields(body).find((f) => f.field === 2 && f.value instanceof Uint8Array);
      return msg ? Buffer.from(msg.value as Uint8Array).toString('utf8').slice(0, 200) : undefined;
    } catch {
      return undefined;
    }
  }
  if (contentType?.startsWith('text/') || contentType?.includes('json')) {
    const text = body.toString('utf8').trim().split('\n')[0];
    return text ? text.slice(0, 200) : undefined;
  }
  return undefined;
}

export class OtlpTransport {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 1 });

  constructor(private readonly userAgent: string) {}

  async send(config: OtlpSignalConfig, payload: Buffer, timeoutMs: number, abort?: AbortSignal): Promise<OtlpOutcome> {
    let body = payload;
    if (config.gzip) body = await gzipAsync(payload);
    return new Promise<OtlpOutcome>((resolve) => {
      const url = config.url;
      const secure = url.protocol === 'https:';
      let settled = false;
      const done = (outcome: OtlpOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        abort?.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      const req = (secure ? https : http).request(url, {
        method: 'POST',
        agent: secure ? this.httpsAgent : this.httpAgent,
        // the agent keeps a connection per set of TLS options: each signal's files go with its requests
        ...(secure && config.tls),
        headers: {
          ...config.headers,
          'content-type': 'application/x-protobuf',
          'content-length': String(body.length),
          'user-agent': this.userAgent,
          ...(config.gzip ? { 'content-encoding': 'gzip' } : {}),
        },
      });
      const fail = (reason: string) => {
        done({ ok: false, retryable: true, reason });
        req.destroy();
      };
      const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
      const onAbort = () => fail('stopped before an answer');
      if (abort?.aborted) return onAbort();
      abort?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err) => done({ ok: false, retryable: true, reason: err.message || String(err) }));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_RESPONSE_BYTES) chunks.push(c);
          size += c.length;
        });
        res.on('error', (err) => done({ ok: false, retryable: true, reason: err.message }));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES);
          if (status >= 200 && status < 300) {
            const partial = res.headers['content-type']?.includes('json') ? { rejected: 0 } : partialSuccess(text);
            done({ ok: true, status, ...partial });
            return;
          }
          const message = failureMessage(text, res.headers['content-type']);
          done({
            ok: false,
            status,
            retryable: RETRYABLE_STATUSES.has(status),
            retryAfterMs: parseRetryAfter(res.headers['retry-after']),
            reason: `HTTP ${status}${message ? ` (${message})` : ''}`,
          });
        });
      });
      req.end(body);
    });
  }

  /** closes kept-alive connections */
  destroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
