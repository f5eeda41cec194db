import type { HistogramPoint, MetricLabels } from './metrics-snapshot';

/**
 * A cumulative histogram with fixed upper bounds: one count per bucket (not cumulative, as
 * MetricsSnapshot holds them), their sum and count. `observe` is a binary search over the
 * bounds and an increment: no allocation, so it can run once per request of a busy app.
 */
export class Histogram {
  /** `counts[i]` for bounds[i-1] < v ≤ bounds[i]; the last slot for v above every bound */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Records `n` observations of `value` (a summary's duration class stands for n requests). */
  observe(value: number, n = 1): void {
    if (!Number.isFinite(value) || !(n > 0)) return;
    const bounds = this.bounds;
    let lo = 0;
    let hi = bounds.length;
    // the first bound ≥ value (Prometheus buckets are `le`: upper bounds inclusive)
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (bounds[mid] < value) lo = mid + 1;
      else hi = mid;
    }
    this.counts[lo] += n;
    this.sum += value * n;
    this.count += n;
  }

  /** Adds another histogram of the same bounds into this one (folding a series into `other`). */
  add(other: Histogram): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i];
    this.sum += other.sum;
    this.count += other.count;
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }

  /** A copy for a snapshot: exporters may hold it while observations go on. */
  point(labels: MetricLabels): HistogramPoint {
    return { labels, counts: Array.from(this.counts), sum: this.sum, count: this.count };
  }
}
