import type { HttpMessage } from '../../protocol';
import { HTTP_DURATION_BOUNDS, QUERIES_PER_REQUEST_BOUNDS } from './buckets';
import { Histogram } from './histogram';
import type { HistogramPoint, MetricLabels } from './metrics-snapshot';

/** Distinct method+route pairs per process with series of their own; further ones become route `other`. */
export const DEFAULT_MAX_ROUTES = 100;

/** `status_class` by the status's hundreds; anything outside 100–599 is `other`. */
const STATUS_CLASSES = ['other', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;

export function statusClassIndex(status: number): number {
  const c = Math.floor(status / 100);
  return c >= 1 && c <= 5 ? c : 0;
}

export function statusClass(status: number): string {
  return STATUS_CLASSES[statusClassIndex(status)];
}

/** Methods kept as labels; Node's parser accepts only known methods, this keeps the set closed anyway. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE']);

/** The routes' label for everything past the cap. */
export const OTHER_ROUTE = 'other';

class RouteSeries {
  /** by status class index, made on first use */
  readonly durations: (Histogram | undefined)[] = new Array(STATUS_CLASSES.length);
  readonly queries = new Histogram(QUERIES_PER_REQUEST_BOUNDS);
  /** label sets, made once per snapshot shape (the renderer caches their text by object) */
  readonly durationLabels: (MetricLabels | undefined)[] = new Array(STATUS_CLASSES.length);
  queriesLabels: MetricLabels | undefined;

  constructor(
    readonly method: string,
    readonly route: string,
  ) {}
}

/**
 * Request durations per method, route and status class, and queries per request per method
 * and route, of one process. Lookups go through nested maps (method → route), so a request
 * costs two Map reads and a short scan of the bounds, with no key string built.
 */
export class HttpSeries {
  private readonly byMethod = new Map<string, Map<string, RouteSeries>>();
  private routes = 0;

  constructor(private readonly maxRoutes = DEFAULT_MAX_ROUTES) {}

  /** A request and the number of queries its scope issued. */
  observe(msg: HttpMessage, queries: number): void {
    let routes = this.byMethod.get(msg.method);
    if (!routes) {
      const method = METHODS.has(msg.method) ? msg.method : 'other';
      routes = this.byMethod.get(method);
      if (!routes) this.byMethod.set(method, (routes = new Map()));
    }
    let series = routes.get(msg.route);
    if (!series) {
      const route = this.routes < this.maxRoutes && typeof msg.route === 'string' ? msg.route : OTHER_ROUTE;
      series = routes.get(route);
      if (!series) {
        const method = METHODS.has(msg.method) ? msg.method : 'other';
        routes.set(route, (series = new RouteSeries(method, route)));
        if (route !== OTHER_ROUTE) this.routes++;
      }
    }
    const c = statusClassIndex(msg.status);
    const h = (series.durations[c] ??= new Histogram(HTTP_DURATION_BOUNDS));
    h.observe(Math.max(0, msg.durationMs) / 1000);
    series.queries.observe(queries);
  }

  durationPoints(base: MetricLabels, out: HistogramPoint[]): void {
    for (const s of this.all()) {
      for (let c = 0; c < s.durations.length; c++) {
        const h = s.durations[c];
        if (h) out.push(h.point((s.durationLabels[c] ??= { ...base, method: s.method, route: s.route, status_class: STATUS_CLASSES[c] })));
      }
    }
  }

  queriesPoints(base: MetricLabels, out: HistogramPoint[]): void {
    for (const s of this.all()) out.push(s.queries.point((s.queriesLabels ??= { ...base, method: s.method, route: s.route })));
  }

  private *all(): Iterable<RouteSeries> {
    for (const routes of this.byMethod.values()) yield* routes.values();
  }
}
