import { PerformanceObserver, constants, performance, type PerformanceEntry } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import type { GcKind } from '../../protocol/messages';
import type { AgentContext } from '../context';

function kindOf(flag: number): GcKind {
  switch (flag) {
    case constants.NODE_PERFORMANCE_GC_MAJOR:
      return 'major';
    case constants.NODE_PERFORMANCE_GC_INCREMENTAL:
      return 'incremental';
    case constants.NODE_PERFORMANCE_GC_WEAKCB:
      return 'weakcb';
    default:
      return 'minor';
  }
}

/**
 * One `gc` message per collection. Entries arrive in a callback shortly after the collection,
 * so `heapUsedAfter` (read there) is the heap right after the last GC of the callback's batch
 * plus whatever was allocated since: close for a major GC in an app that yields, high when a
 * long synchronous run allocated between the GC and the callback.
 */
export function installGcProbe(ctx: AgentContext): PerformanceObserver {
  const origin = performance.timeOrigin;
  const observer = new PerformanceObserver((list) => {
    try {
      const heapUsedAfter = v8.getHeapStatistics().used_heap_size;
      for (const entry of list.getEntries() as PerformanceEntry[]) {
        const detail = (entry as unknown as { detail?: { kind?: number } }).detail;
        ctx.emit({
          type: 'gc',
          pid: ctx.pid,
          t: origin + entry.startTime,
          kind: kindOf(detail?.kind ?? 0),
          durationMs: entry.duration,
          heapUsedAfter,
        });
      }
    } catch {
      /* never into the app */
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return observer;
}
