import type { ChartSpec } from './live-chart';
import { bytes, count, ms } from './format';

/**
 * The live charts, each reading the host's compact tuples (see chart-feed-types). The cache
 * chart shows only for a process that read a cache.
 */
export const CHART_SPECS: Record<'heap' | 'gc' | 'loop' | 'http' | 'cache' | 'pool', ChartSpec> = {
  heap: {
    title: 'Memory',
    y: bytes,
    datasets: [
      { label: 'heap used', source: 'memory', y: (p) => p[1], color: 'blue', type: 'line' },
      { label: 'heap total', source: 'memory', y: (p) => p[2], color: 'purple', type: 'line' },
      { label: 'RSS', source: 'memory', y: (p) => p[3], color: 'orange', type: 'line' },
      { label: 'external', source: 'memory', y: (p) => p[4], color: 'green', type: 'line' },
      { label: 'major GC', source: 'gcMarks', y: (p) => p[2], color: 'red', type: 'line', marks: true },
    ],
  },
  gc: {
    title: 'GC pauses (per second)',
    y: ms,
    datasets: [
      { label: 'minor', source: 'gcPauses', y: (p) => p[1], color: 'blue', type: 'bar' },
      { label: 'major', source: 'gcPauses', y: (p) => p[2], color: 'red', type: 'bar' },
    ],
  },
  loop: {
    title: 'Event-loop delay',
    y: ms,
    datasets: [
      { label: 'p50', source: 'eventLoop', y: (p) => p[1], color: 'green', type: 'line' },
      { label: 'p99', source: 'eventLoop', y: (p) => p[2], color: 'yellow', type: 'line' },
      { label: 'max', source: 'eventLoop', y: (p) => p[3], color: 'red', type: 'line' },
    ],
  },
  http: {
    title: 'Requests',
    y: (v) => `${count(v)}/s`,
    y1: ms,
    datasets: [
      { label: 'requests/s', source: 'http', y: (p) => p[1], color: 'blue', type: 'line' },
      { label: 'p95', source: 'http', y: (p) => (p[1] > 0 ? p[2] : null), color: 'orange', type: 'line', axis: 'y1' },
      { label: 'errors/s', source: 'http', y: (p) => p[3], color: 'red', type: 'line' },
    ],
  },
  cache: {
    title: 'Cache reads',
    y: (v) => `${count(v)}/s`,
    y1: (v) => `${Math.round(v * 100)} %`,
    datasets: [
      { label: 'hits/s', source: 'cache', y: (p) => p[1], color: 'green', type: 'line' },
      { label: 'misses/s', source: 'cache', y: (p) => p[2], color: 'red', type: 'line' },
      { label: 'hit rate', source: 'cache', y: (p) => (p[1] + p[2] > 0 ? p[1] / (p[1] + p[2]) : null), color: 'blue', type: 'line', axis: 'y1' },
    ],
  },
  pool: {
    title: 'Database pool',
    y: count,
    datasets: [
      { label: 'in use', source: 'pool', y: (p) => p[1], color: 'blue', type: 'line' },
      { label: 'open', source: 'pool', y: (p) => p[2], color: 'green', type: 'line' },
      { label: 'waiting', source: 'pool', y: (p) => p[3], color: 'red', type: 'line' },
      { label: 'max', source: 'pool', y: (p) => (p[4] > 0 ? p[4] : null), color: 'purple', type: 'line' },
    ],
  },
};
