// What dist/core.js exposes of the OTLP exporter: the encoders, the settings, the retry rules
// and the exporter itself (tests and benches use them; the CLI imports the modules directly).
export * from './otlp-common';
export * from './otlp-code-function';
export * from './otlp-config';
export * from './otlp-exporter';
export * from './otlp-logs';
export * from './otlp-metrics';
export * from './otlp-protobuf';
export * from './otlp-retry';
export * from './otlp-transport';
