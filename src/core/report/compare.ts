/**
 * Before/after comparison of two reports: per route and overall, the change of each key
 * figure with a verdict that accounts for noise. A figure is `worse` (or `better`) only when
 * the whole 95 % interval of its change lies beyond the smallest change that matters (the
 * larger of a relative share of the base value and a floor in the figure's unit); otherwise
 * `same`. Intervals come from the samples, never from the two numbers alone: a seeded
 * bootstrap for latencies, queries per request, gaps between requests (throughput), GC time,
 * RSS and event-loop delay; counts for the error rate (two proportions); Sen's interval for
 * the heap slope.
 */
import type { Finding } from '../findings/finding';
import type { FigureName, Figures, ReportWithFigures, RequestFigures, RequestSamples, RunFigures, RunSamples } from './figures-types';
import { bootstrapDifference, proportionDifference, stat, type Interval, type Statistic } from '../stats/sample-stats';

export type Verdict = 'better' | 'worse' | 'same';

export interface FigureChange {
  figure: FigureName;
  base: number | null;
  head: number | null;
  /** head − base */
  delta: number | null;
  /** delta / base; null when base is 0 or unknown */
  relative: number | null;
  /** 95 % interval of the delta; null when it could not be judged */
  interval: [number, number] | null;
  verdict: Verdict;
  /** why the verdict is `same` without an interval (too few samples, missing figure) */
  note?: string;
}

export interface ScopeComparison {
  /** 'overall' or a route key */
  scope: string;
  /** a route only in the head run is 'new', only in the base run 'gone' */
  presence: 'both' | 'new' | 'gone';
  changes: FigureChange[];
}

export interface Comparison {
  overall: ScopeComparison;
  routes: ScopeComparison[];
  newFindings: Finding[];
  fixedFindings: Finding[];
  /** figures judged worse, plus new findings of severity error or warning */
  regressions: number;
  improvements: number;
}

export interface CompareOptions {
  /** smallest relative change that matters (default 0.1 = 10 %) */
  minRelativeChange?: number;
  /** bootstrap resamples (default 1000) */
  rounds?: number;
}

/** Fewer samples on either side than this: no verdict. */
export const MIN_SAMPLES = 5;
/**
 * A percentile is judged only when at least this many samples lie beyond it on both sides
 * (p99 needs 500 requests, p95 100): a tail of one or two requests is one GC pause, not a trend.
 */
export const MIN_TAIL_SAMPLES = 5;

type Direction = 'lower' | 'higher' | 'none';

interface FigureRule {
  better: Direction;
  /** smallest absolute change that matters, in the figure's unit */
  floor: number;
}

/** Load shorter than this says more about the machine's moment than about the app. */
const MIN_THROUGHPUT_SPAN_MS = 10_000;

const RULES: Record<FigureName, FigureRule> = {
  requests: { better: 'none', floor: 0 },
  errors: { better: 'none', floor: 0 },
  errorRate: { better: 'lower', floor: 0.01 },
  p50Ms: { better: 'lower', floor: 0.5 },
  p95Ms: { better: 'lower', floor: 0.5 },
  p99Ms: { better: 'lower', floor: 1 },
  throughputPerS: { better: 'higher', floor: 0.5 },
  queries: { better: 'none', floor: 0 },
  queriesPerRequest: { better: 'lower', floor: 0.1 },
  cacheHitRate: { better: 'higher', floor: 0.02 },
  queriesTotal: { better: 'none', floor: 0 },
  heapSlopeBytesPerMin: { better: 'lower', floor: 256 * 1024 },
  peakRssBytes: { better: 'lower', floor: 4 * 1024 * 1024 },
  gcShare: { better: 'lower', floor: 0.01 },
  eventLoopP99Ms: { better: 'lower', floor: 1 },
};

const REQUEST_FIGURES: FigureName[] = ['requests', 'errors', 'errorRate', 'p50Ms', 'p95Ms', 'p99Ms', 'throughputPerS', 'queriesPerRequest', 'cacheHitRate'];
const RUN_FIGURES: FigureName[] = [...REQUEST_FIGURES, 'queriesTotal', 'heapSlopeBytesPerMin', 'peakRssBytes', 'gcShare', 'eventLoopP99Ms'];

