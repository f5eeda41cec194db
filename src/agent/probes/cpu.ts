import type { AgentContext } from '../context';
import { finite } from './sampler';

/** CPU time used since the previous sample, and its share of the wall time (100 = one core). */
export function cpuSampler(ctx: AgentContext): () => void {
  let last = process.cpuUsage();
  let lastT = ctx.now();
  return () => {
    const t = ctx.now();
    const delta = process.cpuUsage(last);
    last = process.cpuUsage();
    const wallMs = t - lastT;
    lastT = t;
    const userMs = delta.user / 1000;
    const systemMs = delta.system / 1000;
    ctx.emit({
      type: 'cpu',
      pid: ctx.pid,
      t,
      userMs,
      systemMs,
      percent: wallMs > 0 ? finite(((userMs + systemMs) / wallMs) * 100) : 0,
    });
  };
}
