import { performance } from 'node:perf_hooks';

const origin = performance.timeOrigin;

/** Epoch milliseconds with sub-millisecond precision, without allocating a Date. */
export function now(): number {
  return origin + performance.now();
}

/** Milliseconds rounded to the microsecond: shorter numbers are cheaper to stringify and send. */
export function micro(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Runs `fn`, swallowing anything it throws: nothing of the agent may surface in the app. */
export function safely<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  return (...args: A) => {
    try {
      fn(...args);
    } catch {
      /* the app must never see the agent's errors */
    }
  };
}
