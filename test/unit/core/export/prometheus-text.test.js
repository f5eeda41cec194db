'use strict';
// The exposition renderer (renderMetricsText, from dist/core.js): what a Prometheus server
// reads from /metrics. Text format 0.0.4 and OpenMetrics 1.0: HELP and TYPE lines, counters'
// `_total`, cumulative histogram buckets ending in le="+Inf", `_sum`/`_count`, escaping of
// label values and help text, units, info metrics, target_info, `# EOF`, and the Accept
// header negotiation. test/integration/export-prometheus-format.test.js checks the same
// output with promtool and a real Prometheus.
const { CORE } = require('../../../helpers/build');
const test = require('node:test');
const assert = require('node:assert/strict');

const { renderMetricsText, formatForAccept, escapeLabelValue, CONTENT_TYPES } = require(CORE);

const base = { pid: '7', service: 'shop', instance: 'host-1' };

function snapshot(families, attributes = {}) {
  return { t: 2000, startT: 1000, resource: { service: 'shop', instance: 'host-1', attributes }, families };
}

const heap = { type: 'gauge', name: 'perf_lens_heap_used_bytes', help: 'V8 heap in use.', unit: 'By', points: [{ labels: base, value: 1048576 }] };
const reads = {
  type: 'counter',
  name: 'perf_lens_cache_reads',
  help: 'Cache reads by result.',
  unit: '{read}',
  points: [
    { labels: { ...base, result: 'hit' }, value: 9 },
    { labels: { ...base, result: 'miss' }, value: 3 },
  ],
};
const latency = {
  type: 'histogram',
  name: 'perf_lens_http_request_duration_seconds',
  help: 'HTTP requests.',
  unit: 's',
  bounds: [0.005, 0.01, 0.1],
  // per bucket, not cumulative: 2 at ≤5 ms, 0 in (5,10] ms, 5 in (10,100] ms, 1 above
  points: [{ labels: { ...base, method: 'GET', route: '/users/:id', status_class: '2xx' }, counts: [2, 0, 5, 1], sum: 0.61, count: 8 }],
};

const lines = (text) => text.split('\n');

test('0.0.4: HELP and TYPE per family, counters named with _total, gauges as they are', () => {
  const text = renderMetricsText(snapshot([heap, reads]), 'prometheus');
  assert.deepEqual(lines(text), [
    '# HELP perf_lens_heap_used_bytes V8 heap in use.',
    '# TYPE perf_lens_heap_used_bytes gauge',
    'perf_lens_heap_used_bytes{pid="7",service="shop",instance="host-1"} 1048576',
    '# HELP perf_lens_cache_reads_total Cache reads by result.',
    '# TYPE perf_lens_cache_reads_total counter',
    'perf_lens_cache_reads_total{pid="7",service="shop",instance="host-1",result="hit"} 9',
    'perf_lens_cache_reads_total{pid="7",service="shop",instance="host-1",result="miss"} 3',
    '',
  ]);
  assert.ok(!text.includes('# EOF'), 'the 0.0.4 format has no EOF marker');
});

test('histograms: cumulative buckets in bound order, le="+Inf" equal to the count, then _sum and _count', () => {
  const text = renderMetricsText(snapshot([latency]), 'prometheus');
  const l = '{pid="7",service="shop",instance="host-1",method="GET",route="/users/:id",status_class="2xx"';
  assert.deepEqual(lines(text), [
    '# HELP perf_lens_http_request_duration_seconds HTTP requests.',
    '# TYPE perf_lens_http_request_duration_seconds histogram',
    `perf_lens_http_request_duration_seconds_bucket${l},le="0.005"} 2`,
    `perf_lens_http_request_duration_seconds_bucket${l},le="0.01"} 2`,
    `perf_lens_http_request_duration_seconds_bucket${l},le="0.1"} 7`,
    `perf_lens_http_request_duration_seconds_bucket${l},le="+Inf"} 8`,
    `perf_lens_http_request_duration_seconds_sum${l}} 0.61`,
    `perf_lens_http_request_duration_seconds_count${l}} 8`,
    '',
  ]);
});

test('label values escape backslash, double quote and line feed; other characters pass as UTF-8', () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  const nasty = 'select "name" from t where x = \'\\n\'\nand y = ?  — ünïcode';
  const fam = { type: 'gauge', name: 'perf_lens_findings', help: 'Findings.', unit: '1', points: [{ labels: { ...base, fingerprint: nasty }, value: 1 }] };
  const text = renderMetricsText(snapshot([fam]), 'prometheus');
  assert.ok(text.includes('fingerprint="select \\"name\\" from t where x = \'\\\\n\'\\nand y = ?  — ünïcode"} 1'), text);
  // one sample line: the line feed inside the value did not split it
  assert.equal(lines(text).filter((x) => x.startsWith('perf_lens_findings{')).length, 1);
});

