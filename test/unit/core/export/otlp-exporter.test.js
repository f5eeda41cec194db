// The OTLP exporter against a real HTTP receiver on 127.0.0.1 that decodes with the official
// protobuf definitions: periodic pushes, the bounded queue and its drop counts, retries on
// 503 and network errors, Retry-After, final statuses, timeouts, partial success, gzip and
// headers, and the summary line a user reads at the end.
const { CORE } = require('../../../helpers/build');
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { opentelemetry } = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const { startOtlpReceiver, attributeValues, metricsByName } = require('../../../helpers/otlp-receiver');
const { freePort } = require('../../../helpers/ports');

const { OtlpExporter, resolveOtlpConfig } = require(CORE);

const SCOPE = { name: 'perf-lens', version: '0.1.0' };
const RESOURCE = { service: 'billing', instance: 'billing-0', attributes: {} };
const HOUR = 3_600_000;
const FAST_BACKOFF = { initialMs: 20, maxMs: 200, maxAttempts: 4 };

const heapSnapshot = () => ({
  t: Date.now(),
  startT: 1_764_000_000_000,
  resource: RESOURCE,
  families: [{ type: 'gauge', name: 'perf_lens_heap_used_bytes', help: 'heap', unit: 'By', points: [{ labels: { pid: '77', service: 'billing', instance: 'billing-0' }, value: 1024 }] }],
});

function finding(i) {
  return {
    id: `f${i}`,
    kind: 'slow-query',
    severity: 'warning',
    message: `Slow query number ${i}.`,
    pid: 77,
    location: { file: '/srv/billing/src/invoices.js', line: 10 + i, column: 5 },
    related: [],
    data: { durationMs: 120 + i },
  };
}

/** An exporter to `url` with fast retries; `lines` collects what it says. */
function exporterTo(url, o = {}) {
  const lines = [];
  const exporter = new OtlpExporter({
    config: resolveOtlpConfig(url, o.env ?? {}),
    intervalMs: o.intervalMs ?? HOUR,
    snapshot: heapSnapshot,
    scope: SCOPE,
    log: (m) => lines.push(m),
    maxQueue: o.maxQueue,
    backoff: o.backoff ?? FAST_BACKOFF,
    closeTimeoutMs: o.closeTimeoutMs ?? 3000,
  });
  return { exporter, lines };
}

const statsPoints = (req, name) =>
  metricsByName(req).get(name).metric.sum.dataPoints.map((p) => ({ ...attributeValues(p.attributes), value: p.asDouble }));

test('pushes metrics every interval and queued findings after them; close() makes a final push and says how it went', async (t) => {
  const rx = await startOtlpReceiver();
  t.after(() => rx.close());
  const { exporter, lines } = exporterTo(rx.url, { intervalMs: 40 });
  exporter.start();
  await rx.waitFor(() => rx.metrics().length >= 2, 'two metrics pushes');
  exporter.addFindings([finding(1), finding(2)], RESOURCE);
  await rx.waitFor(() => rx.logRecords().length === 2, 'the two finding records');
  await exporter.close();

  const pushes = rx.metrics();
  const [first, second] = pushes;
  const heapOf = (req) => metricsByName(req).get('perf_lens_heap_used_bytes').metric.gauge.dataPoints[0];
  assert.ok(BigInt(heapOf(second).timeUnixNano) >= BigInt(heapOf(first).timeUnixNano));
  // the exporter's own counters ride along: the second push counts the first one
  assert.deepEqual(statsPoints(first, 'perf_lens_export_requests').find((p) => p.signal === 'metrics' && p.outcome === 'success').value, 0);
  assert.deepEqual(statsPoints(second, 'perf_lens_export_requests').find((p) => p.signal === 'metrics' && p.outcome === 'success').value, 1);
  assert.deepEqual(
    rx.logRecords().map(({ record }) => attributeValues(record.attributes)['perf_lens.finding.id']),
    ['f1', 'f2'],
  );
  assert.ok(rx.requests.every((r) => r.headers['content-type'] === 'application/x-protobuf' && r.headers['user-agent'] === 'perf-lens/0.1.0'));
  const last = rx.requests[rx.requests.length - 1];
  assert.equal(last.signal, 'metrics', 'the final push sends metrics; no records were left to send');
  assert.deepEqual(lines, [`OTLP: ${rx.requests.length} requests, 0 failed; findings: 2 sent, 0 dropped.`]);
});

