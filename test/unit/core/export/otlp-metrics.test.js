// A metrics snapshot encoded as an OTLP ExportMetricsServiceRequest, decoded back with the
// official protobuf definitions: every field a collector reads.
const { CORE } = require('../../../helpers/build');
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { opentelemetry } = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const { attributes, attributeValues } = require('../../../helpers/otlp-receiver');

const { encodeMetricsRequest } = require(CORE);
const { ExportMetricsServiceRequest } = opentelemetry.proto.collector.metrics.v1;
const decode = (bytes) =>
  ExportMetricsServiceRequest.toObject(ExportMetricsServiceRequest.decode(bytes), { longs: String, enums: Number, oneofs: true, arrays: true });

const SCOPE = { name: 'perf-lens', version: '0.1.0' };
const START = 1_764_000_000_000; // epoch ms
const T = START + 65_432.5; // a fractional millisecond must survive as nanoseconds
const RESOURCE = { service: 'shop-api', instance: 'web-7f9c', attributes: { 'deployment.environment': 'staging', 'k8s.pod.name': 'web-7f9c-x2' } };
const labels = (pid, more = {}) => ({ pid: String(pid), service: 'shop-api', instance: 'web-7f9c', ...more });

function snapshot(families) {
  return { t: T, startT: START, resource: RESOURCE, families };
}

const heap = {
  type: 'gauge',
  name: 'perf_lens_heap_used_bytes',
  help: 'V8 heap in use, at the last sample.',
  unit: 'By',
  points: [
    { labels: labels(4101), value: 48_234_496 },
    { labels: labels(4102), value: 51_118_080.5 },
  ],
};
const requests = {
  type: 'counter',
  name: 'perf_lens_http_requests',
  help: 'HTTP requests answered.',
  unit: '{request}',
  points: [
    { labels: labels(4101, { method: 'GET', route: '/posts/:id', status_class: '2xx' }), value: 1200 },
    { labels: labels(4101, { method: 'POST', route: '/posts', status_class: '5xx' }), value: 3 },
  ],
};
const duration = {
  type: 'histogram',
  name: 'perf_lens_http_request_duration_seconds',
  help: 'HTTP request duration.',
  unit: 's',
  bounds: [0.005, 0.01, 0.05, 0.1, 0.5],
  points: [{ labels: labels(4101, { method: 'GET', route: '/posts/:id', status_class: '2xx' }), counts: [100, 700, 350, 40, 9, 1], sum: 21.75, count: 1200 }],
};

test('one resource with service.name, service.instance.id and OTEL_RESOURCE_ATTRIBUTES; one scope: perf-lens and its version', () => {
  const req = decode(encodeMetricsRequest(snapshot([heap]), SCOPE));
  assert.equal(req.resourceMetrics.length, 1);
  const [rm] = req.resourceMetrics;
  assert.deepEqual(attributeValues(rm.resource.attributes), {
    'service.name': 'shop-api',
    'service.instance.id': 'web-7f9c',
    'deployment.environment': 'staging',
    'k8s.pod.name': 'web-7f9c-x2',
  });
  assert.equal(rm.scopeMetrics.length, 1);
  assert.deepEqual(rm.scopeMetrics[0].scope, { name: 'perf-lens', version: '0.1.0', attributes: [] });
});

test('a gauge is a Gauge: name, description, unit, one point per process with process.pid as an int and the time of the snapshot', () => {
  const [metric] = decode(encodeMetricsRequest(snapshot([heap]), SCOPE)).resourceMetrics[0].scopeMetrics[0].metrics;
  assert.equal(metric.name, 'perf_lens_heap_used_bytes');
  assert.equal(metric.description, 'V8 heap in use, at the last sample.');
  assert.equal(metric.unit, 'By');
  assert.equal(metric.data, 'gauge');
  assert.deepEqual(
    metric.gauge.dataPoints.map((p) => ({ attrs: attributes(p.attributes), value: p.asDouble, value_: p.value, time: p.timeUnixNano, start: p.startTimeUnixNano })),
    [
      // service and instance are the resource's: not repeated on each point
      { attrs: { 'process.pid': { intValue: '4101', value: 'intValue' } }, value: 48_234_496, value_: 'asDouble', time: '1764000065432500000', start: undefined },
      { attrs: { 'process.pid': { intValue: '4102', value: 'intValue' } }, value: 51_118_080.5, value_: 'asDouble', time: '1764000065432500000', start: undefined },
    ],
  );
});

