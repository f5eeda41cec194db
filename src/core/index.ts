// The core's public face, bundled as dist/core.js for the CLI, the extension, tests and benches.
export * from '../protocol';
export * from './findings/finding';
export * from './server/session-server';
export * from './server/token';
export * from './stats';
export * from './session';
export * from './detectors/detector';
export * from './detectors/query-detectors';
export { scopeNamesFromHttp } from './detectors/query-scopes';
export * from './leaks';
export * from './queries';
export * from './heap';
export * from './sourcemaps';
export * from './attach';
export * from './charts/chart-feed';
export * from './report';
export * from './analysis';
