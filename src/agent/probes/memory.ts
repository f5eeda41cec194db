import * as v8 from 'node:v8';
import type { AgentContext } from '../context';

/** process.memoryUsage() plus the heap limit: ~4 µs, once per sample interval. */
export function memorySampler(ctx: AgentContext): () => void {
  return () => {
    const m = process.memoryUsage();
    ctx.emit({
      type: 'memory',
      pid: ctx.pid,
      t: ctx.now(),
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      rss: m.rss,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      heapLimit: v8.getHeapStatistics().heap_size_limit,
    });
  };
}