function judge(figure: FigureName, base: number, interval: Interval, minRelative: number): Verdict {
  const rule = RULES[figure];
  if (rule.better === 'none') return 'same';
  const band = Math.max(rule.floor, Math.abs(base) * minRelative);
  const up = interval.low > band;
  const down = interval.high < -band;
  if (!up && !down) return 'same';
  return up === (rule.better === 'higher') ? 'better' : 'worse';
}

/** Figures by name, and the counts behind the cache hit rate. */
type Values = Partial<Record<FigureName | 'cacheReads' | 'cacheHits', number | null>>;

interface Side {
  figures: Values;
  samples: Partial<RunSamples> & RequestSamples;
}

function sampleTest(base: readonly number[] | undefined, head: readonly number[] | undefined, statistic: Statistic, rounds: number, min = MIN_SAMPLES): Interval | string {
  if (!base || !head || base.length < min || head.length < min) return 'too few samples';
  return bootstrapDifference(base, head, statistic, rounds);
}

function percentileTest(base: readonly number[] | undefined, head: readonly number[] | undefined, p: number, rounds: number): Interval | string {
  const min = Math.max(MIN_SAMPLES, Math.ceil(MIN_TAIL_SAMPLES / (1 - p / 100)));
  return sampleTest(base, head, stat.percentile(p), rounds, min);
}

/** Requests per second from the gaps between them. */
const throughputOfGaps: Statistic = (sorted) => {
  const m = stat.mean(sorted);
  return m > 0 ? 1000 / m : 0;
};

/** The interval of one figure's change, or the reason there is none. */
function intervalOf(figure: FigureName, b: Side, h: Side, rounds: number): Interval | string | null {
  const bf = b.figures;
  const hf = h.figures;
  switch (figure) {
    case 'p50Ms':
      return percentileTest(b.samples.latencyMs, h.samples.latencyMs, 50, rounds);
    case 'p95Ms':
      return percentileTest(b.samples.latencyMs, h.samples.latencyMs, 95, rounds);
    case 'p99Ms':
      return percentileTest(b.samples.latencyMs, h.samples.latencyMs, 99, rounds);
    case 'queriesPerRequest':
      return sampleTest(b.samples.queries, h.samples.queries, stat.mean, rounds);
    case 'peakRssBytes':
      return sampleTest(b.samples.rssBytes, h.samples.rssBytes, stat.max, rounds);
    case 'eventLoopP99Ms':
      return sampleTest(b.samples.eventLoopP99Ms, h.samples.eventLoopP99Ms, stat.percentile(99), rounds);
    case 'gcShare': {
      const r = sampleTest(b.samples.gcMsPerSecond, h.samples.gcMsPerSecond, stat.mean, rounds);
      return typeof r === 'string' ? r : { low: r.low / 1000, high: r.high / 1000 };
    }
    case 'errorRate': {
      const bn = bf.requests ?? 0;
      const hn = hf.requests ?? 0;
      if (bn < MIN_SAMPLES || hn < MIN_SAMPLES) return 'too few requests';
      return proportionDifference(bf.errors ?? 0, bn, hf.errors ?? 0, hn);
    }
    case 'cacheHitRate': {
      const bn = bf.cacheReads ?? 0;
      const hn = hf.cacheReads ?? 0;
      if (bn < MIN_SAMPLES || hn < MIN_SAMPLES) return 'too few cache reads';
      return proportionDifference(bf.cacheHits ?? 0, bn, hf.cacheHits ?? 0, hn);
    }
    case 'throughputPerS': {
      // The load decides how many requests come, not chance: the spread is in the gaps between
      // them. A run of a few seconds is one draw of the machine's speed (measured: the same
      // demo run twice moves 30–90 %), which gaps within it cannot show: such runs are not judged.
      const span = (gaps: readonly number[]) => gaps.reduce((a, g) => a + g, 0);
      if (span(b.samples.gapsMs) < MIN_THROUGHPUT_SPAN_MS || span(h.samples.gapsMs) < MIN_THROUGHPUT_SPAN_MS) {
        return 'runs under 10 s of load are not judged';
      }
      return sampleTest(b.samples.gapsMs, h.samples.gapsMs, throughputOfGaps, rounds);
    }
    case 'heapSlopeBytesPerMin': {
      const bc = b.samples.heapSlopeCi;
      const hc = h.samples.heapSlopeCi;
      if (!bc || !hc) return 'too few memory samples';
      // A leak grows with the work done: at twice the request rate the same code grows twice as
      // fast per minute. The head's slope is judged at the base's rate, per request of load.
      const bt = bf.throughputPerS ?? 0;
      const ht = hf.throughputPerS ?? 0;
      const k = bt > 0 && ht > 0 ? bt / ht : 1;
      return { low: hc[0] * k - bc[1], high: hc[1] * k - bc[0] };
    }
    default:
      return null;
  }
}

