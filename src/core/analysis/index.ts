export * from './builtin';
export * from './run-detectors';
export * from './analyze';
export * from './live-analyzer';
export * from './findings-diff';
