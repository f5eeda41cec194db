/**
 * Route names for requests that no framework named: the path without its query string, with
 * segments that look like identifiers (all digits, a UUID, or 16+ hex characters with a digit)
 * replaced by ':id', so `/users/42/posts?x=1` and `/users/7/posts` are one route.
 */
const ID_SEGMENT =
  /\/(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?=[a-f]*\d)[0-9a-f]{16,})(?=\/|$)/gi;
const HAS_DIGIT = /\d/;

export function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export function routeOf(path: string): string {
  // Most paths of most apps have no digit at all: skip the replace.
  return HAS_DIGIT.test(path) ? path.replace(ID_SEGMENT, '/:id') : path;
}

interface RoutedRequest {
  baseUrl?: unknown;
  route?: { path?: unknown } | null;
}

/** Express (and routers that mimic it) leave the matched route on the request. */
export function frameworkRoute(req: RoutedRequest): string | null {
  const route = req.route;
  if (route === undefined || route === null || typeof route.path !== 'string') return null;
  const base = typeof req.baseUrl === 'string' ? req.baseUrl : '';
  return base + route.path;
}