test('HELP text: 0.0.4 escapes backslash and line feed, OpenMetrics also the double quote', () => {
  const fam = { ...heap, help: 'a "quoted" \\ path\nsecond line' };
  assert.equal(lines(renderMetricsText(snapshot([fam]), 'prometheus'))[0], '# HELP perf_lens_heap_used_bytes a "quoted" \\\\ path\\nsecond line');
  assert.ok(renderMetricsText(snapshot([fam]), 'openmetrics').includes('# HELP perf_lens_heap_used_bytes a \\"quoted\\" \\\\ path\\nsecond line\n'));
});

test('OpenMetrics: counter families without _total, samples with it; UNIT for seconds and bytes; # EOF last', () => {
  const text = renderMetricsText(snapshot([heap, reads, latency]), 'openmetrics');
  const l = lines(text);
  assert.ok(l.includes('# TYPE perf_lens_cache_reads counter'));
  assert.ok(l.includes('# HELP perf_lens_cache_reads Cache reads by result.'));
  assert.ok(l.includes('perf_lens_cache_reads_total{pid="7",service="shop",instance="host-1",result="hit"} 9'));
  assert.ok(l.includes('# UNIT perf_lens_heap_used_bytes bytes'));
  assert.ok(l.includes('# UNIT perf_lens_http_request_duration_seconds seconds'));
  assert.ok(!l.some((x) => x.startsWith('# UNIT perf_lens_cache_reads')), 'no unit where the name carries none');
  assert.ok(l.includes('perf_lens_http_request_duration_seconds_bucket{pid="7",service="shop",instance="host-1",method="GET",route="/users/:id",status_class="2xx",le="+Inf"} 8'));
  assert.equal(l.at(-2), '# EOF');
  assert.equal(l.at(-1), '', 'the text ends with a line feed');
  assert.equal(l.filter((x) => x === '# EOF').length, 1);
});

test('a gauge named *_info that is always 1 is an OpenMetrics info metric, and a gauge in 0.0.4', () => {
  const info = { type: 'gauge', name: 'perf_lens_process_info', help: 'Process.', unit: '1', points: [{ labels: { ...base, node_version: 'v20.20.2' }, value: 1 }] };
  const om = renderMetricsText(snapshot([info]), 'openmetrics');
  assert.ok(om.includes('# TYPE perf_lens_process info\n'));
  assert.ok(om.includes('perf_lens_process_info{pid="7",service="shop",instance="host-1",node_version="v20.20.2"} 1\n'));
  assert.ok(renderMetricsText(snapshot([info]), 'prometheus').includes('# TYPE perf_lens_process_info gauge\n'));
});

test('resource attributes become one target_info series with label names made valid', () => {
  const text = renderMetricsText(snapshot([heap], { 'deployment.environment': 'prod', 'k8s.pod.name': 'shop-7f9', '9lives': 'x' }), 'prometheus');
  assert.ok(text.startsWith('# HELP target_info '), text);
  assert.ok(text.includes('# TYPE target_info gauge\n'));
  assert.ok(text.includes('target_info{service="shop",instance="host-1",deployment_environment="prod",k8s_pod_name="shop-7f9",_9lives="x"} 1\n'));
  // without attributes there is none
  assert.ok(!renderMetricsText(snapshot([heap]), 'prometheus').includes('target_info'));
});

test('numbers: integers plain, fractions shortest, non-finite as +Inf, -Inf, NaN', () => {
  const fam = {
    type: 'gauge',
    name: 'perf_lens_x',
    help: 'x',
    unit: '1',
    points: [1e-7, 0.25, 123456789012, Infinity, -Infinity, NaN].map((value, i) => ({ labels: { i: String(i) }, value })),
  };
  const values = lines(renderMetricsText(snapshot([fam]), 'prometheus'))
    .filter((x) => x.startsWith('perf_lens_x{'))
    .map((x) => x.split(' ')[1]);
  assert.deepEqual(values, ['1e-7', '0.25', '123456789012', '+Inf', '-Inf', 'NaN']);
});

test('an empty snapshot is an empty 0.0.4 body and a lone # EOF in OpenMetrics', () => {
  assert.equal(renderMetricsText(snapshot([]), 'prometheus'), '');
  assert.equal(renderMetricsText(snapshot([]), 'openmetrics'), '# EOF\n');
});

test('Accept negotiation: what Prometheus 2.42 sends picks OpenMetrics; plain scrapers get 0.0.4', () => {
  const prometheus242 = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
  assert.equal(formatForAccept(prometheus242), 'openmetrics');
  assert.equal(formatForAccept(undefined), 'prometheus');
  assert.equal(formatForAccept('*/*'), 'prometheus');
  assert.equal(formatForAccept('text/plain;version=0.0.4'), 'prometheus');
  assert.equal(formatForAccept('text/plain;q=1, application/openmetrics-text;q=0.5'), 'prometheus');
  assert.equal(formatForAccept('application/openmetrics-text; q=0'), 'prometheus');
  assert.equal(CONTENT_TYPES.openmetrics, 'application/openmetrics-text; version=1.0.0; charset=utf-8');
  assert.equal(CONTENT_TYPES.prometheus, 'text/plain; version=0.0.4; charset=utf-8');
});
