import type { HttpMessage, HttpSummaryMessage } from '../../protocol';

/**
 * An agent's `httpSummary` as the `http` messages it stands for, in time order: each duration
 * class's requests spread evenly over the window on their own (so a window split across two
 * chart seconds gives both halves the same mix of durations), with `scope: null`.
 */
export function expandHttpSummary(msg: HttpSummaryMessage): HttpMessage[] {
  const from = Math.min(msg.fromT, msg.t);
  const span = msg.t - from;
  const out: HttpMessage[] = [];
  for (const r of msg.routes) {
    for (let c = 0; c < r.counts.length; c++) {
      const n = r.counts[c];
      const durationMs = r.durationsMs[c];
      for (let i = 0; i < n; i++) {
        out.push({ type: 'http', pid: msg.pid, t: from + (span * (i + 0.5)) / n, method: r.method, route: r.route, status: r.status, durationMs, scope: null });
      }
    }
  }
  return out.sort((a, b) => a.t - b.t);
}
