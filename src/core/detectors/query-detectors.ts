import type { QueryMessage } from '../../protocol';
import { FINDING_KINDS, type Finding, type FindingKind } from '../findings/finding';
import { detectDuplicateQueries } from './duplicate-query';
import { IgnoreComments } from '../findings/ignore-comments';
import type { SourceReader } from '../util/source-text';
import { detectNPlusOne } from './n-plus-one';
import type { SessionDetector } from './detector';
import { pickOptions } from './detector';
import { groupByScope, lineKey, requestsFromHttp, requestsFromMaps, type ScopeRequests } from './query-scopes';
import { detectSlowQueries } from './slow-query';
import { detectPoolWaits } from './pool-wait';
import { detectHeldConnections } from './held-connection';

export interface QueryDetectorOptions {
  /** repeats of one fingerprint from one call site in one scope that make an N+1 */
  nPlusOneMinCount: number;
  /** an N+1 is a warning from this much time (ms) in its repeats in one request; info below */
  nPlusOneWarningMs: number;
  /** an N+1 is an error from this much time (ms) in one request … */
  nPlusOneErrorMs: number;
  /** … that is also at least this share (0..1) of the request's time */
  nPlusOneErrorShare: number;
  /** a query this slow (ms) or slower is reported */
  slowQueryMs: number;
  /** a slow query is an error from this duration (ms); a warning below */
  slowQueryErrorMs: number;
  /** identical runs (text and params) in one scope that make a duplicate */
  duplicateMinCount: number;
  /** a duplicate is a warning from this many runs; info below */
  duplicateWarningCount: number;
  /** quiet time (ms) that ends a burst of queries issued outside any request */
  burstGapMs: number;
  /** a route whose queries wait this long (ms, p95) for a pooled connection is reported */
  poolWaitMs: number;
  /** … as an error when its requests spend at least this share (0..1) of their time waiting */
  poolWaitErrorShare: number;
  /** a transaction with no query of its own for this long (ms) while others wait for a connection is reported */
  heldConnectionMs: number;
  /** honour `perf-lens-ignore` comments in the source */
  ignoreComments: boolean;
  /** reads source files for ignore comments (default: from disk) */
  readSource?: SourceReader;
  /** request scope id → route name (`GET /users/:id`), from the http messages */
  scopeNames?: ReadonlyMap<string, string>;
  /** request scope id → the request's duration (ms), from the http messages */
  scopeDurations?: ReadonlyMap<string, number>;
}

export const DEFAULT_QUERY_DETECTOR_OPTIONS: Readonly<QueryDetectorOptions> = Object.freeze({
  nPlusOneMinCount: 5,
  nPlusOneWarningMs: 50,
  nPlusOneErrorMs: 100,
  nPlusOneErrorShare: 0.2,
  slowQueryMs: 100,
  slowQueryErrorMs: 1000,
  duplicateMinCount: 3,
  duplicateWarningCount: 10,
  burstGapMs: 100,
  poolWaitMs: 10,
  poolWaitErrorShare: 0.3,
  heldConnectionMs: 50,
  ignoreComments: true,
});

const ALL_KINDS: ReadonlySet<FindingKind> = new Set<FindingKind>(FINDING_KINDS);
const KIND_ORDER: Record<string, number> = { 'n-plus-one': 0, 'slow-query': 1, 'duplicate-query': 2, 'pool-wait': 3, 'held-connection': 4 };

/** Options with unknown or non-numeric values replaced by the defaults. */
function resolve(options: Partial<QueryDetectorOptions> | undefined): QueryDetectorOptions {
  const o: QueryDetectorOptions = { ...DEFAULT_QUERY_DETECTOR_OPTIONS };
  if (!options) return o;
  for (const key of Object.keys(DEFAULT_QUERY_DETECTOR_OPTIONS) as Array<keyof QueryDetectorOptions>) {
    const v = options[key];
    if (typeof v === typeof DEFAULT_QUERY_DETECTOR_OPTIONS[key] && (typeof v !== 'number' || Number.isFinite(v)))
      (o as unknown as Record<string, unknown>)[key] = v;
  }
  if (typeof options.readSource === 'function') o.readSource = options.readSource;
  if (options.scopeNames instanceof Map) o.scopeNames = options.scopeNames;
  if (options.scopeDurations instanceof Map) o.scopeDurations = options.scopeDurations;
  return o;
}

/**
 * N+1, slow and duplicate queries of one process, from its query messages in arrival order.
 * Pure apart from reading source files for `perf-lens-ignore` comments.
 */
export function detectQueryFindings(
  pid: number,
  queries: readonly QueryMessage[],
  options?: Partial<QueryDetectorOptions>,
): Finding[] {
  const o = resolve(options);
  return findingsOf(pid, queries, o, requestsFromMaps(o.scopeNames, o.scopeDurations));
}

function findingsOf(pid: number, queries: readonly QueryMessage[], o: QueryDetectorOptions, requests: ScopeRequests): Finding[] {
  const scopes = groupByScope(queries, o.burstGapMs, requests);
  const nPlusOne = detectNPlusOne(pid, scopes, o);
  const reported = new Set<string>();
  for (const f of nPlusOne) {
    reported.add(`${lineKey(f.location)}\0${f.data.db}\0${f.data.fingerprint}`);
  }
  let findings = [
    ...nPlusOne,
    ...detectSlowQueries(pid, scopes, o),
    ...detectDuplicateQueries(pid, scopes, o, reported),
    ...detectPoolWaits(pid, scopes, o),
    ...detectHeldConnections(pid, scopes, o),
  ];
  if (o.ignoreComments) {
    const ignore = new IgnoreComments(ALL_KINDS, o.readSource);
    findings = findings.filter((f) => !ignore.isIgnored(f));
  }
  return findings.sort(
    (a, b) =>
      KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
      (a.location?.file ?? '').localeCompare(b.location?.file ?? '') ||
      (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
      (a.location?.column ?? 0) - (b.location?.column ?? 0) ||
      a.id.localeCompare(b.id),
  );
}

const QUERY_OPTION_KEYS: (keyof QueryDetectorOptions)[] = [
  'nPlusOneMinCount', 'nPlusOneWarningMs', 'nPlusOneErrorMs', 'nPlusOneErrorShare', 'slowQueryMs', 'slowQueryErrorMs',
  'duplicateMinCount', 'duplicateWarningCount', 'burstGapMs', 'poolWaitMs', 'poolWaitErrorShare', 'heldConnectionMs', 'ignoreComments',
];

/** The query detectors over one session, its scopes named after their routes. */
export const queryDetector: SessionDetector = (session, options) =>
  findingsOf(
    session.pid,
    session.queries.toArray(),
    resolve(pickOptions<QueryDetectorOptions>(options, QUERY_OPTION_KEYS)),
    requestsFromHttp(session.http.toArray()),
  );
