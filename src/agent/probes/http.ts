import * as dc from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AgentContext } from '../context';
import type { HttpMessage } from '../../protocol/messages';
import type { Scopes } from '../scope';
import { subscribeFastifyRoutes } from './framework-routes';
import { frameworkRoute, pathOf, routeOf } from './route';

const micro = (ms: number): number => Math.round(ms * 1000) / 1000;

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
  subscribeFastifyRoutes();

  dc.subscribe('http.server.request.start', (message: unknown) => {
    try {
      const req = (message as ServerMessage).request;
      req[kStart] = ctx.now();
      // The route names the scope; without scopes (no database driver) it waits for the finish.
      if (scopes.active) {
        const path = pathOf(req.url);
        const route = routeOf(path);
        req[kPath] = path;
        req[kRoute] = route;
        req[kScope] = scopes.enterRequest(`${req.method} ${route}`);
      } else {
        req[kScope] = scopes.enterRequest('');
      }
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
      const path = req[kPath] ?? pathOf(req.url);
      const route = frameworkRoute(req) ?? req[kRoute] ?? routeOf(path);
      // Times to the microsecond: shorter numbers are cheaper to stringify and to send, one
      // message per request (the transport also sends them as rows, see HttpRow).
      const http: HttpMessage = {
        type: 'http',
        pid,
        t: micro(t),
        method: req.method ?? 'GET',
        route,
        status: res.statusCode,
        durationMs: micro(t - start),
        scope: req[kScope] ?? null,
        path,
      };
      ctx.emit(http);
    } catch {
      /* never into the app */
    }
  });
}
