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

function collectGarbage(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const inspector = require('node:inspector') as typeof import('node:inspector');
  const session = new inspector.Session();
  session.connect();
  return new Promise<void>((resolve) => {
    // Twice: the first pass can leave weakly held objects for the second.
    // Each step waits for setImmediate: a post() or disconnect() made inside a post callback
    // (which runs synchronously within post()) never completes on Node 20 and hangs the app.
    session.post('HeapProfiler.collectGarbage', () => {
      setImmediate(() => {
        session.post('HeapProfiler.collectGarbage', () => {
          setImmediate(() => {
            session.disconnect();
            resolve();
          });
        });
      });
    });
  });
}
