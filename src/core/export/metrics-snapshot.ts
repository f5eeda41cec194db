/**
 * The metrics a run exports, in one shape that both exporters read: the Prometheus text
 * endpoint renders it, the OTLP pusher encodes it. Values are cumulative since `startT`
 * (OpenMetrics counters and histograms; OTLP cumulative temporality); gauges are the latest
 * value. Units are base units (seconds, bytes) and names follow Prometheus conventions
 * (`perf_lens_http_request_duration_seconds`); the OTLP side uses the same names.
 */

/** Label name → value. Every point carries `pid`, `service` and `instance`. */
export type MetricLabels = Readonly<Record<string, string>>;

export interface GaugePoint {
  labels: MetricLabels;
  value: number;
}

export interface HistogramPoint {
  labels: MetricLabels;
  /**
   * Observations per bucket, not cumulative: `counts[i]` for `bounds[i-1] < v ≤ bounds[i]`,
   * and the last entry (index `bounds.length`) for `v > bounds[bounds.length - 1]`.
   */
  counts: number[];
  sum: number;
  count: number;
}

interface FamilyBase {
  /** `perf_lens_…`, without `_total`, `_bucket`, `_sum` or `_count` */
  name: string;
  help: string;
  /** UCUM-style unit for OTLP (`s`, `By`, `1`, `{request}`); the name already carries it for Prometheus */
  unit: string;
}

export interface GaugeFamily extends FamilyBase {
  type: 'gauge';
  points: GaugePoint[];
}

export interface CounterFamily extends FamilyBase {
  type: 'counter';
  points: GaugePoint[];
}

export interface HistogramFamily extends FamilyBase {
  type: 'histogram';
  /** upper bounds, ascending, in the family's unit */
  bounds: readonly number[];
  points: HistogramPoint[];
}

export type MetricFamily = GaugeFamily | CounterFamily | HistogramFamily;

export interface MetricsSnapshot {
  /** when the snapshot was taken (epoch ms) */
  t: number;
  /** start of the cumulative window (epoch ms) */
  startT: number;
  /** the OTLP resource / Prometheus target identity */
  resource: {
    service: string;
    instance: string;
    /** extra resource attributes (OTEL_RESOURCE_ATTRIBUTES) */
    attributes: Readonly<Record<string, string>>;
  };
  families: MetricFamily[];
}
