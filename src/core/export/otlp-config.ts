import { readFileSync } from 'node:fs';

/**
 * Where and how OTLP requests go, from `--otlp` and the variables the OpenTelemetry
 * specification names (OTLP exporter configuration):
 *  - OTEL_EXPORTER_OTLP_ENDPOINT is a base URL: `v1/metrics` and `v1/logs` are appended
 *    (after a `/` unless it ends with one); OTEL_EXPORTER_OTLP_METRICS_ENDPOINT and
 *    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT are used as they are and win over the base. `--otlp` on
 *    the command line is a base URL too and wins over all three.
 *  - A signal with no endpoint of its own and no base is not exported (the spec's default,
 *    localhost:4318, would only fail where nobody asked for it).
 *  - OTEL_EXPORTER_OTLP[_METRICS|_LOGS]_HEADERS: `key=value` pairs, comma-separated, values
 *    percent-decoded; the signal's own pairs win over the shared ones.
 *  - OTEL_EXPORTER_OTLP[_METRICS|_LOGS]_TIMEOUT: milliseconds per request (default 10 000).
 *  - OTEL_EXPORTER_OTLP[_METRICS|_LOGS]_COMPRESSION: `gzip` or `none` (default).
 *  - OTEL_EXPORTER_OTLP[_METRICS|_LOGS]_PROTOCOL: only `http/protobuf` is spoken; another value
 *    is noted and ignored.
 *  - OTEL_EXPORTER_OTLP[_METRICS|_LOGS]_CERTIFICATE: a PEM file of the certificate authorities
 *    that https:// endpoints are checked against (instead of Node's own list);
 *    …_CLIENT_CERTIFICATE and …_CLIENT_KEY: PEM files of the client's certificate and key, for a
 *    collector that asks for one (mutual TLS). A file that cannot be read, or a client
 *    certificate without its key, is an OtlpConfigError: pushes could only fail.
 * A malformed value other than an endpoint is noted (one sentence) and its default used; a
 * malformed endpoint is an OtlpConfigError.
 */

export type OtlpSignal = 'metrics' | 'logs';

export interface OtlpSignalConfig {
  url: URL;
  headers: Record<string, string>;
  timeoutMs: number;
  gzip: boolean;
  /** PEM contents for an https:// endpoint: trusted authorities, client certificate and key */
  tls?: OtlpTls;
}

export interface OtlpTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** Reads a file named by a variable (fs.readFileSync by default; tests pass their own). */
export type OtlpFileReader = (path: string) => Buffer;

export interface OtlpConfig {
  metrics: OtlpSignalConfig | null;
  logs: OtlpSignalConfig | null;
  /** one sentence per setting that was malformed or ignored */
  notes: string[];
}

export class OtlpConfigError extends Error {}

export const DEFAULT_OTLP_TIMEOUT_MS = 10_000;

const SIGNAL_PREFIX: Record<OtlpSignal, string> = { metrics: 'OTEL_EXPORTER_OTLP_METRICS_', logs: 'OTEL_EXPORTER_OTLP_LOGS_' };
const SHARED_PREFIX = 'OTEL_EXPORTER_OTLP_';

const nonEmpty = (v: string | undefined): string | undefined => (v && v.trim() ? v.trim() : undefined);

function httpUrl(raw: string, name: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OtlpConfigError(`${name} needs an http:// or https:// URL, not "${raw}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OtlpConfigError(`${name} needs an http:// or https:// URL, not "${raw}".`);
  return url;
}

/** The base URL with `v1/<signal>` appended, as the spec builds it from OTEL_EXPORTER_OTLP_ENDPOINT. */
export function signalUrl(base: URL, signal: OtlpSignal): URL {
  const url = new URL(base.href);
  url.pathname = `${url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`}v1/${signal}`;
  return url;
}

/** `k=v,k2=v2` with percent-encoded values (W3C baggage without properties). */
export function parseOtlpHeaders(raw: string | undefined, name: string, notes: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const pair of raw.split(',')) {
    if (!pair.trim()) continue;
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq).trim() : '';
    if (!key || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) {
      notes.push(`${name} has a malformed pair "${pair.trim()}", left out.`);
      continue;
    }
    let value = pair.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      /* kept as written */
    }
    out[key] = value;
  }
  return out;
}

const TLS_FILES = { ca: 'CERTIFICATE', cert: 'CLIENT_CERTIFICATE', key: 'CLIENT_KEY' } as const;

/** The TLS files a signal's variables name (its own win over the shared ones), read. */
function tlsFiles(signal: OtlpSignal, url: URL, env: NodeJS.ProcessEnv, read: OtlpFileReader, notes: string[]): OtlpTls | undefined {
  const own = SIGNAL_PREFIX[signal];
  const named: Partial<Record<keyof OtlpTls, string>> = {};
  for (const [field, suffix] of Object.entries(TLS_FILES) as Array<[keyof OtlpTls, string]>) {
    const name = nonEmpty(env[`${own}${suffix}`]) !== undefined ? `${own}${suffix}` : `${SHARED_PREFIX}${suffix}`;
    if (nonEmpty(env[name]) !== undefined) named[field] = name;
  }
  const names = Object.values(named);
  if (names.length === 0) return undefined;
  if (url.protocol !== 'https:') {
    notes.push(`${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} for https:// endpoints; ${url.origin} is plain http, so ${names.length > 1 ? 'they are' : 'it is'} not used.`);
    return undefined;
  }
  if ((named.cert === undefined) !== (named.key === undefined)) {
    const [has, missing] = named.cert !== undefined ? [named.cert, 'CLIENT_KEY'] : [named.key as string, 'CLIENT_CERTIFICATE'];
    throw new OtlpConfigError(`${has} needs its pair: set ${SHARED_PREFIX}${missing} (or ${own}${missing}) too.`);
  }
  const tls: OtlpTls = {};
  for (const [field, name] of Object.entries(named) as Array<[keyof OtlpTls, string]>) {
    const file = (env[name] as string).trim();
    try {
      tls[field] = read(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new OtlpConfigError(`${name} names ${file}, which cannot be read (${code ?? (err as Error).message}).`);
    }
  }
  return tls;
}

