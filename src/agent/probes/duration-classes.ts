import { micro } from '../clock';

/**
 * Duration classes per doubling: 32 makes neighbours 2.2 % apart. A class reports the mean of
 * its members, so a percentile read from the classes is within that of the exact one, and
 * members of one duration come back exact.
 */
const CLASSES_PER_DOUBLING = 32;

/** Durations folded per class: [members, sum of their durations in ms]. One map lookup each. */
export class DurationClasses {
  readonly classes = new Map<number, [number, number]>();

  add(durationMs: number): void {
    const c = Math.floor(Math.log2(1 + durationMs * 1000) * CLASSES_PER_DOUBLING);
    const entry = this.classes.get(c);
    if (entry === undefined) {
      this.classes.set(c, [1, durationMs]);
    } else {
      entry[0]++;
      entry[1] += durationMs;
    }
  }

  /** Each class's mean duration (to the µs) and its count, as the summary messages carry them. */
  toArrays(): { durationsMs: number[]; counts: number[] } {
    const durationsMs: number[] = [];
    const counts: number[] = [];
    for (const [n, sum] of this.classes.values()) {
      counts.push(n);
      durationsMs.push(micro(sum / n));
    }
    return { durationsMs, counts };
  }
}
