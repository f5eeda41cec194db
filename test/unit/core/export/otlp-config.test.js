// Where OTLP requests go and how, from --otlp and the OTEL_EXPORTER_OTLP_* variables as the
// OpenTelemetry specification defines them; when a failed request is tried again.
const { CORE } = require('../../../helpers/build');
const { test } = require('node:test');
const assert = require('node:assert/strict');

const { resolveOtlpConfig, OtlpConfigError, parseRetryAfter, backoffMs, DEFAULT_BACKOFF, RETRYABLE_STATUSES } = require(CORE);

const urls = (c) => ({ metrics: c.metrics?.url.href ?? null, logs: c.logs?.url.href ?? null });

test('OTEL_EXPORTER_OTLP_ENDPOINT is a base: v1/metrics and v1/logs are appended after one slash', () => {
  const base = 'http://collector:4318';
  assert.deepEqual(urls(resolveOtlpConfig(base, { OTEL_EXPORTER_OTLP_ENDPOINT: base })), { metrics: 'http://collector:4318/v1/metrics', logs: 'http://collector:4318/v1/logs' });
  assert.deepEqual(urls(resolveOtlpConfig(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://gw.example.com/otlp/' })), {
    metrics: 'https://gw.example.com/otlp/v1/metrics',
    logs: 'https://gw.example.com/otlp/v1/logs',
  });
  assert.deepEqual(urls(resolveOtlpConfig('http://127.0.0.1:4318/otlp', {})), { metrics: 'http://127.0.0.1:4318/otlp/v1/metrics', logs: 'http://127.0.0.1:4318/otlp/v1/logs' });
});

test('a signal endpoint is used as written and wins over the base; --otlp wins over both', () => {
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://metrics-gw:9090/api/otlp/push' };
  assert.deepEqual(urls(resolveOtlpConfig(env.OTEL_EXPORTER_OTLP_ENDPOINT, env)), { metrics: 'http://metrics-gw:9090/api/otlp/push', logs: 'http://collector:4318/v1/logs' });
  assert.deepEqual(urls(resolveOtlpConfig('http://other:4318', env)), { metrics: 'http://other:4318/v1/metrics', logs: 'http://other:4318/v1/logs' });
});

test('a signal with no endpoint of its own and no base is not exported', () => {
  assert.deepEqual(urls(resolveOtlpConfig(undefined, { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://loki:3100/otlp/v1/logs' })), { metrics: null, logs: 'http://loki:3100/otlp/v1/logs' });
  assert.deepEqual(urls(resolveOtlpConfig(undefined, {})), { metrics: null, logs: null });
});

test('a malformed endpoint is an error in one sentence that names the variable', () => {
  assert.throws(() => resolveOtlpConfig(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }), (err) => {
    assert.ok(err instanceof OtlpConfigError);
    assert.equal(err.message, 'OTEL_EXPORTER_OTLP_ENDPOINT needs an http:// or https:// URL, not "collector:4318".');
    return true;
  });
  assert.throws(() => resolveOtlpConfig(undefined, { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'grpc://x:4317' }), /^Error: OTEL_EXPORTER_OTLP_METRICS_ENDPOINT needs an http:\/\/ or https:\/\/ URL, not "grpc:\/\/x:4317"\.$/);
});

test('headers: comma-separated pairs, values percent-decoded, the signal\'s own pairs win; a malformed pair is noted and left out', () => {
  const c = resolveOtlpConfig('http://c:4318', {
    OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Basic%20dXNlcjpwYXNz, x-scope-orgid=team-a,broken',
    OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'x-scope-orgid=team-logs',
  });
  assert.deepEqual(c.metrics.headers, { Authorization: 'Basic dXNlcjpwYXNz', 'x-scope-orgid': 'team-a' });
  assert.deepEqual(c.logs.headers, { Authorization: 'Basic dXNlcjpwYXNz', 'x-scope-orgid': 'team-logs' });
  assert.deepEqual(c.notes, ['OTEL_EXPORTER_OTLP_HEADERS has a malformed pair "broken", left out.']);
});

test('timeout, compression and protocol: defaults, per-signal values, and a note for each value not understood', () => {
  const d = resolveOtlpConfig('http://c:4318', {});
  assert.equal(d.metrics.timeoutMs, 10_000);
  assert.equal(d.metrics.gzip, false);
  assert.deepEqual(d.notes, []);

  const c = resolveOtlpConfig('http://c:4318', { OTEL_EXPORTER_OTLP_TIMEOUT: '2500', OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: '700', OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip', OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: 'none' });
  assert.equal(c.metrics.timeoutMs, 2500);
  assert.equal(c.logs.timeoutMs, 700);
  assert.equal(c.metrics.gzip, false);
  assert.equal(c.logs.gzip, true);

  const bad = resolveOtlpConfig('http://c:4318', { OTEL_EXPORTER_OTLP_TIMEOUT: 'ten', OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
  assert.equal(bad.metrics.timeoutMs, 10_000);
  assert.equal(bad.metrics.gzip, false);
  assert.deepEqual(bad.notes, [
    'OTEL_EXPORTER_OTLP_TIMEOUT needs a number of milliseconds above 0, not "ten"; using 10000.',
    'OTEL_EXPORTER_OTLP_COMPRESSION is gzip or none, not "zstd"; sending uncompressed.',
    'OTEL_EXPORTER_OTLP_PROTOCOL=grpc is ignored: Perf Lens sends OTLP as http/protobuf only.',
  ]);
});

test('retryable statuses are 429, 502, 503 and 504, as the OTLP/HTTP specification lists them', () => {
  assert.deepEqual([...RETRYABLE_STATUSES].sort(), [429, 502, 503, 504]);
});

test('Retry-After: seconds or an HTTP date; nothing usable gives undefined', () => {
  const now = Date.parse('2026-12-02T10:00:00Z');
  assert.equal(parseRetryAfter('30', now), 30_000);
  assert.equal(parseRetryAfter('Wed, 02 Dec 2026 10:01:30 GMT', now), 90_000);
  assert.equal(parseRetryAfter('Wed, 02 Dec 2026 09:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
});

test('backoff doubles from the first wait up to the cap, scaled by a jitter factor in [0.5, 1)', () => {
  const low = () => 0;
  const high = () => 0.999999;
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((a) => backoffMs(a, DEFAULT_BACKOFF, high)), [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  assert.deepEqual([1, 2, 3].map((a) => backoffMs(a, DEFAULT_BACKOFF, low)), [500, 1000, 2000]);
});

test('TLS files: the certificate authorities and the client pair are read for https endpoints, a signal\'s own files win', () => {
  const files = { '/etc/ca.pem': 'CA', '/etc/metrics-ca.pem': 'MCA', '/etc/client.pem': 'CERT', '/etc/client.key': 'KEY' };
  const read = (p) => {
    if (!(p in files)) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), { code: 'ENOENT' });
    return Buffer.from(files[p]);
  };
  const env = {
    OTEL_EXPORTER_OTLP_CERTIFICATE: '/etc/ca.pem',
    OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE: ' /etc/metrics-ca.pem ',
    OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: '/etc/client.pem',
    OTEL_EXPORTER_OTLP_CLIENT_KEY: '/etc/client.key',
  };
  const c = resolveOtlpConfig('https://collector:4318', env, read);
  const text = (tls) => Object.fromEntries(Object.entries(tls).map(([k, v]) => [k, v.toString()]));
  assert.deepEqual(text(c.metrics.tls), { ca: 'MCA', cert: 'CERT', key: 'KEY' });
  assert.deepEqual(text(c.logs.tls), { ca: 'CA', cert: 'CERT', key: 'KEY' });
  assert.deepEqual(c.notes, []);
  // none set: no tls at all (Node's own list of authorities)
  assert.equal(resolveOtlpConfig('https://collector:4318', {}, read).metrics.tls, undefined);
});

test('TLS files: unreadable, half a client pair, or set for a plain http endpoint', () => {
  const read = (p) => {
    throw Object.assign(new Error(`EACCES: permission denied, open '${p}'`), { code: 'EACCES' });
  };
  assert.throws(
    () => resolveOtlpConfig('https://c:4318', { OTEL_EXPORTER_OTLP_CERTIFICATE: '/root/ca.pem' }, read),
    (err) => err instanceof OtlpConfigError && err.message === 'OTEL_EXPORTER_OTLP_CERTIFICATE names /root/ca.pem, which cannot be read (EACCES).',
  );
  assert.throws(
    () => resolveOtlpConfig('https://c:4318', { OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY: '/k.pem' }, () => Buffer.from('x')),
    (err) =>
      err instanceof OtlpConfigError &&
      err.message === 'OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY needs its pair: set OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE (or OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE) too.',
  );
  const plain = resolveOtlpConfig('http://c:4318', { OTEL_EXPORTER_OTLP_CERTIFICATE: '/etc/ca.pem' }, read);
  assert.equal(plain.metrics.tls, undefined);
  assert.deepEqual(plain.notes, ['OTEL_EXPORTER_OTLP_CERTIFICATE is for https:// endpoints; http://c:4318 is plain http, so it is not used.']);
});
