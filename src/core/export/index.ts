// Metrics export: the shared snapshot model, its accumulator and the Prometheus exposition.
export * from './metrics-snapshot';
export { FleetMetrics, type FleetIdentity, type FleetMetricsOptions } from './fleet-metrics';
export { Histogram } from './histogram';
export * from './buckets';
export { QuerySeries, fingerprintLabel, MAX_FINGERPRINT_LABEL_CHARS, DEFAULT_QUERY_SERIES_LIMITS, type QuerySeriesLimits } from './query-series';
export { statusClass, DEFAULT_MAX_ROUTES } from './http-series';
export { CONTENT_TYPES, formatForAccept, renderMetricsText, escapeLabelValue, sanitizeLabelName, formatValue, type ExpositionFormat } from './prometheus-text';
export { startMetricsServer, MetricsListenError, type MetricsServer, type MetricsServerOptions } from './metrics-http';
