import type {
  FindingRow,
  HostToWebview,
  ProcessInfo,
  ProvisionalPoints,
  ProvisionalSeriesName,
  QueryRow,
  SeriesName,
  SeriesPoints,
} from '../src/protocol/chart-messages';

const NAMES: SeriesName[] = ['memory', 'gcMarks', 'gcPauses', 'eventLoop', 'http', 'cache', 'pool'];
const PROVISIONAL: ProvisionalSeriesName[] = ['gcPauses', 'http', 'cache'];

interface ProcessData {
  /** closed points only */
  series: SeriesPoints;
  /** the still-open second of each per-second series, drawn after its closed points */
  provisional: ProvisionalPoints;
  queries: QueryRow[];
  lastT: number;
}

/**
 * What the page knows, per process, kept to the time window: switching the process selector
 * redraws from here without asking the host.
 */
export class PanelModel {
  windowMs = 5 * 60_000;
  processes: ProcessInfo[] = [];
  findings: FindingRow[] = [];
  private readonly data = new Map<number, ProcessData>();

  /** The earliest time still kept for a process (the left edge of a young process's charts). */
  start(pid: number): number {
    const d = this.data.get(pid);
    let first = Infinity;
    for (const name of NAMES) first = Math.min(first, (d?.series[name][0] as number[] | undefined)?.[0] ?? Infinity);
    return first;
  }

  /** Applies a host message; returns the pids whose series got new points. */
  apply(msg: HostToWebview): Set<number> {
    const touched = new Set<number>();
    if (msg.type === 'findings') {
      this.findings = msg.findings;
      return touched;
    }
    if (msg.type === 'reset') {
      this.windowMs = msg.windowMs;
      this.data.clear();
      this.findings = msg.findings;
    }
    if (msg.processes) this.processes = msg.processes;
    for (const s of msg.series) {
      const d = this.of(s.pid);
      for (const name of NAMES) {
        const points = s[name] as number[][] | undefined;
        if (!points?.length) continue;
        (d.series[name] as number[][]).push(...points);
        d.lastT = Math.max(d.lastT, points[points.length - 1][0]);
      }
      for (const name of PROVISIONAL) {
        // Closed points of a series close its open second too; a newer open value replaces the old.
        if ((s[name] as unknown[] | undefined)?.length) delete d.provisional[name];
        const open = s.provisional?.[name];
        if (open) {
          (d.provisional as Record<ProvisionalSeriesName, number[]>)[name] = open;
          d.lastT = Math.max(d.lastT, open[0]);
        }
      }
      this.trim(d);
      touched.add(s.pid);
    }
    for (const [pid, rows] of Object.entries(msg.queries ?? {})) this.of(Number(pid)).queries = rows;
    return touched;
  }

  get(pid: number): ProcessData | undefined {
    return this.data.get(pid);
  }

  /** Whether the process reported a database pool (its pool chart is shown only then). */
  hasPool(pid: number): boolean {
    return (this.data.get(pid)?.series.pool.length ?? 0) > 0;
  }

  /** Whether the process read a cache (its cache chart is shown only then). */
  readsCache(pid: number): boolean {
    const d = this.data.get(pid);
    return !!d && (d.series.cache.some((p) => p[1] + p[2] > 0) || (d.provisional.cache !== undefined && d.provisional.cache[1] + d.provisional.cache[2] > 0));
  }

  /** The newest process, preferring one that still runs. */
  newest(): ProcessInfo | undefined {
    const byStart = [...this.processes].sort((a, b) => b.startedAt - a.startedAt);
    return byStart.find((p) => !p.ended) ?? byStart[0];
  }

  private of(pid: number): ProcessData {
    let d = this.data.get(pid);
    if (!d) this.data.set(pid, (d = { series: { memory: [], gcMarks: [], gcPauses: [], eventLoop: [], http: [], cache: [], pool: [] }, provisional: {}, queries: [], lastT: 0 }));
    return d;
  }

  private trim(d: ProcessData): void {
    const min = d.lastT - this.windowMs;
    for (const name of NAMES) {
      const arr = d.series[name] as number[][];
      let cut = 0;
      while (cut < arr.length && arr[cut][0] < min) cut++;
      if (cut) arr.splice(0, cut);
    }
  }
}
