export * from './percentile';
export * from './trend-stats';
export { bootstrapDifference, proportionDifference, senInterval, thinEvenly } from './sample-stats';