/**
 * Shown but not judged per route: a route's throughput follows how the load interleaves the
 * routes (a route sent in a burst looks fast), not the route's own speed.
 */
const ROUTE_UNJUDGED: ReadonlySet<FigureName> = new Set<FigureName>(['throughputPerS']);

function compareScope(scope: string, figures: FigureName[], b: Side | null, h: Side | null, opts: Required<CompareOptions>): ScopeComparison {
  const presence = b && h ? 'both' : h ? 'new' : 'gone';
  const changes = figures.map((figure): FigureChange => {
    const base = b?.figures[figure] ?? null;
    const head = h?.figures[figure] ?? null;
    const delta = base !== null && head !== null ? head - base : null;
    const change: FigureChange = { figure, base, head, delta, relative: delta !== null && base ? delta / Math.abs(base) : null, interval: null, verdict: 'same' };
    if (!b || !h || RULES[figure].better === 'none') return change;
    if (scope !== 'overall' && ROUTE_UNJUDGED.has(figure)) return { ...change, note: 'not judged per route' };
    if (base === null || head === null) return { ...change, note: 'not measured in both runs' };
    const iv = intervalOf(figure, b, h, opts.rounds);
    if (iv === null) return change;
    if (typeof iv === 'string') return { ...change, note: iv };
    return { ...change, interval: [iv.low, iv.high], verdict: judge(figure, base, iv, opts.minRelativeChange) };
  });
  return { scope, presence, changes };
}

function side(figures: RequestFigures | RunFigures | undefined, samples: RequestSamples | RunSamples | undefined): Side | null {
  if (!figures) return null;
  return { figures: figures as unknown as Values, samples: samples ?? { latencyMs: [], queries: [], gapsMs: [] } };
}

/** A report without figures (older files) cannot be compared on figures. */
export class CompareError extends Error {}

function figuresOf(report: ReportWithFigures, name: string): Figures {
  if (!report || typeof report !== 'object' || report.version !== 1 || !Array.isArray(report.findings)) {
    throw new CompareError(`${name} is not a Perf Lens JSON report (perf-lens run --json).`);
  }
  if (!report.figures) throw new CompareError(`${name} has no key figures; write it again with this version of perf-lens run --json or analyze --json.`);
  return report.figures;
}

function uniqueById(findings: readonly Finding[]): Finding[] {
  const seen = new Map<string, Finding>();
  for (const f of findings) if (!seen.has(f.id)) seen.set(f.id, f);
  return [...seen.values()];
}

/** Compares `head` against `base`. Throws CompareError when either lacks what it needs. */
export function compareReports(base: ReportWithFigures, head: ReportWithFigures, options: CompareOptions = {}, names = ['the base report', 'the head report']): Comparison {
  const bf = figuresOf(base, names[0]);
  const hf = figuresOf(head, names[1]);
  const opts: Required<CompareOptions> = { minRelativeChange: options.minRelativeChange ?? 0.1, rounds: options.rounds ?? 1000 };
  const overall = compareScope('overall', RUN_FIGURES, side(bf.overall, bf.samples?.overall), side(hf.overall, hf.samples?.overall), opts);
  const routeNames = [...new Set([...Object.keys(bf.routes), ...Object.keys(hf.routes)])].sort();
  const routes = routeNames.map((r) =>
    compareScope(r, REQUEST_FIGURES, side(bf.routes[r], bf.samples?.routes[r]), side(hf.routes[r], hf.samples?.routes[r]), opts),
  );
  const baseIds = new Set(base.findings.map((f) => f.id));
  const headIds = new Set(head.findings.map((f) => f.id));
  const newFindings = uniqueById(head.findings.filter((f) => !baseIds.has(f.id)));
  const fixedFindings = uniqueById(base.findings.filter((f) => !headIds.has(f.id)));
  const all = [overall, ...routes].flatMap((s) => s.changes);
  return {
    overall,
    routes,
    newFindings,
    fixedFindings,
    regressions: all.filter((c) => c.verdict === 'worse').length + newFindings.filter((f) => f.severity !== 'info').length,
    improvements: all.filter((c) => c.verdict === 'better').length,
  };
}