test('the queue holds at most maxQueue records: the rest are dropped, counted in the summary and in perf_lens_export_dropped', async (t) => {
  const rx = await startOtlpReceiver();
  t.after(() => rx.close());
  const { exporter, lines } = exporterTo(rx.url, { maxQueue: 3 });
  exporter.start();
  exporter.addFindings([1, 2, 3, 4, 5].map(finding), RESOURCE);
  assert.equal(exporter.queued, 3);
  await exporter.close();
  assert.deepEqual(rx.logRecords().map(({ record }) => record.body.stringValue), ['Slow query number 1.', 'Slow query number 2.', 'Slow query number 3.']);
  const [metrics] = rx.metrics();
  assert.deepEqual(
    statsPoints(metrics, 'perf_lens_export_dropped').map((p) => [p.reason, p.value]),
    [['queue_full', 2], ['refused', 0], ['unsent', 0]],
  );
  assert.deepEqual(lines, ['OTLP: 2 requests, 0 failed; findings: 3 sent, 2 dropped (2 queue full).']);
});

test('503 is retried with backoff until the collector takes the request, and the user hears of the failure and the recovery once', async (t) => {
  const rx = await startOtlpReceiver({ respond: (_req, n) => (n <= 2 ? { status: 503 } : undefined) });
  t.after(() => rx.close());
  const { exporter, lines } = exporterTo(rx.url);
  exporter.start();
  exporter.addFindings([finding(1)], RESOURCE);
  await exporter.close();
  assert.deepEqual(rx.requests.map((r) => `${r.signal} ${r.answered}`), ['metrics 503', 'metrics 503', 'metrics 200', 'logs 200']);
  assert.equal(rx.logRecords().length, 1);
  assert.deepEqual(lines, [
    `OTLP: a push to ${rx.url}/v1/metrics failed (HTTP 503); retrying with backoff, the app is not affected.`,
    `OTLP: ${rx.url}/v1/metrics accepts pushes again (after 2 failed requests).`,
    'OTLP: 4 requests, 2 failed (last: HTTP 503); findings: 1 sent, 0 dropped.',
  ]);
});

test('Retry-After holds every request back: one 503 asking for an hour means no retry and no final push', async (t) => {
  const rx = await startOtlpReceiver({ respond: () => ({ status: 503, headers: { 'retry-after': '3600' } }) });
  t.after(() => rx.close());
  const { exporter, lines } = exporterTo(rx.url, { intervalMs: 30 });
  exporter.start();
  await rx.waitFor(() => rx.requests.length === 1, 'the first push');
  exporter.addFindings([finding(1)], RESOURCE);
  // ten intervals pass: none may send while the collector asked to wait
  await new Promise((r) => setTimeout(r, 300));
  await exporter.close();
  assert.equal(rx.requests.length, 1);
  assert.match(lines[lines.length - 1], /^OTLP: 1 request, 1 failed \(last: HTTP 503\); findings: 0 sent, 1 dropped \(1 unsent at exit\); no final push: the collector asked to wait 360\d s more\.$/);
});

test('a run that ends before its first push: the final push is the one told to wait an hour, and the user reads so', async (t) => {
  const rx = await startOtlpReceiver({ respond: () => ({ status: 503, headers: { 'retry-after': '3600' } }) });
  t.after(() => rx.close());
  const { exporter, lines } = exporterTo(rx.url); // an hour's interval: no periodic push
  exporter.start();
  exporter.addFindings([finding(1)], RESOURCE);
  await exporter.close();
  assert.deepEqual(rx.requests.map((r) => `${r.signal} ${r.answered}`), ['metrics 503']);
  assert.match(lines.at(-1), /^OTLP: 1 request, 1 failed \(last: HTTP 503\); findings: 0 sent, 1 dropped \(1 unsent at exit\); the final push was turned away: the collector asked to wait 360\d s more\.$/);
});

test('a Retry-After that ends within the final push\'s deadline is waited out: the last metrics and findings still arrive', async (t) => {
  const rx = await startOtlpReceiver({ respond: (_req, n) => (n === 1 ? { status: 503, headers: { 'retry-after': '1' } } : undefined) });
  t.after(() => rx.close());
  const { exporter, lines } = exporterTo(rx.url, { intervalMs: 30 });
  exporter.start();
  await rx.waitFor(() => rx.requests.length === 1, 'the first push');
  exporter.addFindings([finding(1)], RESOURCE);
  await exporter.close();
  assert.deepEqual(rx.requests.map((r) => `${r.signal} ${r.answered}`), ['metrics 503', 'metrics 200', 'logs 200']);
  assert.equal(lines.at(-1), 'OTLP: 3 requests, 1 failed (last: HTTP 503); findings: 1 sent, 0 dropped.');
});

