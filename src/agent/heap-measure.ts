import { inspectorPost } from './inspector-session';
import type { AgentContext } from './context';

/**
 * `measureHeap` command: a full GC through the in-process inspector, then the heap figures.
 * Used between load rounds so growth per round is measured on live objects only.
 */
export function installHeapMeasure(ctx: AgentContext): void {
  ctx.onCommand?.('measureHeap', (args) => {
    const round = Number.isSafeInteger(args.round) ? (args.round as number) : 0;
    return collectGarbage().then(() => {
      const m = process.memoryUsage();
      const msg = {
        type: 'heapMeasure' as const,
        pid: ctx.pid,
        t: ctx.now(),
        round,
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        rss: m.rss,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
      };
      ctx.emit(msg);
      return { round, heapUsed: m.heapUsed };
    });
  });
}

/** Two full collections: the first can leave weakly held objects for the second. */
function collectGarbage(): Promise<void> {
  return inspectorPost('HeapProfiler.collectGarbage').then(() => inspectorPost('HeapProfiler.collectGarbage')).then(() => undefined);
}
