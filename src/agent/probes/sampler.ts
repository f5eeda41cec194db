import type { AgentContext } from '../context';

/** Finite or zero: one NaN would make the server drop the whole batch it travels in. */
export function finite(n: number): number {
  return Number.isFinite(n) ? n : 0;
}

/** Calls every periodic probe from one unref'd timer, each guarded on its own. */
export function startSampler(ctx: AgentContext, samplers: Array<() => void>): NodeJS.Timeout | null {
  if (samplers.length === 0) return null;
  const timer = setInterval(() => {
    for (const sample of samplers) {
      try {
        sample();
      } catch {
        /* one failing probe must not stop the others, nor reach the app */
      }
    }
  }, ctx.options.sampleIntervalMs);
  timer.unref();
  return timer;
}
