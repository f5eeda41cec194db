/**
 * Histogram upper bounds of the exported series, each suited to its quantity (base units).
 * docs/metrics.md lists them; changing one changes every dashboard's `le` values, so extend
 * only with care.
 */

/** HTTP request duration (s): a fast Node handler answers in ~1 ms; 10 s is a timeout. */
export const HTTP_DURATION_BOUNDS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Query duration (s): a cached Redis GET takes ~0.1 ms, a primary-key SELECT ~0.5 ms. */
export const QUERY_DURATION_BOUNDS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Wait for a pooled connection (s): 0 when one was free (the first bucket), up to a pool timeout. */
export const POOL_WAIT_BOUNDS: readonly number[] = [0, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Queries one request issued: 0 (cached or static), a handful, or an N+1's tens to hundreds. */
export const QUERIES_PER_REQUEST_BOUNDS: readonly number[] = [0, 1, 2, 3, 5, 10, 20, 50, 100, 200, 500];

/** GC pause (s): scavenges take 0.1–2 ms, full mark-compacts tens to hundreds of ms. */
export const GC_PAUSE_BOUNDS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/**
 * A sample window's p99 event-loop delay (s): the agent reports how late its 20 ms timer came,
 * so an idle loop reads ~0, a busy one a few ms, and a blocked one hundreds of ms.
 */
export const EVENT_LOOP_DELAY_BOUNDS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
