export * from './messages';
export * from './validate';
export * from './query-rows';
