import { PerformanceObserver, constants, performance, type PerformanceEntry } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import type { GcKind } from '../../protocol/messages';
import { micro } from '../clock';
import type { AgentContext } from '../context';
import { DurationClasses } from './duration-classes';
import { WindowTimer } from './window-timer';

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
 * Minor GCs are sent folded this long after the first one of a window: the GC chart counts
 * per second, and an app that allocates nothing gets no timer.
 */
const SUMMARY_PERIOD_MS = 1000;

let minorGcs = 0;

/** Scavenges seen since the probe started (0 without it): heap sampling reads the allocation rate from them. */
export function minorGcCount(): number {
  return minorGcs;
}

export interface GcProbe {
  /** Sends the minor GCs folded so far (the exit path calls it before the bye). */
  flush(): void;
}

/**
 * Major, incremental and weak-callback GCs each come as a `gc` message, with the heap used
 * after them read in the callback (the post-GC heap trend of leak detection reads them): close
 * for a major GC in an app that yields, high when a long synchronous run allocated between the
 * GC and the callback. Minor GCs (scavenges, a hundred a second in a busy server) are folded into
 * duration classes and sent as one `gcSummary` a second: a message each, with a heap read,
 * cost a light handler ~3 % of its CPU (bench/cpu-slices.js, gc-only against it).
 */
export function installGcProbe(ctx: AgentContext): GcProbe {
  const origin = performance.timeOrigin;
  let minor = new DurationClasses();
  let fromT = 0;
  const flush = () => {
    sendTimer.disarm();
    if (minor.classes.size === 0) return;
    const pauses = [{ kind: 'minor' as const, ...minor.toArrays() }];
    minor = new DurationClasses();
    ctx.emit({ type: 'gcSummary', pid: ctx.pid, t: micro(ctx.now()), fromT: micro(fromT), pauses });
  };
  const sendTimer = new WindowTimer(SUMMARY_PERIOD_MS, flush);

  const observer = new PerformanceObserver((list) => {
    try {
      let heapUsedAfter = -1;
      for (const entry of list.getEntries() as PerformanceEntry[]) {
        const detail = (entry as unknown as { detail?: { kind?: number } }).detail;
        const kind = kindOf(detail?.kind ?? 0);
        const t = origin + entry.startTime;
        if (kind === 'minor') {
          minorGcs++;
          if (minor.classes.size === 0) fromT = t;
          minor.add(entry.duration);
          continue;
        }
        if (heapUsedAfter < 0) heapUsedAfter = v8.getHeapStatistics().used_heap_size;
        ctx.emit({ type: 'gc', pid: ctx.pid, t, kind, durationMs: entry.duration, heapUsedAfter });
      }
      if (minor.classes.size > 0) sendTimer.arm();
    } catch {
      /* never into the app */
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return { flush };
}
