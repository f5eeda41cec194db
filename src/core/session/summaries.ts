import type { AgentMessage, GcMessage, GcSummaryMessage, HttpMessage, HttpSummaryMessage } from '../../protocol';

/**
 * One message per member of each duration class, spread evenly over [fromT, t] class by class
 * (so a window split across two chart seconds gives both halves the same mix of durations).
 */
function spreadClasses<M>(fromT: number, t: number, durationsMs: number[], counts: number[], make: (t: number, durationMs: number) => M, out: M[]): void {
  const from = Math.min(fromT, t);
  const span = t - from;
  for (let c = 0; c < counts.length; c++) {
    const n = counts[c];
    for (let i = 0; i < n; i++) out.push(make(from + (span * (i + 0.5)) / n, durationsMs[c]));
  }
}

const byTime = (a: { t: number }, b: { t: number }) => a.t - b.t;

/** An agent's `httpSummary` as the `http` messages it stands for, in time order, with `scope: null`. */
export function expandHttpSummary(msg: HttpSummaryMessage): HttpMessage[] {
  const out: HttpMessage[] = [];
  for (const r of msg.routes) {
    spreadClasses(msg.fromT, msg.t, r.durationsMs, r.counts, (t, durationMs): HttpMessage => ({ type: 'http', pid: msg.pid, t, method: r.method, route: r.route, status: r.status, durationMs, scope: null }), out);
  }
  return out.sort(byTime);
}

/** An agent's `gcSummary` as the `gc` messages it stands for, in time order, without a heap size after. */
export function expandGcSummary(msg: GcSummaryMessage): GcMessage[] {
  const out: GcMessage[] = [];
  for (const p of msg.pauses) {
    spreadClasses(msg.fromT, msg.t, p.durationsMs, p.counts, (t, durationMs): GcMessage => ({ type: 'gc', pid: msg.pid, t, kind: p.kind, durationMs }), out);
  }
  return out.sort(byTime);
}

/**
 * The messages a folded summary stands for (`httpSummary` → `http`, `gcSummary` → `gc`), or
 * null for any other message. Every reader past the session server sees only the expanded form.
 */
export function expandSummary(msg: AgentMessage): Array<HttpMessage | GcMessage> | null {
  if (msg.type === 'httpSummary') return expandHttpSummary(msg);
  if (msg.type === 'gcSummary') return expandGcSummary(msg);
  return null;
}
