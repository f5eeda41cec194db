import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { AgentContext } from '../context';
import { finite } from './sampler';

/**
 * Timer period of the delay histogram. Each tick wakes an idle loop, and a wake-up costs
 * ~100 µs of CPU on a small VM (measured: 10 ms ticks kept an idle app at 1 % of a core).
 * The delay itself is still measured to the nanosecond; a longer period only samples the
 * loop less often, and blocks worth reporting last far longer than 20 ms.
 */
const RESOLUTION_MS = 20;
const NS_PER_MS = 1e6;

/**
 * Node's histogram records the whole period between two timer ticks, so an idle loop reads
 * ~RESOLUTION_MS. Perf Lens reports the *delay*: how late the tick came (period minus the
 * resolution), so an idle app reads ~0 and a 200 ms block reads 190–200 ms.
 */
function delayMs(periodNs: number): number {
  return Math.max(0, finite(periodNs) / NS_PER_MS - RESOLUTION_MS);
}

/** Event-loop delay percentiles and utilisation over each sample interval. */
export function eventLoopSampler(ctx: AgentContext): () => void {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  let lastElu: EventLoopUtilization = performance.eventLoopUtilization();
  return () => {
    const elu = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(elu, lastElu);
    lastElu = elu;
    const empty = histogram.count === 0;
    ctx.emit({
      type: 'eventLoop',
      pid: ctx.pid,
      t: ctx.now(),
      p50Ms: empty ? 0 : delayMs(histogram.percentile(50)),
      p99Ms: empty ? 0 : delayMs(histogram.percentile(99)),
      maxMs: empty ? 0 : delayMs(histogram.max),
      meanMs: empty ? 0 : delayMs(histogram.mean),
      utilization: Math.min(1, Math.max(0, finite(delta.utilization))),
    });
    histogram.reset();
  };
}
