export * from './live-analyzer';
export * from './findings-diff';
export * from './markdown-report';
