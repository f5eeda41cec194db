'use strict';
// An OTLP/HTTP receiver for tests: a real HTTP server on 127.0.0.1 that decodes every request
// with the official OpenTelemetry protobuf definitions (the opentelemetry-proto messages as
// compiled by protobufjs into @opentelemetry/otlp-transformer's generated root), so a test
// checks exactly what a collector would read.
//   const rx = await startOtlpReceiver();            // answers 200 with an empty response
//   const rx = await startOtlpReceiver({ respond: (req, n) => ({ status: 503, headers: { 'retry-after': '1' } }) });
//   const rx = await startOtlpReceiver({ respond: () => 'hang' });   // never answers
//   const rx = await startOtlpReceiver({ tls: { key, cert, ca, requestCert: true } });   // https://, a client certificate asked for
//   rx.url ; rx.requests ; rx.metrics() ; rx.logs() ; await rx.waitFor((rx) => …) ; await rx.close()
const http = require('node:http');
const https = require('node:https');
const zlib = require('node:zlib');
const { opentelemetry } = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');

const { ExportMetricsServiceRequest } = opentelemetry.proto.collector.metrics.v1;
const { ExportLogsServiceRequest } = opentelemetry.proto.collector.logs.v1;

/** protobufjs's toObject: 64-bit integers as decimal strings, enums as numbers, oneofs named. */
const TO_OBJECT = { longs: String, enums: Number, bytes: String, oneofs: true, arrays: true };

const DECODERS = {
  '/v1/metrics': (buf) => ExportMetricsServiceRequest.toObject(ExportMetricsServiceRequest.decode(buf), TO_OBJECT),
  '/v1/logs': (buf) => ExportLogsServiceRequest.toObject(ExportLogsServiceRequest.decode(buf), TO_OBJECT),
};

/**
 * @param {{ respond?: (req: object, n: number) => ({ status?: number, headers?: object, body?: Buffer } | 'hang' | undefined),
 *   decoders?: Record<string, string>, tls?: import('node:tls').TlsOptions }} [o]  decoders: extra path → '/v1/metrics' | '/v1/logs'
 *   (custom endpoint paths); tls: serve https:// with these options (each request records the client certificate's CN)
 */
async function startOtlpReceiver(o = {}) {
  const requests = [];
  const waiters = new Set();
  const paths = { ...Object.fromEntries(Object.keys(DECODERS).map((p) => [p, p])), ...(o.decoders ?? {}) };
  const handler = (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      const record = { method: req.method, path: req.url, headers: req.headers, at: Date.now(), bytes: body.length };
      if (o.tls) record.clientCN = req.socket.getPeerCertificate?.()?.subject?.CN ?? null;
      try {
        if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
        const kind = paths[req.url];
        if (kind) {
          record.signal = kind === '/v1/metrics' ? 'metrics' : 'logs';
          record.body = DECODERS[kind](body);
        }
      } catch (err) {
        record.decodeError = err.message;
      }
      requests.push(record);
      const answer = o.respond ? o.respond(record, requests.length) : undefined;
      record.answered = answer === 'hang' ? 'hang' : (answer?.status ?? 200);
      for (const w of waiters) w();
      if (answer === 'hang') return;
      res.writeHead(answer?.status ?? 200, { 'content-type': 'application/x-protobuf', ...(answer?.headers ?? {}) });
      res.end(answer?.body ?? Buffer.alloc(0));
    });
  };
  const server = o.tls ? https.createServer(o.tls, handler) : http.createServer(handler);
  /** handshakes that failed (a client that did not trust us, or sent no certificate when asked) */
  const tlsErrors = [];
  server.on('tlsClientError', (err) => tlsErrors.push(err.message));
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  const rx = {
    port,
    url: `${o.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    tlsErrors,
    /** decoded ExportMetricsServiceRequest bodies, in arrival order */
    metrics: () => requests.filter((r) => r.signal === 'metrics' && r.body).map((r) => r.body),
    /** decoded ExportLogsServiceRequest bodies, in arrival order */
    logs: () => requests.filter((r) => r.signal === 'logs' && r.body).map((r) => r.body),
    /** every log record received, with its resource and scope */
    logRecords: () =>
      rx.logs().flatMap((req) => req.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords.map((record) => ({ record, resource: rl.resource, scope: sl.scope }))))),
    /** resolves once check(rx) is truthy; rejects after timeoutMs with `what` */
    waitFor(check, what = 'the OTLP requests expected', timeoutMs = 60_000) {
      if (check(rx)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const w = () => {
          if (!check(rx)) return;
          waiters.delete(w);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`The receiver did not get ${what} within ${timeoutMs} ms (${requests.length} requests).`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return rx;
}

/** KeyValue list → { key: AnyValue as decoded, e.g. { stringValue: 'x' } or { intValue: '42' } } */
function attributes(list) {
  const out = {};
  for (const kv of list ?? []) out[kv.key] = kv.value;
  return out;
}

/** An AnyValue as a JS value (int64 → Number). */
function anyValue(v) {
  if (!v) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('boolValue' in v) return v.boolValue;
  if ('arrayValue' in v) return (v.arrayValue.values ?? []).map(anyValue);
  if ('kvlistValue' in v) return Object.fromEntries((v.kvlistValue.values ?? []).map((kv) => [kv.key, anyValue(kv.value)]));
  return undefined;
}

/** KeyValue list → { key: JS value } */
function attributeValues(list) {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, anyValue(kv.value)]));
}

/** Every metric of a decoded metrics request, by name, with its resource and scope. */
function metricsByName(request) {
  const out = new Map();
  for (const rm of request.resourceMetrics ?? []) {
    for (const sm of rm.scopeMetrics ?? []) for (const m of sm.metrics ?? []) out.set(m.name, { metric: m, resource: rm.resource, scope: sm.scope });
  }
  return out;
}

/** Nanoseconds (decimal string) → epoch ms, as a Number. */
const nanosToMs = (s) => Number(BigInt(s) / 1_000_000n);

module.exports = { startOtlpReceiver, attributes, attributeValues, anyValue, metricsByName, nanosToMs };
