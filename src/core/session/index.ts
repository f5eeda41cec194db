export * from './ring-buffer';
export * from './session';
export * from './session-store';
export * from './site-history';
export * from './recording';
export * from './host';
export * from './summaries';
