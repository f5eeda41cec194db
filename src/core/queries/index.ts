export { fingerprint, analyzeSql, initFingerprints, fingerprintsUseParser, type QueryShape } from './fingerprint';
export { aggregateQueries, type QueryAggregate } from './aggregate';
export { normalizeSql, type SqlShape } from './sql-normalize';
