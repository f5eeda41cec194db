import type { Report } from '../types';

import { relativeLocation } from '../../util/paths';
import { formatMegabytes as mb, formatMs as ms } from '../../util/units';

function where(file: string, line: number, column: number, root: string): string {
  return relativeLocation({ file, line, column }, root);
}

/** The human summary printed at the end of `run` and `analyze`. */
export function formatSummary(report: Report, root: string): string {
  const lines: string[] = [];
  const seconds = (Date.parse(report.endedAt) - Date.parse(report.startedAt)) / 1000;
  lines.push(`Perf Lens: ${report.processes.length} process${report.processes.length === 1 ? '' : 'es'} over ${seconds.toFixed(1)} s`);
  for (const p of report.processes) {
    const m = p.metrics;
    const heap = m.memory.map((s) => s.heapUsed);
    const rss = m.memory.map((s) => s.rss);
    const majors = m.gc.filter((g) => g.kind === 'major');
    const gcMs = m.gc.reduce((a, g) => a + g.durationMs, 0);
    const loopP99 = m.eventLoop.length ? Math.max(...m.eventLoop.map((e) => e.p99Ms)) : 0;
    const queries = m.queries.reduce((a, q) => a + q.count, 0);
    lines.push(`  pid ${p.pid}  ${p.command}  (${p.nodeVersion})`);
    lines.push(
      `    heap ${heap.length ? `${mb(heap[0])} → ${mb(heap[heap.length - 1])}, peak ${mb(Math.max(...heap))}` : 'n/a'}` +
        `  rss peak ${rss.length ? mb(Math.max(...rss)) : 'n/a'}` +
        `  gc ${m.gc.length} (${majors.length} major, ${ms(gcMs)})` +
        `  event loop p99 ≤ ${ms(loopP99)}`,
    );
    lines.push(
      `    http ${m.http.requests} requests, ${m.http.errors} errors, p50 ${ms(m.http.p50Ms)} p95 ${ms(m.http.p95Ms)} p99 ${ms(m.http.p99Ms)}` +
        `  queries ${queries}` +
        (m.cache ? `  cache hits ${(m.cache.hitRate * 100).toFixed(1)} % of ${m.cache.reads} reads` : '') +
        (p.dropped ? `  dropped ${p.dropped} messages` : ''),
    );
    for (const pool of m.pools ?? []) {
      lines.push(`    pool ${pool.driver}${pool.max !== null ? ` of ${pool.max}` : ''}: peak ${pool.peakInUse} in use of ${pool.peakSize} open, ${pool.peakWaiting} waiting`);
    }
  }
  if (report.findings.length === 0) {
    lines.push('No findings.');
  } else {
    lines.push(`${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}:`);
    const order = { error: 0, warning: 1, info: 2 };
    for (const f of [...report.findings].sort((a, b) => order[a.severity] - order[b.severity])) {
      const loc = f.location ? where(f.location.file, f.location.line, f.location.column, root) : `pid ${f.pid}`;
      lines.push(`  ${loc}: ${f.severity} ${f.kind}: ${f.message}`);
    }
  }
  return lines.join('\n');
}
