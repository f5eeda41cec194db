import type { HistogramFamily, MetricFamily, MetricLabels, MetricsSnapshot } from './metrics-snapshot';
import { writeAttribute, writeResource, writeScope, type OtlpScope } from './otlp-common';
import { epochNanos, ProtoWriter } from './otlp-protobuf';

/**
 * A MetricsSnapshot as an OTLP ExportMetricsServiceRequest
 * (opentelemetry/proto/collector/metrics/v1/metrics_service.proto), protobuf bytes:
 *  - one ResourceMetrics: service.name, service.instance.id and the extra attributes;
 *  - one ScopeMetrics, the scope `perf-lens` with the tool's version;
 *  - gauge → Gauge; counter → Sum (monotonic, cumulative); histogram → Histogram (cumulative,
 *    explicit_bounds, bucket_counts of bounds + 1 entries). Names are the Prometheus names
 *    (without `_total`, which a Prometheus exporter adds back), units UCUM.
 *  - Cumulative points start at the snapshot's startT; gauges carry only their time (the data
 *    model makes a gauge's start time optional and meaningless).
 *  - Labels become point attributes, except `service` and `instance`, which the resource says
 *    once; `pid` becomes `process.pid`, an int as the semantic conventions type it. Every
 *    other label keeps its name and string value, so a query reads the same in both backends.
 * Families without points are left out (a metric with no data point is invalid for some
 * backends).
 */

const AGGREGATION_TEMPORALITY_CUMULATIVE = 2;

/** Label names that the resource carries, not the points. */
const RESOURCE_LABELS = new Set(['service', 'instance']);

function writePointAttributes(w: ProtoWriter, field: number, labels: MetricLabels): void {
  for (const key in labels) {
    if (RESOURCE_LABELS.has(key)) continue;
    const value = labels[key];
    if (key === 'pid') {
      const pid = Number(value);
      writeAttribute(w, field, 'process.pid', Number.isSafeInteger(pid) && /^\d+$/.test(value) ? pid : value);
    } else writeAttribute(w, field, key, value);
  }
}

/** a non-negative whole count, whatever the snapshot held */
const count = (n: number): number => (Number.isFinite(n) && n > 0 ? Math.round(n) : 0);

interface Times {
  start: Uint8Array;
  time: Uint8Array;
}

function writeNumberPoints(w: ProtoWriter, points: MetricFamily['points'], times: Times, cumulative: boolean): void {
  for (const p of points) {
    if (!('value' in p)) continue;
    w.begin(1); // NumberDataPoint
    writePointAttributes(w, 7, p.labels);
    if (cumulative) w.fixed64Bytes(2, times.start);
    w.fixed64Bytes(3, times.time);
    w.double(4, p.value); // as_double
    w.end();
  }
}

function writeHistogram(w: ProtoWriter, family: HistogramFamily, times: Times): void {
  const buckets = family.bounds.length + 1;
  // every point repeats the family's bounds: encoded once
  const bounds = new ProtoWriter(16 + family.bounds.length * 8);
  bounds.packedDoubles(7, family.bounds);
  const boundsField = bounds.finish();
  w.begin(9); // Metric.histogram
  for (const p of family.points) {
    w.begin(1); // HistogramDataPoint
    writePointAttributes(w, 9, p.labels);
    w.fixed64Bytes(2, times.start);
    w.fixed64Bytes(3, times.time);
    w.fixed64(4, count(p.count));
    w.double(5, p.sum);
    w.packedCounts(6, p.counts, buckets);
    w.raw8(boundsField);
    w.end();
  }
  w.uint(2, AGGREGATION_TEMPORALITY_CUMULATIVE);
  w.end();
}

function writeMetric(w: ProtoWriter, family: MetricFamily, times: Times): void {
  w.begin(2); // ScopeMetrics.metrics
  w.string(1, family.name);
  if (family.help) w.string(2, family.help);
  if (family.unit) w.string(3, family.unit);
  if (family.type === 'gauge') {
    w.begin(5);
    writeNumberPoints(w, family.points, times, false);
    w.end();
  } else if (family.type === 'counter') {
    w.begin(7);
    writeNumberPoints(w, family.points, times, true);
    w.uint(2, AGGREGATION_TEMPORALITY_CUMULATIVE);
    w.uint(3, 1); // is_monotonic
    w.end();
  } else writeHistogram(w, family, times);
  w.end();
}

export function encodeMetricsRequest(snapshot: MetricsSnapshot, scope: OtlpScope): Buffer {
  const times = { start: epochNanos(snapshot.startT), time: epochNanos(snapshot.t) };
  const w = new ProtoWriter(16 * 1024);
  w.begin(1); // ResourceMetrics
  writeResource(w, 1, snapshot.resource);
  w.begin(2); // ScopeMetrics
  writeScope(w, 1, scope);
  for (const family of snapshot.families) if (family.points.length) writeMetric(w, family, times);
  w.end();
  w.end();
  return w.finish();
}