function signalConfig(
  signal: OtlpSignal,
  base: URL | undefined,
  ownEndpoint: string | undefined,
  env: NodeJS.ProcessEnv,
  notes: string[],
  read: OtlpFileReader,
): OtlpSignalConfig | null {
  const own = SIGNAL_PREFIX[signal];
  const url = ownEndpoint !== undefined ? httpUrl(ownEndpoint, `${own}ENDPOINT`) : base ? signalUrl(base, signal) : null;
  if (!url) return null;

  const headers = {
    ...parseOtlpHeaders(env[`${SHARED_PREFIX}HEADERS`], `${SHARED_PREFIX}HEADERS`, notes),
    ...parseOtlpHeaders(env[`${own}HEADERS`], `${own}HEADERS`, notes),
  };

  let timeoutMs = DEFAULT_OTLP_TIMEOUT_MS;
  const timeoutName = nonEmpty(env[`${own}TIMEOUT`]) !== undefined ? `${own}TIMEOUT` : `${SHARED_PREFIX}TIMEOUT`;
  const rawTimeout = nonEmpty(env[timeoutName]);
  if (rawTimeout !== undefined) {
    const n = Number(rawTimeout);
    if (Number.isFinite(n) && n > 0) timeoutMs = n;
    else notes.push(`${timeoutName} needs a number of milliseconds above 0, not "${rawTimeout}"; using ${DEFAULT_OTLP_TIMEOUT_MS}.`);
  }

  const compressionName = nonEmpty(env[`${own}COMPRESSION`]) !== undefined ? `${own}COMPRESSION` : `${SHARED_PREFIX}COMPRESSION`;
  const compression = nonEmpty(env[compressionName])?.toLowerCase();
  if (compression !== undefined && compression !== 'gzip' && compression !== 'none') notes.push(`${compressionName} is gzip or none, not "${compression}"; sending uncompressed.`);

  const protocolName = nonEmpty(env[`${own}PROTOCOL`]) !== undefined ? `${own}PROTOCOL` : `${SHARED_PREFIX}PROTOCOL`;
  const protocol = nonEmpty(env[protocolName]);
  if (protocol !== undefined && protocol !== 'http/protobuf') notes.push(`${protocolName}=${protocol} is ignored: Perf Lens sends OTLP as http/protobuf only.`);

  const tls = tlsFiles(signal, url, env, read, notes);
  return { url, headers, timeoutMs, gzip: compression === 'gzip', ...(tls && { tls }) };
}

/**
 * @param baseUrl `--otlp`, or OTEL_EXPORTER_OTLP_ENDPOINT when the caller already took it from
 *   there (the same string): then the signals' own endpoints still win over it.
 */
export function resolveOtlpConfig(baseUrl: string | undefined, env: NodeJS.ProcessEnv, read: OtlpFileReader = readFileSync): OtlpConfig {
  const notes: string[] = [];
  const envBase = nonEmpty(env[`${SHARED_PREFIX}ENDPOINT`]);
  const fromFlag = baseUrl !== undefined && baseUrl !== '' && baseUrl !== env[`${SHARED_PREFIX}ENDPOINT`];
  const baseRaw = fromFlag ? baseUrl : envBase;
  const base = baseRaw === undefined ? undefined : httpUrl(baseRaw, fromFlag ? '--otlp' : `${SHARED_PREFIX}ENDPOINT`);
  const own = (signal: OtlpSignal) => (fromFlag ? undefined : nonEmpty(env[`${SIGNAL_PREFIX[signal]}ENDPOINT`]));
  const metrics = signalConfig('metrics', base, own('metrics'), env, notes, read);
  const logs = signalConfig('logs', base, own('logs'), env, notes, read);
  return { metrics, logs, notes: [...new Set(notes)] };
}
