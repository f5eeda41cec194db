/**
 * When to try an OTLP request again, as the OTLP/HTTP specification says: 429, 502, 503 and
 * 504 are retryable (honouring Retry-After), so are network errors and timeouts; any other
 * status is final. Between attempts an exponential backoff with jitter, so a fleet of CLIs
 * restarted together does not hammer a recovering collector in step.
 */

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

export interface BackoffPolicy {
  /** the first wait (ms) */
  initialMs: number;
  /** no wait longer than this (ms) */
  maxMs: number;
  /** attempts per request, the first included */
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 30_000, maxAttempts: 5 };

/**
 * The wait before attempt `attempt + 1` (attempt ≥ 1): initialMs · 2^(attempt−1), capped, then
 * scaled by a random factor in [0.5, 1) ("equal jitter": never zero, never in step).
 */
export function backoffMs(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}

/** Retry-After as milliseconds from `now`: delta-seconds or an HTTP-date; undefined when absent or malformed. */
export function parseRetryAfter(raw: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value || !value.trim()) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