test('a final status (400) is not retried: its records are dropped as refused, with the collector\'s message said once', async (t) => {
  const message = Buffer.from('log record too large');
  // google.rpc.Status { code: 3, message }, as the OTLP/HTTP specification returns on failure
  const status = Buffer.concat([Buffer.from([0x08, 0x03, 0x12, message.length]), message]);
  const rx = await startOtlpReceiver({ respond: (req) => (req.signal === 'logs' ? { status: 400, body: status } : undefined) });
  t.after(() => rx.close());
  const { exporter, lines } = exporterTo(rx.url);
  exporter.start();
  exporter.addFindings([finding(1), finding(2)], RESOURCE);
  await exporter.close();
  assert.deepEqual(rx.requests.map((r) => `${r.signal} ${r.answered}`), ['metrics 200', 'logs 400']);
  assert.deepEqual(lines, [
    `OTLP: the collector at ${rx.url}/v1/logs refused findings with HTTP 400 (log record too large); such requests are not retried.`,
    'OTLP: 2 requests, 1 failed (last: HTTP 400 (log record too large)); findings: 0 sent, 2 dropped (2 refused).',
  ]);
});

test('a collector that never answers: each request ends at OTEL_EXPORTER_OTLP_TIMEOUT and close() ends within its deadline', async (t) => {
  const rx = await startOtlpReceiver({ respond: () => 'hang' });
  t.after(() => rx.close());
  const { exporter, lines } = exporterTo(rx.url, { env: { OTEL_EXPORTER_OTLP_TIMEOUT: '150' }, closeTimeoutMs: 1000 });
  exporter.start();
  exporter.addFindings([finding(1)], RESOURCE);
  await exporter.close();
  assert.ok(rx.requests.length >= 1 && rx.requests.every((r) => r.signal === 'metrics'), rx.requests.map((r) => r.signal).join());
  assert.equal(exporter.stats.failed, rx.requests.length);
  assert.match(lines[lines.length - 1], /^OTLP: \d+ requests?, \d+ failed \(last: no answer within 150 ms\); findings: 0 sent, 1 dropped \(1 unsent at exit\)\.$/);
});

test('a dead endpoint: every attempt fails fast, close() still ends, and the user reads why', async () => {
  const port = await freePort();
  const { exporter, lines } = exporterTo(`http://127.0.0.1:${port}`, { intervalMs: 20 });
  exporter.start();
  exporter.addFindings([finding(1)], RESOURCE);
  while (exporter.stats.failed < 2) await new Promise((r) => setTimeout(r, 10));
  await exporter.close();
  assert.equal(exporter.stats.failed, exporter.stats.requests);
  assert.equal(lines[0], `OTLP: a push to http://127.0.0.1:${port}/v1/metrics failed (connect ECONNREFUSED 127.0.0.1:${port}); retrying with backoff, the app is not affected.`);
  assert.match(lines[lines.length - 1], new RegExp(`^OTLP: \\d+ requests, \\d+ failed \\(last: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\); findings: 0 sent, 1 dropped \\(1 unsent at exit\\)\\.$`));
});

test('partial success: records the collector rejected are counted apart from those it took', async (t) => {
  const { ExportLogsServiceResponse } = opentelemetry.proto.collector.logs.v1;
  const partial = Buffer.from(ExportLogsServiceResponse.encode(ExportLogsServiceResponse.fromObject({ partialSuccess: { rejectedLogRecords: 1, errorMessage: 'attribute value too long' } })).finish());
  const rx = await startOtlpReceiver({ respond: (req) => (req.signal === 'logs' ? { status: 200, body: partial } : undefined) });
  t.after(() => rx.close());
  const { exporter, lines } = exporterTo(rx.url);
  exporter.start();
  exporter.addFindings([finding(1), finding(2), finding(3)], RESOURCE);
  await exporter.close();
  assert.deepEqual(lines, [
    'OTLP: the collector rejected 1 finding records (attribute value too long).',
    'OTLP: 2 requests, 0 failed; findings: 2 sent, 0 dropped; 1 rejected by the collector.',
  ]);
});

test('gzip and headers from OTEL_EXPORTER_OTLP_COMPRESSION and OTEL_EXPORTER_OTLP_HEADERS reach the collector', async (t) => {
  const rx = await startOtlpReceiver();
  t.after(() => rx.close());
  const { exporter } = exporterTo(rx.url, { env: { OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip', OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20s3cr3t,x-tenant=blue' } });
  exporter.start();
  exporter.addFindings([finding(1)], RESOURCE);
  await exporter.close();
  assert.equal(rx.requests.length, 2);
  for (const r of rx.requests) {
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.equal(r.headers.authorization, 'Bearer s3cr3t');
    assert.equal(r.headers['x-tenant'], 'blue');
    assert.equal(r.decodeError, undefined);
  }
  assert.equal(rx.logRecords()[0].record.body.stringValue, 'Slow query number 1.');
});
