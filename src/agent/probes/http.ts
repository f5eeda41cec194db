import * as dc from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AgentContext } from '../context';
import type { Scopes } from '../scope';
import { frameworkRoute, pathOf, routeOf } from './route';

const kStart = Symbol('perfLens.start');
const kScope = Symbol('perfLens.scope');
const kPath = Symbol('perfLens.path');
const kRoute = Symbol('perfLens.route');

type TrackedRequest = IncomingMessage & {
  [kStart]?: number;
  [kScope]?: string;
  [kPath]?: string;
  [kRoute]?: string;
  baseUrl?: unknown;
  route?: { path?: unknown } | null;
};

interface ServerMessage {
  request: TrackedRequest;
  response: ServerResponse;
}

/**
 * One `http` message per request the app's servers answer, through diagnostics_channel (no
 * patching). Each request becomes a scope: enterWith() in the start subscriber puts it in the
 * async context the request handlers run in. Per request: a few property writes on the
 * request, one scope object, one message; no closures, no listeners.
 */
export function installHttpProbe(ctx: AgentContext, scopes: Scopes): void {
  const pid = ctx.pid;

  dc.subscribe('http.server.request.start', (message: unknown) => {
    try {
      const req = (message as ServerMessage).request;
      const path = pathOf(req.url);
      const route = routeOf(path);
      const scope = scopes.enterRequest(`${req.method} ${route}`);
      req[kStart] = ctx.now();
      req[kScope] = scope.id;
      req[kPath] = path;
      req[kRoute] = route;
    } catch {
      /* never into the app */
    }
  });

  dc.subscribe('http.server.response.finish', (message: unknown) => {
    try {
      const { request: req, response: res } = message as ServerMessage;
      const start = req[kStart];
      if (start === undefined) return;
      const t = ctx.now();
      ctx.emit({
        type: 'http',
        pid,
        t,
        method: req.method ?? 'GET',
        route: frameworkRoute(req) ?? req[kRoute] ?? '/',
        status: res.statusCode,
        durationMs: t - start,
        scope: req[kScope] ?? null,
        path: req[kPath],
      });
    } catch {
      /* never into the app */
    }
  });
}
