import { ID_SEGMENT_SOURCE } from '../../protocol/id-segment';

/**
 * Route names. A framework's route template wins (`GET /users/:id`); requests no framework
 * named get their path without the query string, with segments that look like identifiers
 * (all digits, a UUID, or 8+ word characters mixing letters and digits, as slugs with an id
 * suffix do) replaced by ':id', so `/users/42/posts?x=1` and `/users/7/posts` are one route.
 */
const ID_SEGMENT = new RegExp(String.raw`\/${ID_SEGMENT_SOURCE}(?=\/|$)`, 'gi');
const HAS_DIGIT = /\d/;

/** Set on the raw request by framework hooks that know the matched route (Fastify, Koa). */
export const kFrameworkRoute = Symbol.for('perf-lens.framework-route');
/** Hono's request object (HonoRequest) of the raw request: its `routePath` is the matched route. */
export const kHonoRequest = Symbol.for('perf-lens.hono-request');
/** Koa's context of the raw request: @koa/router leaves the matched route on it. */
export const kKoaContext = Symbol.for('perf-lens.koa-context');

export function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export function routeOf(path: string): string {
  // Most paths of most apps have no digit at all: skip the replace.
  return HAS_DIGIT.test(path) ? path.replace(ID_SEGMENT, '/:id') : path;
}

/**
 * `pathOf` and `routeOf` of a URL, remembering the last URL: a server asked for one URL again
 * and again (a health check, a cached read under load) slices and tests it once, and hands back
 * the same route string, whose hash the request summary's map then need not compute again
 * (perf on the minimal handler: hashing, slicing and the digit test were a third of the
 * agent's samples).
 */
export function lastUrlMemo(): (url: string | undefined) => { path: string; route: string } {
  let lastUrl: string | undefined | null = null;
  let last = { path: '/', route: '/' };
  return (url) => {
    if (url !== lastUrl) {
      const path = pathOf(url);
      last = { path, route: routeOf(path) };
      lastUrl = url;
    }
    return last;
  };
}

interface RoutedRequest {
  baseUrl?: unknown;
  params?: unknown;
  route?: { path?: unknown } | null;
  [kFrameworkRoute]?: unknown;
  [kKoaContext]?: { _matchedRoute?: unknown } | undefined;
  [kHonoRequest]?: { routePath?: unknown } | undefined;
}

/** `/api/articles/` → `/api/articles`: a router's `get('/')` under a mount path names the mount. */
function trimSlash(route: string): string {
  return route.length > 1 && route.endsWith('/') ? route.slice(0, -1) : route;
}

/**
 * The route template the app's framework matched: Express 4/5 (and NestJS on it) leave it on
 * the request (`baseUrl` + `route.path`, nested routers included); Fastify's and Koa's hooks
 * leave it under a symbol or on Koa's context, Hono's on its request object.
 */
export function frameworkRoute(req: RoutedRequest): string | null {
  const hinted = req[kFrameworkRoute];
  if (typeof hinted === 'string') return trimSlash(hinted);
  const koa = req[kKoaContext]?._matchedRoute;
  if (typeof koa === 'string') return trimSlash(koa);
  const hono = req[kHonoRequest];
  if (hono !== undefined) {
    const path = hono.routePath; // a getter: read once
    if (typeof path === 'string' && !path.endsWith('*')) return trimSlash(path);
  }
  const route = req.route;
  if (route === undefined || route === null || typeof route.path !== 'string') return null;
  const base = typeof req.baseUrl === 'string' ? mountTemplate(req.baseUrl, req.params) : '';
  return trimSlash(base + route.path);
}

/**
 * Express's `baseUrl` is the URL its routers matched, not their patterns: a router mounted at
 * `/:slug/comments` gives `/posts/how-to-4f2a9c/comments`. Segments equal to a parameter's
 * value (`mergeParams` routers see their parents') become `:name`; ids left over are
 * collapsed like raw paths.
 */
function mountTemplate(base: string, params: unknown): string {
  if (base === '') return base;
  if (params !== null && typeof params === 'object') {
    let names: Map<string, string> | null = null;
    for (const [name, value] of Object.entries(params as Record<string, unknown>)) {
      if (typeof value !== 'string' || value === '' || /^\d+$/.test(name)) continue;
      (names ??= new Map()).set(encodeURIComponent(value), name);
    }
    if (names !== null) base = base.split('/').map((seg) => (names.has(seg) ? `:${names.get(seg)}` : seg)).join('/');
  }
  return routeOf(base);
}