test('a counter is a monotonic cumulative Sum starting at the snapshot start; other labels keep their names as string attributes', () => {
  const [metric] = decode(encodeMetricsRequest(snapshot([requests]), SCOPE)).resourceMetrics[0].scopeMetrics[0].metrics;
  assert.equal(metric.name, 'perf_lens_http_requests');
  assert.equal(metric.unit, '{request}');
  assert.equal(metric.data, 'sum');
  assert.equal(metric.sum.isMonotonic, true);
  assert.equal(metric.sum.aggregationTemporality, 2); // AGGREGATION_TEMPORALITY_CUMULATIVE
  assert.deepEqual(
    metric.sum.dataPoints.map((p) => ({ attrs: attributeValues(p.attributes), value: p.asDouble, start: p.startTimeUnixNano, time: p.timeUnixNano })),
    [
      { attrs: { 'process.pid': 4101, method: 'GET', route: '/posts/:id', status_class: '2xx' }, value: 1200, start: '1764000000000000000', time: '1764000065432500000' },
      { attrs: { 'process.pid': 4101, method: 'POST', route: '/posts', status_class: '5xx' }, value: 3, start: '1764000000000000000', time: '1764000065432500000' },
    ],
  );
});

test('a histogram is a cumulative Histogram: explicit bounds, per-bucket counts (bounds + 1 of them), sum and count', () => {
  const [metric] = decode(encodeMetricsRequest(snapshot([duration]), SCOPE)).resourceMetrics[0].scopeMetrics[0].metrics;
  assert.equal(metric.name, 'perf_lens_http_request_duration_seconds');
  assert.equal(metric.unit, 's');
  assert.equal(metric.data, 'histogram');
  assert.equal(metric.histogram.aggregationTemporality, 2);
  const [p] = metric.histogram.dataPoints;
  assert.deepEqual(attributeValues(p.attributes), { 'process.pid': 4101, method: 'GET', route: '/posts/:id', status_class: '2xx' });
  assert.deepEqual(p.explicitBounds, [0.005, 0.01, 0.05, 0.1, 0.5]);
  assert.deepEqual(p.bucketCounts, ['100', '700', '350', '40', '9', '1']);
  assert.equal(p.count, '1200');
  assert.equal(p.sum, 21.75);
  assert.equal(p.startTimeUnixNano, '1764000000000000000');
  assert.equal(p.timeUnixNano, '1764000065432500000');
});

test('families in order, empty ones left out; a snapshot far larger than the first buffer, with non-ASCII and long labels, decodes intact', () => {
  const routes = Array.from({ length: 400 }, (_, i) => ({
    labels: labels(4101 + (i % 3), { method: 'GET', route: `/catalogue/${'é'.repeat(i % 5)}🛒/${'x'.repeat(i % 300)}/${i}`, status_class: '2xx' }),
    value: i * 1.5,
  }));
  const big = { type: 'counter', name: 'perf_lens_http_request_seconds', help: 'Time in requests — per route.', unit: 's', points: routes };
  const empty = { type: 'gauge', name: 'perf_lens_pool_wait', help: 'none yet', unit: 's', points: [] };
  const bytes = encodeMetricsRequest(snapshot([heap, empty, big, duration]), SCOPE);
  assert.ok(bytes.length > 64 * 1024, `${bytes.length} bytes`);
  const metrics = decode(bytes).resourceMetrics[0].scopeMetrics[0].metrics;
  assert.deepEqual(metrics.map((m) => m.name), ['perf_lens_heap_used_bytes', 'perf_lens_http_request_seconds', 'perf_lens_http_request_duration_seconds']);
  assert.equal(metrics[1].description, 'Time in requests — per route.');
  const points = metrics[1].sum.dataPoints;
  assert.equal(points.length, 400);
  points.forEach((p, i) => {
    const a = attributeValues(p.attributes);
    assert.equal(a.route, routes[i].labels.route);
    assert.equal(a['process.pid'], 4101 + (i % 3));
    assert.equal(p.asDouble, i * 1.5);
  });
});

test('a histogram point whose counts do not match its bounds is padded or cut to bounds + 1, and counts are whole and non-negative', () => {
  const odd = { ...duration, points: [{ labels: labels(1), counts: [3, 2.6, -1], sum: 0.5, count: 6 }] };
  const [metric] = decode(encodeMetricsRequest(snapshot([odd]), SCOPE)).resourceMetrics[0].scopeMetrics[0].metrics;
  assert.deepEqual(metric.histogram.dataPoints[0].bucketCounts, ['3', '3', '0', '0', '0', '0']);
});
