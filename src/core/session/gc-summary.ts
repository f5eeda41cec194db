import type { GcMessage, GcSummaryMessage } from '../../protocol';

/**
 * An agent's `gcSummary` as the `gc` messages it stands for, in time order: each duration
 * class's collections spread evenly over the window, without a heap size after.
 */
export function expandGcSummary(msg: GcSummaryMessage): GcMessage[] {
  const from = Math.min(msg.fromT, msg.t);
  const span = msg.t - from;
  const out: GcMessage[] = [];
  for (const p of msg.pauses) {
    for (let c = 0; c < p.counts.length; c++) {
      const n = p.counts[c];
      const durationMs = p.durationsMs[c];
      for (let i = 0; i < n; i++) out.push({ type: 'gc', pid: msg.pid, t: from + (span * (i + 0.5)) / n, kind: p.kind, durationMs });
    }
  }
  return out.sort((a, b) => a.t - b.t);
}
